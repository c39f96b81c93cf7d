/*
 * fixture.h: opening a fixture object as the tests need it, with check.h reporting.
 * Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_FIXTURE_H
#define KLPELF_FIXTURE_H

#include "klpelf.h"
#include "load_object.h"

/*
 * Loads the object at `path` into *obj and makes *mod its livepatch module: name from .modinfo
 * (else "fixture"), klp set, core_kallsyms built, klp_info NULL; obj->info.mod points at mod.
 * Checks each step; returns 1 on success, 0 (with nothing left allocated) on failure.
 */
int fixture_open(const char *path, struct loaded_object *obj, struct module *mod);

/* Frees what fixture_open() made. */
void fixture_close(struct loaded_object *obj, struct module *mod);

#endif /* KLPELF_FIXTURE_H */
