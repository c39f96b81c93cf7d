/*
 * A program written only against klpelf.h: it persists a compiled object's ELF information with
 * copy_module_elf() and checks the result is what the kernel's copy_module_elf() makes: the header,
 * the section headers (the symbol table's sh_addr pointing at core_kallsyms.symtab) and the
 * section-name table, byte for byte.
 *
 * Usage: klpelf_consumer OBJECT.o
 */
#include <errno.h>
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

/* Fills what copy_module_elf() reads, for an object with fewer than SHN_LORESERVE sections. */
static int fill_load_info(unsigned char *image, size_t len, struct load_info *info)
{
	Elf64_Ehdr *hdr = (Elf64_Ehdr *)image;
	Elf64_Shdr *sechdrs;
	unsigned int i;

	if (len < sizeof(*hdr) || memcmp(hdr->e_ident, ELFMAG, SELFMAG) != 0 ||
	    hdr->e_shoff > len || hdr->e_shnum == 0 ||
	    (size_t)hdr->e_shnum * sizeof(Elf64_Shdr) > len - hdr->e_shoff ||
	    hdr->e_shstrndx >= hdr->e_shnum)
		return -ENOEXEC;
	sechdrs = (Elf64_Shdr *)(image + hdr->e_shoff);
	if (sechdrs[hdr->e_shstrndx].sh_offset > len)
		return -ENOEXEC;
	memset(info, 0, sizeof(*info));
	info->hdr = hdr;
	info->len = len;
	info->sechdrs = sechdrs;
	info->secstrings = (char *)image + sechdrs[hdr->e_shstrndx].sh_offset;
	for (i = 1; i < hdr->e_shnum; i++)
		if (sechdrs[i].sh_type == SHT_SYMTAB)
			info->index.sym = i;
	return info->index.sym ? 0 : -ENOEXEC;
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
	Elf64_Sym kept_symbols[1];
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
	mod.core_kallsyms.symtab = kept_symbols;
	if (fill_load_info(image, len, &info) != 0)
		fprintf(stderr, "klpelf_consumer: %s is not a usable ELF object\n", argv[1]);
	else if (copy_module_elf(&mod, &info) != 0)
		rc = fail("copy_module_elf");
	else if (check_persisted(&mod, &info) != 0)
		fprintf(stderr, "klpelf_consumer: persisted info differs from the kernel's\n");
	else
		rc = 0;
	free_module_elf(&mod);
	if (rc == 0 && mod.klp_info == NULL)
		printf("klpelf %s: persisted %u sections of %s (symtab %u) as the kernel does\n",
		       klpelf_version(), (unsigned)info.hdr->e_shnum, argv[1], info.index.sym);
	free(image);
	return rc;
}
