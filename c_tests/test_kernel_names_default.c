/*
 * test_kernel_names_default.c: the other translation unit of test_kernel_names, with klpelf.h's
 * kernel names on (the default). It receives the structs that test_kernel_names.c declared by their
 * klpelf_ names and passes them to copy_module_elf() by its kernel name: the same types and the same
 * function in both modes. SPDX-License-Identifier: GPL-2.0-only
 */
#include <klpelf.h>

#include "check.h"

STATIC_CHECK(KSYM_NAME_LEN == KLPELF_KSYM_NAME_LEN, "KSYM_NAME_LEN");
STATIC_CHECK(MODULE_NAME_LEN == KLPELF_MODULE_NAME_LEN, "MODULE_NAME_LEN");
STATIC_CHECK(sizeof(struct module) == sizeof(struct klpelf_module), "struct module");

int persist_by_kernel_names(struct klpelf_module *mod, struct klpelf_load_info *info);

/* Without a cast: a compile error under -Werror unless the two names are one type. */
static struct module *as_kernel_module(struct klpelf_module *mod)
{
	return mod;
}

static struct load_info *as_kernel_load_info(struct klpelf_load_info *info)
{
	return info;
}

int persist_by_kernel_names(struct klpelf_module *mod, struct klpelf_load_info *info)
{
	struct klp_modinfo *klp;
	int err = copy_module_elf(as_kernel_module(mod), as_kernel_load_info(info));

	klp = mod->klp_info;
	return err != 0 || klp == NULL ? -1 : 0;
}
