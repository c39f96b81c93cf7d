/*
 * The C baselines of klpelf's `copy` benchmark group. SPDX-License-Identifier: GPL-2.0-only
 *
 * kc_copy_module_elf / kc_free_module_elf: the kernel's copy_module_elf() / free_module_elf()
 * (kernel/module/livepatch.c, unchanged since v4.7) as plain C, kmalloc/kmemdup/kfree replaced by
 * malloc, malloc + memcpy and free: three allocations, the header copied by value, two memcpys,
 * three frees. No checks, as in the kernel.
 *
 * kc_copy_module_elf_xnum: the same code for extended section numbering (e_shnum == 0,
 * e_shstrndx == SHN_XINDEX), which the kernel never sees: it takes the section count from
 * sechdrs[0].sh_size and the name-table index from sechdrs[0].sh_link, i.e. it copies exactly the
 * bytes it would copy if e_shnum could hold the count. Used only for the 1,000,000-section size.
 *
 * floor_copy / floor_free: what any implementation that allocates must pay: one malloc of the
 * total bytes the kernel allocates, one memcpy of them from one contiguous source, one free.
 *
 * The copy and the free are separate functions called from Rust through the C ABI, so the compiler
 * cannot pair a malloc with its free and drop both (it may, for a malloc/memcpy/free in one body).
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "klpelf.h"

static inline int kc_copy(struct module *mod, struct load_info *info, unsigned int shnum,
                          unsigned int shstrndx)
{
	unsigned int size, symndx;
	int ret;

	size = sizeof(*mod->klp_info);
	mod->klp_info = malloc(size);
	if (!mod->klp_info)
		return -ENOMEM;

	/* ELF header */
	size = sizeof(mod->klp_info->hdr);
	memcpy(&mod->klp_info->hdr, info->hdr, size);

	/* ELF section header table */
	size = sizeof(*info->sechdrs) * shnum;
	mod->klp_info->sechdrs = malloc(size);
	if (!mod->klp_info->sechdrs) {
		ret = -ENOMEM;
		goto free_info;
	}
	memcpy(mod->klp_info->sechdrs, info->sechdrs, size);

	/* ELF section name string table */
	size = info->sechdrs[shstrndx].sh_size;
	mod->klp_info->secstrings = malloc(size);
	if (!mod->klp_info->secstrings) {
		ret = -ENOMEM;
		goto free_sechdrs;
	}
	memcpy(mod->klp_info->secstrings, info->secstrings, size);

	/* ELF symbol section index */
	symndx = info->index.sym;
	mod->klp_info->symndx = symndx;

	/*
	 * For livepatch modules, core_kallsyms.symtab is a complete
	 * copy of the original symbol table. Adjust sechdrs[symndx].sh_addr
	 * to point to this copy
	 */
	mod->klp_info->sechdrs[symndx].sh_addr = (unsigned long)mod->core_kallsyms.symtab;

	return 0;

free_sechdrs:
	free(mod->klp_info->sechdrs);
free_info:
	free(mod->klp_info);
	return ret;
}

int kc_copy_module_elf(struct module *mod, struct load_info *info)
{
	return kc_copy(mod, info, info->hdr->e_shnum, info->hdr->e_shstrndx);
}

int kc_copy_module_elf_xnum(struct module *mod, struct load_info *info)
{
	return kc_copy(mod, info, (unsigned int)info->sechdrs[0].sh_size, info->sechdrs[0].sh_link);
}

void kc_free_module_elf(struct module *mod)
{
	free(mod->klp_info->sechdrs);
	free(mod->klp_info->secstrings);
	free(mod->klp_info);
}

void *floor_copy(const void *src, size_t alloc_size, size_t copy_size)
{
	void *block = malloc(alloc_size);

	if (block)
		memcpy(block, src, copy_size);
	return block;
}

void floor_free(void *block)
{
	free(block);
}
