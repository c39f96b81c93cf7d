/*
 * fixture.c: see fixture.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "fixture.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

int fixture_open(const char *path, struct loaded_object *obj, struct module *mod)
{
	int err = load_object_file(path, obj);

	memset(mod, 0, sizeof(*mod));
	if (!CHECK_EQ_INT(err, 0)) {
		fprintf(stderr, "cannot load the fixture %s\n", path);
		return 0;
	}
	if (!CHECK_EQ_INT(build_core_kallsyms(&obj->info, mod), 0)) {
		unload_object(obj);
		return 0;
	}
	snprintf(mod->name, sizeof(mod->name), "%s", obj->info.name ? obj->info.name : "fixture");
	mod->klp = true;
	obj->info.mod = mod;
	return 1;
}

void fixture_close(struct loaded_object *obj, struct module *mod)
{
	free_core_kallsyms(mod);
	unload_object(obj);
}
