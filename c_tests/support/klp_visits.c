/*
 * klp_visits.c: see klp_visits.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "klp_visits.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

void visits_init(struct visits *v, const struct module *mod)
{
	memset(v, 0, sizeof(*v));
	v->mod = mod;
}

int record_visit(const struct module *mod, unsigned int secndx, const char *objname, void *ctx)
{
	struct visits *v = ctx;

	CHECK_EQ_PTR(mod, v->mod);
	if (v->count < MAX_VISITS) {
		v->secndx[v->count] = secndx;
		snprintf(v->objname[v->count], MODULE_NAME_LEN, "%s", objname);
	}
	v->count++;
	return v->count == v->stop_at ? v->stop_rc : 0;
}
