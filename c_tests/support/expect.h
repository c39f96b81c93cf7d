/*
 * expect.h: checks of what copy_module_elf() made, shared by the C tests (they report through
 * check.h's counters). Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_EXPECT_H
#define KLPELF_EXPECT_H

#include <stddef.h>

#include "klpelf.h"

/* The section count and section-name table index of `info`, decoded as the ELF specification says
 * (extended numbering: section 0's sh_size and sh_link). */
unsigned elf_section_count(const struct load_info *info);
unsigned elf_shstrndx(const struct load_info *info);

/*
 * Checks that mod->klp_info, made by klpelf's copy_module_elf(mod, info), is a faithful copy of
 * `info`, computed independently of the oracle: the header; every section header (extended
 * numbering understood), sechdrs[symndx].sh_addr being (uintptr_t)mod->core_kallsyms.symtab;
 * the section-name table; symndx; fresh 8-aligned memory rather than the input's.
 * Returns 1 when every check passed.
 */
int check_persisted_copy(const struct module *mod, const struct load_info *info);

/*
 * Persists `info` with klpelf and with the oracle, into two copies of *tmpl (so with the same
 * core_kallsyms.symtab); checks both succeed, are byte-for-byte equal (compare_klp_info) and
 * faithful (check_persisted_copy), that nothing but klp_info changed, then frees both and checks
 * klpelf's klp_info is NULL again. `info` must use plain numbering. Returns 1 when all passed.
 */
int check_against_oracle(const struct module *tmpl, struct load_info *info);

/*
 * Persists `info` with klpelf alone into a copy of *tmpl (for inputs the oracle cannot read, such
 * as extended numbering); checks success, no last error, check_persisted_copy, that nothing but
 * klp_info changed, then frees it and checks klp_info is NULL again. Returns 1 when all passed.
 */
int check_klpelf_alone(const struct module *tmpl, struct load_info *info);

/* Checks that the two modules are byte-identical apart from klp_info. */
int check_same_but_klp_info(const struct module *actual, const struct module *expected);

#endif /* KLPELF_EXPECT_H */
