/*
 * relocs.h: the relocation comparison (docs/oracle.md, "Livepatch relocations"): a livepatch
 * module held in memory as both sides read it, and what runs on it. relocs.c builds it from a
 * module file and compares; relocs_case.c generates relocation tables; relocs_kernel.c runs the
 * kernel's code. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_ORACLE_RELOCS_H
#define KLPELF_ORACLE_RELOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oracle.h"

/* A livepatch symbol the resolver knows (objname NULL: vmlinux). */
struct reloc_symbol {
	char objname[MODULE_NAME_LEN];
	char name[64];
	unsigned long sympos;
	unsigned long addr;
};

/*
 * A persisted livepatch module, as klpelf and the kernel both read it: `info` (klpelf's
 * struct klp_modinfo, which the kernel's code reads too) and `mod`'s core_kallsyms. Every section
 * with bytes (targets and relocation entries) is an exact-size heap block that its sh_addr points
 * at, so AddressSanitizer sees any access outside it; the symbol table is one too. `start` holds
 * what a comparison starts from, restored before each side runs.
 */
struct reloc_module {
	struct module mod;
	struct klp_modinfo info;
	size_t shnum;
	unsigned char **bytes;        /* per section, or NULL */
	unsigned char **start;        /* per section: the bytes each side starts from */
	Elf64_Sym *syms;              /* mod.core_kallsyms.symtab */
	Elf64_Sym *start_syms;
	struct klpelf_section_place *places; /* addr = mem = the section's bytes */
	struct reloc_symbol *table;
	size_t n_table;
};

/* Frees what the module holds. */
void reloc_module_free(struct reloc_module *m);
/* Allocates the per-section arrays for `shnum` sections; false when out of memory. */
bool reloc_module_alloc(struct reloc_module *m, size_t shnum);
/* Gives section i `size` bytes (copied from `src`, or zeros) and points sh_addr at them. */
bool reloc_module_bytes(struct reloc_module *m, unsigned int i, const void *src, size_t size);
/* What each side starts from: the module as it is now. */
void reloc_module_mark(struct reloc_module *m);

/* The resolver both sides use (the kernel's klp_find_object_symbol() in relocs_kernel.c, klpelf's
 * callback in relocs.c): the table of the module being compared. */
extern const struct reloc_module *oracle_reloc_current;
bool oracle_reloc_lookup(const char *objname, const char *name, unsigned long sympos,
			 unsigned long *addr);

/* The kernel's klp_write_object_relocs() over `m` for `objname` (NULL: vmlinux). Returns what it
 * returns; for a clear, *clear_ret gets the first failure of __write_relocate_add(), which the
 * kernel's clear_relocate_add() drops. */
int kernel_reloc_write_object(struct reloc_module *m, const char *objname, bool apply,
			      int *clear_ret);

/* What a comparison starts from: the module as marked, a fresh apply; the state after a
 * successful apply, applied again or cleared (`tamper` non-zero: a byte of the first target
 * changed first). */
enum reloc_step { RELOC_APPLY, RELOC_APPLY_AGAIN, RELOC_CLEAR };

/* Both sides do `step` for `objname` (NULL: vmlinux) on `m`; the finding (SKIPPED when the
 * state a step needs cannot be made). */
struct finding compare_reloc_object(struct reloc_module *m, const char *objname,
				    enum reloc_step step, unsigned char tamper, struct record *rec);

/* Builds generated relocation table `n` (relocs_case.c): its module, the object to apply, whether
 * it is cleared afterwards and with what change to its target, and its label. */
bool reloc_case_build(uint64_t n, struct reloc_module *m, const char **objname, bool *clear,
		      unsigned char *tamper, char *label, size_t label_size);

/* The comparison of generated table `n`, labelled in rec->input. */
struct finding compare_reloc_case(uint64_t n, struct record *rec);
/* The comparison of a module file's livepatch relocations: each object applied, applied again,
 * cleared, and cleared after a change; SKIPPED for a file with none (relocs_image.c). */
struct finding compare_relocs_image(const struct image *img, struct record *rec);
/* The finding for a record whose process died during a relocation comparison. */
struct finding classify_relocs_crash(const struct record *rec);

#endif /* KLPELF_ORACLE_RELOCS_H */
