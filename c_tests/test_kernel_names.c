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
#include <stdlib.h>
#include <string.h>

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

/* Compile-time checks: the loader's names are untouched, klpelf's are all there. */
#define CHECK(name, cond) typedef char check_##name[(cond) ? 1 : -1]
CHECK(ksym_is_the_loaders, KSYM_NAME_LEN == 128);
CHECK(module_is_the_loaders, sizeof(struct module) == 60);
CHECK(load_info_is_the_loaders, sizeof(struct load_info) == 16);
CHECK(klpelf_ksym, KLPELF_KSYM_NAME_LEN == 512);
CHECK(klpelf_module_name, KLPELF_MODULE_NAME_LEN == 56);
CHECK(klpelf_module, sizeof(struct klpelf_module) == 104);
CHECK(klpelf_load_info, sizeof(struct klpelf_load_info) == 136);
CHECK(klpelf_index, sizeof(struct klpelf_load_info_index) == 32);
CHECK(klpelf_modinfo, sizeof(struct klpelf_klp_modinfo) == 88);
CHECK(klpelf_kallsyms, sizeof(struct klpelf_mod_kallsyms) == 32);
CHECK(shn_livepatch, KLPELF_SHN_LIVEPATCH == 0xff20);
CHECK(shf_rela_livepatch, KLPELF_SHF_RELA_LIVEPATCH == 0x00100000);

/* In test_kernel_names_default.c, with the kernel names on. */
int persist_by_kernel_names(struct klpelf_module *mod, struct klpelf_load_info *info);

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		const char *why = klpelf_last_error();
		fprintf(stderr, "test_kernel_names: %s%s%s\n", what, why ? ": " : "", why ? why : "");
		failures++;
	}
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)size);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

/* klpelf's pipeline through the prefixed names, then the same through the kernel names. */
static void persist(struct klpelf_load_info *info)
{
	struct klpelf_module mod, again;
	int (*copy)(struct klpelf_module *, struct klpelf_load_info *) = klpelf_copy_module_elf;

	memset(&mod, 0, sizeof(mod));
	memset(&again, 0, sizeof(again));
	expect(klpelf_prepare_module(&mod, info) == 0, "klpelf_prepare_module");
	expect(copy(&mod, info) == 0, "klpelf_copy_module_elf");
	expect(mod.klp_info != NULL && mod.klp_info->symndx == info->index.sym &&
		       memcmp(&mod.klp_info->hdr, info->hdr, sizeof(Elf64_Ehdr)) == 0,
	       "the persisted header and symbol table index");
	klpelf_free_module_elf(&mod);
	expect(mod.klp_info == NULL, "klpelf_free_module_elf clears klp_info");
	klpelf_release_module(&mod);

	expect(klpelf_prepare_module(&again, info) == 0, "klpelf_prepare_module again");
	expect(persist_by_kernel_names(&again, info) == 0, "copy_module_elf by its kernel name");
	expect(again.klp_info != NULL && again.klp_info->symndx == info->index.sym,
	       "the copy made through the kernel names");
	klpelf_release_module(&again);
}

int main(int argc, char **argv)
{
	struct module loader_mod;
	struct load_info loader_info;
	struct klpelf_load_info info;
	unsigned char *image;
	size_t len = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE.o\n", argv[0]);
		return 2;
	}
	image = read_file(argv[1], &len);
	if (!image) {
		perror(argv[1]);
		return 1;
	}
	expect(klpelf_setup_load_info(&info, image, len, 0) == 0, "klpelf_setup_load_info");
	if (failures == 0)
		persist(&info);

	/* The loader's own functions are still its own. */
	memset(&loader_mod, 0, sizeof(loader_mod));
	loader_info.hdr = info.hdr;
	loader_info.len = len;
	expect(copy_module_elf(&loader_mod, &loader_info) == 0 && loader_mod.state == 1,
	       "the loader's copy_module_elf");
	free_module_elf(&loader_mod);
	expect(loader_mod.state == 0, "the loader's free_module_elf");

	free(image);
	printf("test_kernel_names: %s\n", failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
