/*
 * klpelf-inspect --resolve: the pre-flight check of a livepatch module against a symbol map. Every
 * .klp.sym symbol is resolved by its name with the kernel's rules; when all resolve, the kernel's
 * resolution walk runs over the livepatch relocation sections and must write what was listed.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_RESOLVE_H
#define KLPELF_INSPECT_RESOLVE_H

#include <stddef.h>

#include <klpelf.h>

/* One .klp.sym symbol and what the map says of it. */
struct reference {
	const char *symbol;          /* the .klp.sym name, in core_kallsyms.strtab */
	char objname[MODULE_NAME_LEN];
	char symname[KSYM_NAME_LEN];
	unsigned long sympos;
	unsigned long addr;
	int ok;
	char why[256];               /* klpelf_last_error() when !ok */
};

struct resolution {
	const char *map_path;
	struct klpelf_symbol_map *map;
	struct reference *refs;
	size_t count;
	size_t failed;
	int walk_err;                /* klpelf_resolve_symbols(): 0, or its error */
	char walk_why[256];
	size_t walked_sections;
	size_t walk_written;         /* livepatch symbols the walk gave an address */
	struct preflight *preflight; /* --relocs, or NULL */
};

/* Lists and resolves every livepatch symbol; then, if all resolved, runs the kernel's walk. */
int resolve_all(struct module *mod, struct resolution *res);
void print_resolution_text(const struct resolution *r);
/* The "resolve" member of the JSON report, with its leading comma. */
void print_resolution_json(const struct resolution *r);

#endif
