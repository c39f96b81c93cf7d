/*
 * The libelf baseline of klpelf's `ingest` benchmark group. SPDX-License-Identifier: GPL-2.0-only
 *
 * elfutils libelf doing the work a module loader's ingest does, no more: open the image in memory,
 * read the section count and the section-name table index, and make one pass over the sections to
 * find the symbol table (SHT_SYMTAB, and its string table from sh_link), `.modinfo`,
 * `.gnu.linkonce.this_module` and `__versions`. Then close the descriptor.
 */
#include <string.h>
#include <gelf.h>
#include <libelf.h>

/* Mirrors `LibelfIndex` in src/lib.rs. */
struct libelf_index {
	size_t shnum;
	size_t shstrndx;
	unsigned int sym;
	unsigned int str;
	unsigned int mod;
	unsigned int vers;
	unsigned int info;
};

int libelf_bench_init(void)
{
	return elf_version(EV_CURRENT) == EV_NONE ? -1 : 0;
}

int libelf_ingest(void *image, size_t len, struct libelf_index *out)
{
	struct libelf_index idx;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int ret = -1;

	memset(&idx, 0, sizeof(idx));
	elf = elf_memory(image, len);
	if (!elf)
		return -1;
	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrnum(elf, &idx.shnum) != 0 ||
	    elf_getshdrstrndx(elf, &idx.shstrndx) != 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		Elf64_Shdr *shdr = elf64_getshdr(scn);
		const char *name;
		unsigned int i;

		if (!shdr)
			goto out;
		i = (unsigned int)elf_ndxscn(scn);
		if (shdr->sh_type == SHT_SYMTAB) {
			idx.sym = i;
			idx.str = shdr->sh_link;
		}
		name = elf_strptr(elf, idx.shstrndx, shdr->sh_name);
		if (!name)
			goto out;
		if (strcmp(name, ".modinfo") == 0)
			idx.info = i;
		else if (strcmp(name, ".gnu.linkonce.this_module") == 0)
			idx.mod = i;
		else if ((shdr->sh_flags & SHF_ALLOC) && !idx.vers && strcmp(name, "__versions") == 0)
			idx.vers = i;
	}
	*out = idx;
	ret = 0;
out:
	elf_end(elf);
	return ret;
}
