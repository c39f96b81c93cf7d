/*
 * relocs_kernel.c: the kernel's livepatch relocation code for the relocation comparison
 * (relocs.c): kernel/livepatch/core.c's klp_write_section_relocs() with what it calls, and
 * arch/x86/kernel/module.c's __write_relocate_add(), cut unmodified from the fetched source by
 * extract.py. SPDX-License-Identifier: GPL-2.0-only
 *
 * A translation unit of its own beside kernel_relocs.c (the loader's), because here both apply
 * and clear write, as for a live module's patch (the loader's clear_relocate_add() is the empty
 * default), and livepatch symbols resolve through the comparison's table. Built, as
 * kernel_relocs.c, without the alignment sanitizer. The names this unit shares with
 * kernel_relocs.c are its own here.
 */

#define apply_relocate_add relocs_apply_relocate_add
#define clear_relocate_add relocs_clear_relocate_add
#undef klp_apply_section_relocs
#define klp_apply_section_relocs relocs_klp_apply_section_relocs

#include "kernel_shim.h"

#include "relocs.h"

#include "arch_x86_kernel_module_cut.c"

/* The first failure of __write_relocate_add() in a clear, which clear_relocate_add() drops. */
static int clear_first;

/* arch/x86/kernel/module.c's write_relocate_add() for a module that is not live: memcpy(). */
int apply_relocate_add(Elf64_Shdr *sechdrs, const char *strtab, unsigned int symindex,
		       unsigned int relsec, struct module *me)
{
	return __write_relocate_add(sechdrs, strtab, symindex, relsec, me, memcpy, true);
}

void clear_relocate_add(Elf64_Shdr *sechdrs, const char *strtab, unsigned int symindex,
			unsigned int relsec, struct module *me)
{
	int ret = __write_relocate_add(sechdrs, strtab, symindex, relsec, me, memcpy, false);

	if (!clear_first)
		clear_first = ret;
}

/* kernel/livepatch/core.c's klp_find_object_symbol() searches kallsyms; here the comparison's
 * table stands for kallsyms, with the kernel's words when a symbol is not there. */
static int klp_find_object_symbol(const char *objname, const char *name, unsigned long sympos,
				  unsigned long *addr)
{
	if (oracle_reloc_lookup(objname, name, sympos, addr))
		return 0;
	pr_err("symbol '%s' not found in symbol table\n", name);
	*addr = 0;
	return -EINVAL;
}

#include "kernel_livepatch_core_cut.c"

/*
 * kernel/livepatch/core.c's klp_write_object_relocs(), whose struct klp_patch and klp_object the
 * oracle does not have: the same walk over patch->mod->klp_info, for the object named `objname`.
 */
int kernel_reloc_write_object(struct reloc_module *m, const char *objname, bool apply,
			      int *clear_ret)
{
	struct klp_modinfo *info = m->mod.klp_info;
	int i, ret = 0;

	clear_first = 0;
	for (i = 1; i < info->hdr.e_shnum; i++) {
		Elf_Shdr *sec = info->sechdrs + i;

		if (!(sec->sh_flags & SHF_RELA_LIVEPATCH))
			continue;

		ret = klp_write_section_relocs(&m->mod, info->sechdrs, info->secstrings,
					       m->mod.core_kallsyms.strtab, info->symndx, i,
					       objname, apply);
		if (ret)
			break;
	}
	*clear_ret = clear_first;
	return ret;
}
