/*
 * lp_module.h: a livepatch module file taken through klpelf's loader pipeline, as the livepatch
 * tests need it: klpelf_setup_load_info() -> klpelf_prepare_module() -> copy_module_elf(), with
 * the image held in guarded memory (buffer.h) and klpelf's blocks from a guarded counting
 * allocator, so that a read past the end of the image or of a block klpelf made faults even in
 * klpelf's own (uninstrumented) code. Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_LP_MODULE_H
#define KLPELF_LP_MODULE_H

#include "buffer.h"
#include "klpelf.h"

/* The exit status of a test that could not run here (ctest's SKIP_RETURN_CODE). */
#define TEST_SKIPPED 77

/* The kernel's marks of livepatch symbols and livepatch relocation sections. */
#define KLP_SHN_LIVEPATCH 0xff20
#define KLP_SHF_RELA_LIVEPATCH 0x00100000ULL

struct lp_module {
	struct buffer image; /* the file, guarded; prepare rewrote its section addresses */
	struct load_info info;
	struct module mod; /* prepared and persisted: core_kallsyms and klp_info set */
};

/*
 * The main function of a livepatch test program: with `nargs` arguments (named in `usage`; else
 * exits 2), stdout unbuffered (its lines stay in order with stderr's), klpelf's blocks from a
 * guarded counting allocator, calls run(argv + 1). Then checks that every block came back and
 * restores klpelf's default allocator. Returns the exit status: TEST_SKIPPED when run() returned
 * it, else 1 when a check failed or run() returned non-zero, else 0.
 */
int lp_test_main(int argc, char **argv, int nargs, const char *usage, int (*run)(char **args));

/* Reads the module at `path` and runs setup, prepare and copy on it (checked; each failure is
 * reported with klpelf's message). Returns 1 on success, 0 (nothing held) otherwise. */
int lp_open(const char *path, struct lp_module *lp);

/* Releases the module (checked: klp_info and the kallsyms copy gone) and frees the image. */
void lp_close(struct lp_module *lp);

/* The name of kept symbol `i`. */
const char *lp_sym_name(const struct lp_module *lp, unsigned int i);

/* The index of the kept symbol with this name (0 when none). */
unsigned int lp_find_symbol(const struct lp_module *lp, const char *name);

/* The index of the persisted section with this name (0 when none). */
unsigned int lp_find_section(const struct lp_module *lp, const char *name);

#endif /* KLPELF_LP_MODULE_H */
