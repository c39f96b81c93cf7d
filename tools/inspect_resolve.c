/*
 * klpelf-inspect --resolve: the pre-flight check of a livepatch module against a symbol map.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "inspect_resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect_output.h"

#define SHN_LIVEPATCH_INDEX 0xff20

/* Keeps klpelf_last_error() in `out`, which later calls would overwrite. */
static void save_error(char *out, size_t size)
{
	const char *why = klpelf_last_error();
	snprintf(out, size, "%s", why ? why : "");
}

/* Resolves one .klp.sym symbol by its name, as the kernel will. */
static void resolve_reference(struct reference *ref, struct klpelf_symbol_map *map)
{
	int vmlinux;

	if (klpelf_parse_klp_sym_name(ref->symbol, ref->objname, ref->symname, &ref->sympos)) {
		save_error(ref->why, sizeof(ref->why));
		return;
	}
	vmlinux = strcmp(ref->objname, "vmlinux") == 0;
	ref->ok = klpelf_symbol_map_resolve(vmlinux ? NULL : ref->objname, ref->symname,
					    ref->sympos, &ref->addr, map) == 0;
	if (!ref->ok)
		save_error(ref->why, sizeof(ref->why));
}

/* Calls klpelf_resolve_symbols() once per object the relocation sections patch. */
static int walk_object(const struct module *mod, unsigned int secndx, const char *objname, void *ctx)
{
	struct resolution *res = ctx;
	int vmlinux = strcmp(objname, "vmlinux") == 0;

	(void)secndx;
	res->walked_sections++;
	res->walk_err = klpelf_resolve_symbols((struct module *)mod, vmlinux ? NULL : objname,
					       klpelf_symbol_map_resolve, res->map);
	if (res->walk_err)
		save_error(res->walk_why, sizeof(res->walk_why));
	return res->walk_err;
}

/*
 * The addresses the walk wrote must be the ones listed. Livepatch symbols are undefined, so their
 * st_value is 0 until the walk writes it; count what it wrote, and check each against the list.
 */
static void check_walk(const struct module *mod, struct resolution *res)
{
	const Elf64_Sym *syms = mod->core_kallsyms.symtab;
	size_t i, r;

	for (i = 0; i < mod->core_kallsyms.num_symtab && !res->walk_err; i++) {
		if (syms[i].st_shndx != SHN_LIVEPATCH_INDEX || syms[i].st_value == 0)
			continue;
		res->walk_written++;
		for (r = 0; r < res->count; r++)
			if (res->refs[r].symbol == mod->core_kallsyms.strtab + syms[i].st_name &&
			    syms[i].st_value != res->refs[r].addr) {
				res->walk_err = -EINVAL;
				snprintf(res->walk_why, sizeof(res->walk_why),
					 "the walk wrote %#llx for %s, the map says %#lx",
					 (unsigned long long)syms[i].st_value, res->refs[r].symbol,
					 res->refs[r].addr);
			}
	}
}

int resolve_all(struct module *mod, struct resolution *res)
{
	const Elf64_Sym *syms = mod->core_kallsyms.symtab;
	size_t i;

	res->refs = calloc(mod->core_kallsyms.num_symtab + 1, sizeof(*res->refs));
	if (!res->refs)
		return -ENOMEM;
	for (i = 0; i < mod->core_kallsyms.num_symtab; i++) {
		struct reference *ref;
		if (syms[i].st_shndx != SHN_LIVEPATCH_INDEX)
			continue;
		ref = &res->refs[res->count++];
		ref->symbol = mod->core_kallsyms.strtab + syms[i].st_name;
		resolve_reference(ref, res->map);
		res->failed += !ref->ok;
	}
	if (res->failed == 0) {
		klpelf_for_each_klp_rela(mod, walk_object, res);
		check_walk(mod, res);
	}
	return 0;
}

void print_resolution_text(const struct resolution *r)
{
	size_t i;

	printf("\nlivepatch symbols resolved against %s:\n", r->map_path);
	for (i = 0; i < r->count; i++) {
		const struct reference *ref = &r->refs[i];
		if (ref->ok)
			printf("  %-50s %s %s pos %lu -> %#018lx\n", ref->symbol, ref->objname,
			       ref->symname, ref->sympos, ref->addr);
		else
			printf("  %-50s UNRESOLVED: %s\n", ref->symbol, ref->why);
	}
	printf("%zu of %zu resolved", r->count - r->failed, r->count);
	if (r->failed)
		printf("; the kernel would refuse this patch\n");
	else if (r->walk_err)
		printf("; relocation walk failed: %s\n", r->walk_why);
	else
		printf("; relocation walk over %zu section(s) wrote %zu address(es), as listed\n",
		       r->walked_sections, r->walk_written);
}

void print_resolution_json(const struct resolution *r)
{
	size_t i;

	printf(",\"resolve\":{\"map\":");
	json_string(r->map_path);
	printf(",\"references\":[");
	for (i = 0; i < r->count; i++) {
		const struct reference *ref = &r->refs[i];
		printf("%s{\"symbol\":", i ? "," : "");
		json_string(ref->symbol);
		printf(",\"object\":");
		json_string(ref->objname);
		printf(",\"name\":");
		json_string(ref->symname);
		printf(",\"sympos\":%lu,\"resolved\":%s", ref->sympos, ref->ok ? "true" : "false");
		if (ref->ok)
			printf(",\"address\":\"%#lx\"}", ref->addr);
		else {
			printf(",\"error\":");
			json_string(ref->why);
			printf("}");
		}
	}
	printf("],\"unresolved\":%zu,\"walk_sections\":%zu,\"walk_written\":%zu,\"walk_error\":",
	       r->failed, r->walked_sections, r->walk_written);
	if (r->walk_err)
		json_string(r->walk_why);
	else
		printf("null");
	printf("}");
}
