/*
 * test_livepatch_resolve.c: klpelf_resolve_symbols() on a compiler-made livepatch module
 * (fixtures/livepatch.c converted by klp_convert) taken through klpelf_setup_load_info() ->
 * klpelf_prepare_module() -> copy_module_elf(), against symbol maps written here: every .klp.sym
 * symbol's st_value in core_kallsyms.symtab becomes the expected address and nothing else changes,
 * one object at a time; a resolver's own error is passed on; resolution failures come in the
 * kernel's words; the module-specific rule (a .klp.rela.<module> section may not use a vmlinux
 * symbol) on livepatch_bad.o. Usage: test_livepatch_resolve LIVEPATCH_O LIVEPATCH_BAD_O
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "failure.h"
#include "klpelf.h"
#include "lp_module.h"
#include "test_map.h"


/* Counts the resolver's calls per object while resolving with the symbol map. */
struct counting_resolver {
	struct klpelf_symbol_map *map;
	unsigned int vmlinux_calls, module_calls;
	int fail_rc; /* when non-zero, every call fails with it */
};

static int counting_resolve(const char *objname, const char *symname, unsigned long sympos,
			    unsigned long *addr, void *ctx)
{
	struct counting_resolver *r = ctx;

	CHECK(objname == NULL || strcmp(objname, "vmlinux") != 0); /* vmlinux is NULL */
	if (objname)
		r->module_calls++;
	else
		r->vmlinux_calls++;
	if (r->fail_rc)
		return r->fail_rc;
	return klpelf_symbol_map_resolve(objname, symname, sympos, addr, r->map);
}

/* The values of every symbol, to compare after a resolution. */
static Elf64_Addr *snapshot(const struct lp_module *lp)
{
	unsigned int i, n = lp->mod.core_kallsyms.num_symtab;
	Elf64_Addr *values = calloc(n, sizeof(*values));

	if (CHECK(values != NULL))
		for (i = 0; i < n; i++)
			values[i] = lp->mod.core_kallsyms.symtab[i].st_value;
	return values;
}

/* Every symbol is as in `before`, except the livepatch symbols of the objects resolved so far
 * (`vmlinux`, `ext4`), which have their expected addresses. */
static void check_values(const struct lp_module *lp, const Elf64_Addr *before, int vmlinux,
			 int ext4)
{
	const Elf64_Sym *syms = lp->mod.core_kallsyms.symtab;
	unsigned int i, livepatch = 0;
	size_t k;

	for (i = 0; i < lp->mod.core_kallsyms.num_symtab; i++) {
		const struct test_map_symbol *e = NULL;
		for (k = 0; k < TEST_MAP_SYMBOLS; k++)
			if (strcmp(lp_sym_name(lp, i), test_map_symbols[k].name) == 0)
				e = &test_map_symbols[k];
		if (syms[i].st_shndx == KLP_SHN_LIVEPATCH) {
			livepatch++;
			if (!CHECK(e != NULL)) {
				fprintf(stderr, "  unexpected livepatch symbol %s\n", lp_sym_name(lp, i));
				continue;
			}
		}
		if (e && ((e->object == NULL && vmlinux) || (e->object != NULL && ext4))) {
			if (!CHECK_EQ_U64(syms[i].st_value, e->addr))
				fprintf(stderr, "  %s\n", e->name);
		} else if (!CHECK_EQ_U64(syms[i].st_value, before[i])) {
			fprintf(stderr, "  symbol %u (%s) changed\n", i, lp_sym_name(lp, i));
		}
	}
	CHECK_EQ_INT(livepatch, TEST_MAP_SYMBOLS);
}

/* Every livepatch symbol of the fixture is kept, marked SHN_LIVEPATCH and unresolved (0). */
static void check_unresolved(const struct lp_module *lp)
{
	unsigned int i;

	for (i = 0; i < TEST_MAP_SYMBOLS; i++) {
		unsigned int ndx = lp_find_symbol(lp, test_map_symbols[i].name);
		if (CHECK(ndx != 0)) {
			CHECK_EQ_INT(lp->mod.core_kallsyms.symtab[ndx].st_shndx, KLP_SHN_LIVEPATCH);
			CHECK_EQ_U64(lp->mod.core_kallsyms.symtab[ndx].st_value, 0);
		}
	}
}

/* One object at a time on a fresh module: each resolution touches its own object's symbols. */
static void resolve_in_steps(struct lp_module *lp, struct klpelf_symbol_map *map,
			     const Elf64_Addr *before)
{
	struct counting_resolver r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.map = map;
	/* the module object alone: its section only */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp->mod, "ext4", counting_resolve, &r), 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK_EQ_INT(r.module_calls, 2);
	CHECK_EQ_INT(r.vmlinux_calls, 0);
	check_values(lp, before, 0, 1);
	/* vmlinux: both of its sections (5 + 1 relocations) */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp->mod, NULL, counting_resolve, &r), 0);
	CHECK_EQ_INT(r.module_calls, 2);
	CHECK_EQ_INT(r.vmlinux_calls, 6);
	check_values(lp, before, 1, 1);
	/* an object the module does not patch: nothing */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp->mod, "btrfs", counting_resolve, &r), 0);
	CHECK_EQ_INT(r.module_calls + r.vmlinux_calls, 8);
	check_values(lp, before, 1, 1);
	/* again: the same addresses */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp->mod, NULL, klpelf_symbol_map_resolve, map), 0);
	check_values(lp, before, 1, 1);
	for (i = 0; i < TEST_MAP_SYMBOLS; i++) {
		unsigned int ndx = lp_find_symbol(lp, test_map_symbols[i].name);

		printf("  %-40s -> %#lx\n", test_map_symbols[i].name,
		       (unsigned long)lp->mod.core_kallsyms.symtab[ndx].st_value);
	}
}

/* vmlinux first on a fresh module: the module's symbols stay unresolved; then a resolver's own
 * error, and NULL arguments. */
static void resolve_vmlinux_first(const char *path, struct klpelf_symbol_map *map,
				  const Elf64_Addr *before)
{
	struct lp_module lp;
	struct counting_resolver r;

	if (!lp_open(path, &lp))
		return;
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map), 0);
	check_values(&lp, before, 1, 0);
	/* a resolver's own error is returned as it is, with the symbol named */
	memset(&r, 0, sizeof(r));
	r.fail_rc = -ENOENT;
	check_failure("resolver fails with -ENOENT",
		      klpelf_resolve_symbols(&lp.mod, "ext4", counting_resolve, &r), -ENOENT, "ext4");
	CHECK_EQ_INT(r.module_calls, 1);
	check_values(&lp, before, 1, 0);
	check_failure("resolve: NULL mod",
		      klpelf_resolve_symbols(NULL, NULL, klpelf_symbol_map_resolve, map), -EINVAL,
		      "mod");
	check_failure("resolve: NULL resolve", klpelf_resolve_symbols(&lp.mod, NULL, NULL, map),
		      -EINVAL, "resolve");
	lp_close(&lp);
}

static void test_resolve(const char *path)
{
	struct lp_module lp;
	struct klpelf_symbol_map *map = map_from(test_map);
	Elf64_Addr *before = NULL;

	printf("klpelf_resolve_symbols\n");
	if (map && lp_open(path, &lp)) {
		before = snapshot(&lp);
		if (before) {
			check_unresolved(&lp);
			resolve_in_steps(&lp, map, before);
		}
		lp_close(&lp);
	}
	if (before)
		resolve_vmlinux_first(path, map, before);
	free(before);
	klpelf_symbol_map_free(map);
}

/* Map lines for the fixture's vmlinux symbols but cmdline_proc_show (and load_elf_binary). */
#define VMLINUX_OTHERS                         \
	"ffffffff81004000 t helper.isra.0\n"   \
	"ffffffff82000000 D jiffies\n"
#define VMLINUX_REST                           \
	"ffffffff81756450 t load_elf_binary\n" \
	"ffffffff817533a0 t load_elf_binary\n" VMLINUX_OTHERS

/* Resolution of the fixture's `objname` symbols against `text` fails with `words`. */
static void expect_walk_failure(const char *path, const char *what, const char *text,
				const char *objname, const char *words)
{
	struct lp_module lp;
	struct klpelf_symbol_map *map = map_from(text);

	if (map && lp_open(path, &lp)) {
		check_failure(what, klpelf_resolve_symbols(&lp.mod, objname, klpelf_symbol_map_resolve,
							   map),
			      -EINVAL, words);
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
}

static void test_resolution_failures(const char *path, const char *bad_path)
{
	struct lp_module lp;
	struct klpelf_symbol_map *map;
	struct counting_resolver r;

	printf("resolution failures\n");
	expect_walk_failure(path, "cmdline_proc_show twice in the map",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81785600 t cmdline_proc_show\n" VMLINUX_REST, NULL,
			    "unresolvable ambiguity for symbol 'cmdline_proc_show' in object "
			    "'vmlinux'");
	expect_walk_failure(path, "load_elf_binary only once in the map",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81756450 t load_elf_binary\n" VMLINUX_OTHERS, NULL,
			    "symbol position 2 for symbol 'load_elf_binary' in object 'vmlinux' not "
			    "found");
	expect_walk_failure(path, "jiffies missing from the map",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81756450 t load_elf_binary\n"
			    "ffffffff817533a0 t load_elf_binary\n"
			    "ffffffff81004000 t helper.isra.0\n",
			    NULL, "symbol 'jiffies' not found in symbol table");
	expect_walk_failure(path, "jiffies at address 0",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81756450 t load_elf_binary\n"
			    "ffffffff817533a0 t load_elf_binary\n"
			    "ffffffff81004000 t helper.isra.0\n"
			    "0000000000000000 D jiffies\n",
			    NULL, "symbol 'jiffies' not found in symbol table");
	expect_walk_failure(path, "ext4_fill_super only in vmlinux",
			    "ffffffff81785530 t ext4_fill_super\n"
			    "ffffffffc0001000 t helper\t[ext4]\n"
			    "ffffffffc0003000 t helper\t[ext4]\n",
			    "ext4", "symbol 'ext4_fill_super' not found in symbol table");
	expect_walk_failure(path, "ext4_fill_super in another module",
			    "ffffffffc0002000 T ext4_fill_super\t[xfs]\n"
			    "ffffffffc0001000 t helper\t[ext4]\n"
			    "ffffffffc0003000 t helper\t[ext4]\n",
			    "ext4", "symbol 'ext4_fill_super' not found in symbol table");

	/* the module-specific rule: .klp.rela.btrfs.* may not use a vmlinux symbol */
	map = map_from(test_map);
	if (map && lp_open(bad_path, &lp)) {
		CHECK(lp_find_section(&lp, ".klp.rela.btrfs..rodata.klp_bad") != 0);
		memset(&r, 0, sizeof(r));
		r.map = map;
		check_failure("btrfs section uses vmlinux.cmdline_proc_show",
			      klpelf_resolve_symbols(&lp.mod, "btrfs", counting_resolve, &r), -EINVAL,
			      "invalid access to vmlinux symbol 'cmdline_proc_show' from "
			      "module-specific livepatch relocation section");
		CHECK_EQ_INT(r.module_calls + r.vmlinux_calls, 0);
		/* the other objects' sections are fine */
		CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, counting_resolve, &r), 0);
		CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, "ext4", counting_resolve, &r), 0);
		CHECK_EQ_INT(r.vmlinux_calls, 6);
		CHECK_EQ_INT(r.module_calls, 2);
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
}

static int run(char **args)
{
	test_resolve(args[0]);
	test_resolution_failures(args[0], args[1]);
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 2, "LIVEPATCH_O LIVEPATCH_BAD_O", run);
}
