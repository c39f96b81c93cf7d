/*
 * test_kernel_names.c: klpelf.h in a translation unit that already has the kernel's names, as a
 * loader derived from the kernel's sources does. Its own struct module, struct load_info,
 * KSYM_NAME_LEN, MODULE_NAME_LEN, copy_module_elf() and free_module_elf() come first (different
 * from klpelf's on purpose); with KLPELF_NO_KERNEL_NAMES the header adds none of them, the program
 * links against klpelf with its own two functions defined, and it persists a module's ELF
 * information through klpelf's prefixed names. test_kernel_names_default.c, a second translation
 * unit with the kernel names on, takes the same structs by their kernel names.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Usage: test_kernel_names MODULE.o
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "check.h"

/* The loader's own kernel names. */
#define KSYM_NAME_LEN 128
#define MODULE_NAME_LEN (64 - sizeof(unsigned long))

struct module {
	char name[MODULE_NAME_LEN];
	int state;
};

struct load_info {
	Elf64_Ehdr *hdr;
	unsigned long len;
};

int copy_module_elf(struct module *mod, struct load_info *info);
void free_module_elf(struct module *mod);

/* The loader's own functions, with external linkage like the kernel's. */
int copy_module_elf(struct module *mod, struct load_info *info)
{
	mod->state = info->hdr != NULL ? 1 : -1;
	return 0;
}

void free_module_elf(struct module *mod)
{
	mod->state = 0;
}

#define KLPELF_NO_KERNEL_NAMES
#include <klpelf.h>

/* The loader's names are untouched, klpelf's are all there. */
STATIC_CHECK(KSYM_NAME_LEN == 128, "KSYM_NAME_LEN is the loader's");
STATIC_CHECK(sizeof(struct module) == 60, "struct module is the loader's");
STATIC_CHECK(sizeof(struct load_info) == 16, "struct load_info is the loader's");
STATIC_CHECK(KLPELF_KSYM_NAME_LEN == 512, "KLPELF_KSYM_NAME_LEN");
STATIC_CHECK(KLPELF_MODULE_NAME_LEN == 56, "KLPELF_MODULE_NAME_LEN");
STATIC_CHECK(sizeof(struct klpelf_module) == 104, "struct klpelf_module");
STATIC_CHECK(sizeof(struct klpelf_load_info) == 136, "struct klpelf_load_info");
STATIC_CHECK(sizeof(struct klpelf_load_info_index) == 32, "struct klpelf_load_info_index");
STATIC_CHECK(sizeof(struct klpelf_klp_modinfo) == 88, "struct klpelf_klp_modinfo");
STATIC_CHECK(sizeof(struct klpelf_mod_kallsyms) == 32, "struct klpelf_mod_kallsyms");
STATIC_CHECK(KLPELF_SHN_LIVEPATCH == 0xff20, "KLPELF_SHN_LIVEPATCH");
STATIC_CHECK(KLPELF_SHF_RELA_LIVEPATCH == 0x00100000, "KLPELF_SHF_RELA_LIVEPATCH");

/* In test_kernel_names_default.c, with the kernel names on. */
int persist_by_kernel_names(struct klpelf_module *mod, struct klpelf_load_info *info);

/* klpelf's pipeline through the prefixed names, then the copy through the kernel names. */
static void persist(struct klpelf_load_info *info)
{
	struct klpelf_module mod, again;
	int (*copy)(struct klpelf_module *, struct klpelf_load_info *) = klpelf_copy_module_elf;

	memset(&mod, 0, sizeof(mod));
	memset(&again, 0, sizeof(again));
	CHECK_EQ_INT(klpelf_prepare_module(&mod, info), 0);
	CHECK_EQ_INT(copy(&mod, info), 0);
	if (CHECK(mod.klp_info != NULL)) {
		CHECK_EQ_INT(mod.klp_info->symndx, info->index.sym);
		CHECK_MEM_EQ(&mod.klp_info->hdr, info->hdr, sizeof(Elf64_Ehdr));
	}
	klpelf_free_module_elf(&mod);
	CHECK_EQ_PTR(mod.klp_info, NULL);
	klpelf_release_module(&mod);

	CHECK_EQ_INT(klpelf_prepare_module(&again, info), 0);
	CHECK_EQ_INT(persist_by_kernel_names(&again, info), 0);
	if (CHECK(again.klp_info != NULL))
		CHECK_EQ_INT(again.klp_info->symndx, info->index.sym);
	klpelf_release_module(&again);
}

int main(int argc, char **argv)
{
	struct module loader_mod;
	struct load_info loader_info;
	struct klpelf_load_info info;
	struct buffer image;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE.o\n", argv[0]);
		return 2;
	}
	if (!CHECK_EQ_INT(buffer_read_file(&image, argv[1], 0), 0))
		return check_summary("test_kernel_names");
	if (CHECK_EQ_INT(klpelf_setup_load_info(&info, image.bytes, image.len, 0), 0))
		persist(&info);

	/* The loader's own functions are still its own. */
	memset(&loader_mod, 0, sizeof(loader_mod));
	loader_info.hdr = info.hdr;
	loader_info.len = image.len;
	CHECK_EQ_INT(copy_module_elf(&loader_mod, &loader_info), 0);
	CHECK_EQ_INT(loader_mod.state, 1);
	free_module_elf(&loader_mod);
	CHECK_EQ_INT(loader_mod.state, 0);

	buffer_free(&image);
	return check_summary("test_kernel_names");
}
