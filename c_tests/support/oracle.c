/*
 * oracle.c: see oracle.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "oracle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* kmemdup(): the kernel's returns a non-NULL pointer for size 0, so ask malloc for one byte then. */
static void *memdup(const void *src, size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p)
		memcpy(p, src, size);
	return p;
}

int oracle_copy_module_elf_counted(struct module *mod, struct load_info *info, unsigned int shnum,
				   unsigned int shstrndx)
{
	unsigned int size, symndx;
	int ret;

	size = sizeof(*mod->klp_info);
	mod->klp_info = malloc(size);
	if (mod->klp_info == NULL)
		return -ENOMEM;

	/* ELF header */
	size = sizeof(mod->klp_info->hdr);
	memcpy(&mod->klp_info->hdr, info->hdr, size);

	/* ELF section header table */
	size = sizeof(*info->sechdrs) * shnum;
	mod->klp_info->sechdrs = memdup(info->sechdrs, size);
	if (mod->klp_info->sechdrs == NULL) {
		ret = -ENOMEM;
		goto free_info;
	}

	/* ELF section name string table */
	size = info->sechdrs[shstrndx].sh_size;
	mod->klp_info->secstrings = memdup(info->secstrings, size);
	if (mod->klp_info->secstrings == NULL) {
		ret = -ENOMEM;
		goto free_sechdrs;
	}

	/* ELF symbol section index */
	symndx = info->index.sym;
	mod->klp_info->symndx = symndx;

	/*
	 * For livepatch modules, core_kallsyms.symtab is a complete copy of the original symbol
	 * table; point the copied symbol table section at it, since the image's goes away.
	 */
	mod->klp_info->sechdrs[symndx].sh_addr = (unsigned long)mod->core_kallsyms.symtab;

	return 0;

free_sechdrs:
	free(mod->klp_info->sechdrs);
free_info:
	free(mod->klp_info);
	return ret;
}

int oracle_copy_module_elf(struct module *mod, struct load_info *info)
{
	return oracle_copy_module_elf_counted(mod, info, info->hdr->e_shnum, info->hdr->e_shstrndx);
}

int oracle_copy_module_elf_xnum(struct module *mod, struct load_info *info)
{
	return oracle_copy_module_elf_counted(mod, info, (unsigned int)info->sechdrs[0].sh_size,
					      info->sechdrs[0].sh_link);
}

void oracle_free_module_elf(struct module *mod)
{
	free(mod->klp_info->sechdrs);
	free(mod->klp_info->secstrings);
	free(mod->klp_info);
}

/* Index of the first section header that differs, or count. */
static unsigned first_differing_section(const Elf64_Shdr *a, const Elf64_Shdr *b, unsigned count)
{
	unsigned i = 0;

	while (i < count && memcmp(&a[i], &b[i], sizeof(*a)) == 0)
		i++;
	return i;
}

int compare_klp_info(const struct klp_modinfo *a, const struct klp_modinfo *b, unsigned count,
		     size_t strsize)
{
	unsigned sec;

	if (memcmp(&a->hdr, &b->hdr, sizeof(a->hdr)) != 0) {
		fprintf(stderr, "compare_klp_info: the ELF headers differ\n");
		return 1;
	}
	sec = first_differing_section(a->sechdrs, b->sechdrs, count);
	if (sec < count) {
		fprintf(stderr,
			"compare_klp_info: section header %u of %u differs (sh_addr %#llx vs %#llx)\n",
			sec, count, (unsigned long long)a->sechdrs[sec].sh_addr,
			(unsigned long long)b->sechdrs[sec].sh_addr);
		return 1;
	}
	if (memcmp(a->secstrings, b->secstrings, strsize) != 0) {
		fprintf(stderr, "compare_klp_info: the %zu-byte section-name tables differ\n", strsize);
		return 1;
	}
	if (a->symndx != b->symndx) {
		fprintf(stderr, "compare_klp_info: symndx %u vs %u\n", a->symndx, b->symndx);
		return 1;
	}
	return 0;
}
