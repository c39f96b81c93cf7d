/*
 * klpelf-inspect --relocs: the offline pre-flight of a livepatch module's relocations. With the
 * module's .klp.sym symbols resolved against a symbol map (--resolve), every SHF_ALLOC section is
 * placed from a base address in the module area, each livepatch relocation is described as the
 * kernel would compute it there (klpelf_klp_describe_relocs), and the relocations are applied, one
 * object at a time, into copies of the sections (klpelf_klp_apply_object_relocs), which names the
 * first failure the kernel would report. SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_RELOCS_H
#define KLPELF_INSPECT_RELOCS_H

#include <stddef.h>
#include <stdint.h>

#include <klpelf.h>

struct resolution;

/* One relocation, as described. */
struct reloc_row {
	unsigned int secndx;  /* its livepatch relocation section */
	struct klpelf_reloc r;
	const char *symbol;   /* its symbol's name, NULL when the index is past the table */
	int resolved;         /* a livepatch symbol whose address the map gave */
};

/* Applying the relocations for one object (vmlinux, or a module). */
struct object_result {
	char name[MODULE_NAME_LEN];
	int err;       /* klpelf_klp_apply_object_relocs() */
	char why[256]; /* its message when it failed */
};

struct preflight {
	const struct module *mod;
	uint64_t base;
	int strict; /* truncations count as failures */
	struct klpelf_section_place *places;
	size_t *sizes;
	size_t count;
	struct reloc_row *rows;
	size_t nrows, cap;
	struct object_result *objects;
	size_t nobjects;
	size_t sections; /* livepatch relocation sections described */
	size_t warnings; /* relocations the kernel would truncate */
	int err;         /* the first failure, in the kernel's order: 0 when none */
	char why[MODULE_NAME_LEN + 260]; /* its object and message */
};

/* Runs the pre-flight on a module that went through --resolve (res). `image` is the module file's
 * bytes, which `info` describes. Returns 0, or -ENOMEM. */
int preflight_run(struct module *mod, const struct load_info *info, const unsigned char *image,
		  const struct resolution *res, struct preflight *p);

/* Whether the pre-flight says the module would fail: a refusal, or a truncation with --strict. */
int preflight_failed(const struct preflight *p);

void preflight_free(struct preflight *p);
void print_preflight_text(const struct preflight *p);
/* The "relocs" member of the JSON report, with its leading comma. */
void print_preflight_json(const struct preflight *p);

#endif
