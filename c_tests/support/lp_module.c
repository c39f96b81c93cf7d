/*
 * lp_module.c: see lp_module.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "lp_module.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "counting_alloc.h"

int lp_test_main(int argc, char **argv, int nargs, const char *usage, int (*run)(char **args))
{
	struct counting_alloc c;
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int rc;

	if (argc != nargs + 1) {
		fprintf(stderr, "usage: %s %s\n", argv[0], usage);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!counting_alloc_install(&c))
		return 1;
	c.guarded = 1;
	rc = run(argv + 1);
	counting_alloc_uninstall(&c);
	if (rc == TEST_SKIPPED)
		return TEST_SKIPPED;
	return check_summary(name) || rc;
}

int lp_open(const char *path, struct lp_module *lp)
{
	memset(lp, 0, sizeof(*lp));
	if (!CHECK_EQ_INT(buffer_read_file(&lp->image, path, 1), 0)) {
		fprintf(stderr, "  cannot read %s\n", path);
		return 0;
	}
	if (!CHECK(lp->image.len > 0) ||
	    !CHECK_EQ_INT(klpelf_setup_load_info(&lp->info, lp->image.bytes, lp->image.len, 0), 0) ||
	    !CHECK_EQ_INT(klpelf_prepare_module(&lp->mod, &lp->info), 0) ||
	    !CHECK_EQ_INT(copy_module_elf(&lp->mod, &lp->info), 0)) {
		fprintf(stderr, "  %s: %s\n", path, klpelf_last_error());
		klpelf_release_module(&lp->mod);
		buffer_free(&lp->image);
		return 0;
	}
	CHECK(lp->mod.klp);
	return 1;
}

void lp_close(struct lp_module *lp)
{
	klpelf_release_module(&lp->mod);
	CHECK(lp->mod.klp_info == NULL && lp->mod.core_kallsyms.symtab == NULL);
	buffer_free(&lp->image);
}

const char *lp_sym_name(const struct lp_module *lp, unsigned int i)
{
	return lp->mod.core_kallsyms.strtab + lp->mod.core_kallsyms.symtab[i].st_name;
}

unsigned int lp_find_symbol(const struct lp_module *lp, const char *name)
{
	unsigned int i;

	for (i = 1; i < lp->mod.core_kallsyms.num_symtab; i++)
		if (strcmp(lp_sym_name(lp, i), name) == 0)
			return i;
	return 0;
}

unsigned int lp_find_section(const struct lp_module *lp, const char *name)
{
	const struct klp_modinfo *klp = lp->mod.klp_info;
	unsigned int i;

	for (i = 1; i < klp->hdr.e_shnum; i++)
		if (strcmp(klp->secstrings + klp->sechdrs[i].sh_name, name) == 0)
			return i;
	return 0;
}
