/*
 * kernel_relocs.c: the kernel's relocation code, cut unmodified from the fetched source by
 * extract.py: arch/x86/kernel/module.c's __write_relocate_add() and kernel/livepatch/core.c's
 * klp_apply_section_relocs() with what it calls, which apply_relocations() (kernel_side.c) calls.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * A translation unit of its own because it is built without the alignment sanitizer: x86-64 reads
 * relocation records at any alignment, and so does klpelf (docs/checks.md requires only the
 * section and symbol tables to be 8-aligned), so a misaligned Elf64_Rela is no finding; the
 * symbol a relocation names still is, through AddressSanitizer.
 */

#include "kernel_shim.h"

#include "arch_x86_kernel_module_cut.c"

/*
 * arch/x86/kernel/module.c's write_relocate_add() for a module still in MODULE_STATE_UNFORMED,
 * as during load_module(): a plain memcpy() writes the relocations (klpelf's struct module has no
 * state member to test).
 */
int apply_relocate_add(Elf64_Shdr *sechdrs, const char *strtab, unsigned int symindex,
		       unsigned int relsec, struct module *me)
{
	return __write_relocate_add(sechdrs, strtab, symindex, relsec, me, memcpy, true);
}

/* kernel/livepatch/core.c's default (a __weak empty function); never called while loading. */
void clear_relocate_add(Elf64_Shdr *sechdrs, const char *strtab, unsigned int symindex,
			unsigned int relsec, struct module *me)
{
	(void)sechdrs, (void)strtab, (void)symindex, (void)relsec, (void)me;
}

/* Livepatch symbols resolve as every other symbol does here (see resolve_symbol_wait()). */
static int klp_find_object_symbol(const char *objname, const char *name, unsigned long sympos,
				  unsigned long *addr)
{
	(void)objname, (void)name, (void)sympos;
	*addr = ORACLE_SYMBOL_ADDRESS;
	return 0;
}

#include "kernel_livepatch_core_cut.c"
