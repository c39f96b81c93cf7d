/*
 * A program written only against klpelf.h: it checks a compiled object as the kernel's loader
 * would (klpelf_setup_load_info), prepares a module (klpelf_prepare_module), persists its ELF
 * information with copy_module_elf(), and checks the result is what the kernel's copy_module_elf()
 * makes: the header, the section headers (the symbol table's sh_addr pointing at
 * core_kallsyms.symtab) and the section-name table, byte for byte.
 *
 * Usage: klpelf_consumer OBJECT.o
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <klpelf.h>

static int fail(const char *what)
{
	const char *why = klpelf_last_error();
	fprintf(stderr, "klpelf_consumer: %s%s%s\n", what, why ? ": " : "", why ? why : "");
	return 1;
}

/* Reads the whole file into an 8-byte aligned buffer (malloc's alignment). */
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

/* The kernel's result, checked field by field against the image. */
static int check_persisted(const struct module *mod, const struct load_info *info)
{
	const struct klp_modinfo *klp = mod->klp_info;
	size_t count = info->hdr->e_shnum;
	size_t strsize = info->sechdrs[info->hdr->e_shstrndx].sh_size;
	unsigned int i;

	if (!klp || memcmp(&klp->hdr, info->hdr, sizeof(Elf64_Ehdr)) != 0 ||
	    klp->symndx != info->index.sym ||
	    memcmp(klp->secstrings, info->secstrings, strsize) != 0)
		return -1;
	for (i = 0; i < count; i++) {
		Elf64_Shdr expected = info->sechdrs[i];
		if (i == info->index.sym)
			expected.sh_addr = (Elf64_Addr)(uintptr_t)mod->core_kallsyms.symtab;
		if (memcmp(&klp->sechdrs[i], &expected, sizeof(expected)) != 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct module mod;
	struct load_info info;
	unsigned char *image;
	size_t len = 0;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT.o\n", argv[0]);
		return 2;
	}
	image = read_file(argv[1], &len);
	if (!image) {
		perror(argv[1]);
		return 1;
	}
	memset(&mod, 0, sizeof(mod));
	if (klpelf_setup_load_info(&info, image, len, 0) != 0)
		rc = fail("klpelf_setup_load_info");
	else if (klpelf_prepare_module(&mod, &info) != 0)
		rc = fail("klpelf_prepare_module");
	else if (copy_module_elf(&mod, &info) != 0)
		rc = fail("copy_module_elf");
	else if (check_persisted(&mod, &info) != 0)
		fprintf(stderr, "klpelf_consumer: persisted info differs from the kernel's\n");
	else
		rc = 0;
	free_module_elf(&mod);
	if (rc == 0 && mod.klp_info == NULL)
		printf("klpelf %s: persisted %u sections of %s (module %s, symtab %u) as the kernel does\n",
		       klpelf_version(), (unsigned)info.hdr->e_shnum, argv[1], mod.name, info.index.sym);
	klpelf_release_module(&mod);
	free(image);
	return rc;
}
