/*
 * klp_visits.h: a klpelf_for_each_klp_rela() callback that records what it is shown (section
 * index and object name, in order) and can stop the walk. Test code only.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_KLP_VISITS_H
#define KLPELF_KLP_VISITS_H

#include "klpelf.h"

/* Visits recorded at the most (later ones are counted only). */
#define MAX_VISITS 16

struct visits {
	const struct module *mod; /* the module every visit must be shown */
	unsigned int count;
	unsigned int secndx[MAX_VISITS];
	char objname[MAX_VISITS][MODULE_NAME_LEN];
	unsigned int stop_at; /* 1-based visit that returns stop_rc; 0: none */
	int stop_rc;
};

/* A recording of walks over `mod`: no visit yet, none stops the walk. */
void visits_init(struct visits *v, const struct module *mod);

/* The callback (ctx: a struct visits): checks the module, records the visit, returns stop_rc at
 * visit stop_at and 0 otherwise. */
int record_visit(const struct module *mod, unsigned int secndx, const char *objname, void *ctx);

#endif /* KLPELF_KLP_VISITS_H */
