/*
 * oracle.h: the kernel's copy_module_elf() / free_module_elf() (kernel/module/livepatch.c),
 * transcribed into plain C with kmalloc/kmemdup/kfree as malloc/memdup/free, as the reference
 * klpelf is compared with. Test code only. SPDX-License-Identifier: GPL-2.0-only
 *
 * Like the kernel, the oracle validates nothing and reads e_shnum / e_shstrndx as they are, so it
 * cannot handle extended section numbering (e_shnum == 0).
 */

#ifndef KLPELF_ORACLE_H
#define KLPELF_ORACLE_H

#include <stddef.h>

#include "klpelf.h"

/* The kernel's copy_module_elf(): three allocations; returns 0 or -ENOMEM (then, as in the
 * kernel, mod->klp_info is left dangling). */
int oracle_copy_module_elf(struct module *mod, struct load_info *info);

/*
 * The same code with the section count and name-table index given: the kernel's reads them from
 * e_shnum and e_shstrndx (oracle_copy_module_elf); oracle_copy_module_elf_xnum takes them from
 * section 0 as extended numbering stores them, which the kernel never sees. The benchmarks use it
 * to copy exactly the bytes the kernel would if e_shnum could hold the count.
 */
int oracle_copy_module_elf_counted(struct module *mod, struct load_info *info, unsigned int shnum,
				   unsigned int shstrndx);
int oracle_copy_module_elf_xnum(struct module *mod, struct load_info *info);

/* The kernel's free_module_elf(): frees sechdrs, secstrings, then the modinfo; does not clear
 * mod->klp_info. */
void oracle_free_module_elf(struct module *mod);

/*
 * Compares two persisted infos byte for byte: the header, `count` section headers, `strsize`
 * bytes of section names, and symndx. Returns 0 when equal; otherwise prints the first difference
 * to stderr and returns non-zero.
 */
int compare_klp_info(const struct klp_modinfo *a, const struct klp_modinfo *b, unsigned count,
		     size_t strsize);

#endif /* KLPELF_ORACLE_H */
