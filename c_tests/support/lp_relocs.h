/*
 * lp_relocs.h: what the livepatch relocation tests share: a placement of every section of a
 * module (struct klpelf_layout) in guarded copies, and the tests' own computation of what applying
 * a livepatch relocation section writes, from the module file's bytes and the x86-64 psABI's
 * formulas, independent of klpelf. Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_LP_RELOCS_H
#define KLPELF_LP_RELOCS_H

#include <stddef.h>
#include <stdint.h>

#include "klpelf.h"
#include "lp_module.h"

/* The start of the x86-64 kernel's module area: where the tests place a module by default. */
#define LP_MODULE_AREA 0xffffffffc0000000ULL

/*
 * Every section of a module, placed: a section with bytes gets a guarded block (a write past it
 * faults) holding a copy of its bytes from the image, zeros for SHT_NOBITS; its address is the
 * block's own when `base` is 0, otherwise the next address from `base` aligned to its
 * sh_addralign, sections in index order. `layout` describes them, with plain stores.
 */
struct lp_layout {
	struct klpelf_section_place *places;
	size_t *sizes;
	size_t count;
	struct klpelf_layout layout;
};

/* Places lp's module. Returns 1, or 0 (nothing held) when out of memory. */
int lp_layout_init(struct lp_layout *l, const struct lp_module *lp, uint64_t base);
void lp_layout_free(struct lp_layout *l);

/* Puts the image's bytes back into every placed section. */
void lp_layout_reset(struct lp_layout *l, const struct lp_module *lp);

/* The image's bytes of section i as the layout started (zeros for SHT_NOBITS), or NULL. */
const unsigned char *lp_original(const struct lp_module *lp, unsigned int i);

/* Finds a symbol's address by its .klp.sym name, in the tests' own way; 0 when unknown. */
typedef uint64_t (*lp_address_fn)(const char *klp_sym_name, void *ctx);

/*
 * Writes into `out` the bytes applying relocation `rela` puts at `loc` for a symbol at `s`, by the
 * psABI's formula for its type (S + A, S + A - P), and returns their count: 8 or 4; 0 for
 * R_X86_64_NONE and for any other type.
 */
size_t lp_expected_bytes(const Elf64_Rela *rela, uint64_t s, uint64_t loc, unsigned char out[8]);

/*
 * Checks every placed section byte for byte against what it must hold: the image's bytes, but at
 * the relocations of the livepatch relocation sections of the objects named in `applied` (a
 * NULL-terminated list; "vmlinux" for vmlinux; NULL for none) the bytes lp_expected_bytes()
 * computes for the address `address` gives each symbol. The relocations are read from the image
 * file's bytes. Returns the number of relocations that write bytes.
 */
unsigned int lp_check_placed(const struct lp_module *lp, const struct lp_layout *l,
			     const char *const *applied, lp_address_fn address, void *ctx);

/* The relocations of section `secndx`, in the image's bytes, and their count. */
const Elf64_Rela *lp_relas(const struct lp_module *lp, unsigned int secndx, size_t *count);

#endif /* KLPELF_LP_RELOCS_H */
