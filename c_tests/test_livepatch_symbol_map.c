/*
 * test_livepatch_symbol_map.c: klpelf's kernel symbol maps (System.map and /proc/kallsyms text)
 * through the C interface: the resolver's sympos rules (position 0 means the only one, positions
 * count in file order), ambiguity, address 0 counting as absent, [module] lines belonging to their
 * module only, every failure in the kernel's words; loading from memory and from files, malformed
 * maps, NULL arguments; the maps klpelf refuses because no symbol could resolve against them:
 * Debian's placeholder System.map and /proc/kallsyms as an unprivileged reader sees it (every
 * address 0). Usage: test_livepatch_symbol_map
 * SPDX-License-Identifier: GPL-2.0-only
 */

#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "failure.h"
#include "klpelf.h"
#include "lp_module.h"
#include "test_map.h"

static void expect_resolved(struct klpelf_symbol_map *map, const char *obj, const char *name,
			    unsigned long pos, unsigned long want)
{
	unsigned long addr = 1;
	int rc = klpelf_symbol_map_resolve(obj, name, pos, &addr, map);

	if (!CHECK_EQ_INT(rc, 0) || !CHECK_EQ_U64(addr, want))
		fprintf(stderr, "  %s.%s,%lu: %s\n", obj ? obj : "vmlinux", name, pos,
			klpelf_last_error());
}

static void expect_unresolved(struct klpelf_symbol_map *map, const char *obj, const char *name,
			      unsigned long pos, const char *words)
{
	unsigned long addr = 0xfeedface;
	char what[160];
	int rc = klpelf_symbol_map_resolve(obj, name, pos, &addr, map);

	snprintf(what, sizeof(what), "resolve %s.%s,%lu", obj ? obj : "vmlinux", name, pos);
	check_failure(what, rc, -EINVAL, words);
	CHECK_EQ_U64(addr, 0xfeedface);
}

/* vmlinux symbols (object NULL): positions, ambiguity, absence. */
static void resolve_vmlinux(struct klpelf_symbol_map *map)
{
	expect_resolved(map, NULL, "cmdline_proc_show", 0, 0xffffffff81785530UL);
	expect_resolved(map, NULL, "cmdline_proc_show", 1, 0xffffffff81785530UL);
	expect_resolved(map, NULL, "_stext", 0, 0xffffffff81000000UL);
	expect_resolved(map, NULL, "helper.isra.0", 0, 0xffffffff81004000UL);
	/* a name twice in vmlinux: position 0 is ambiguous, 1 and 2 are the first and second lines */
	expect_unresolved(map, NULL, "load_elf_binary", 0,
			  "unresolvable ambiguity for symbol 'load_elf_binary' in object 'vmlinux'");
	expect_resolved(map, NULL, "load_elf_binary", 1, 0xffffffff81756450UL);
	expect_resolved(map, NULL, "load_elf_binary", 2, 0xffffffff817533a0UL);
	expect_unresolved(map, NULL, "load_elf_binary", 3,
			  "symbol position 3 for symbol 'load_elf_binary' in object 'vmlinux' not "
			  "found");
	expect_unresolved(map, NULL, "cmdline_proc_show", 2,
			  "symbol position 2 for symbol 'cmdline_proc_show' in object 'vmlinux' not "
			  "found");
	expect_unresolved(map, NULL, "nope", 0, "symbol 'nope' not found in symbol table");
	expect_unresolved(map, NULL, "nope", 1, "symbol 'nope' not found in symbol table");
	expect_unresolved(map, NULL, "cmdline_proc_sho", 0,
			  "symbol 'cmdline_proc_sho' not found in symbol table");
	/* an address of 0 counts as not found, as in the kernel */
	expect_unresolved(map, NULL, "zero_addr", 0, "symbol 'zero_addr' not found in symbol table");
}

/* [module] lines belong to their module only; vmlinux lines to vmlinux only. */
static void resolve_modules(struct klpelf_symbol_map *map)
{
	expect_resolved(map, NULL, "helper", 0, 0xffffffff81001000UL);
	expect_resolved(map, "ext4", "ext4_fill_super", 0, 0xffffffffc0002000UL);
	expect_unresolved(map, NULL, "ext4_fill_super", 0,
			  "symbol 'ext4_fill_super' not found in symbol table");
	expect_unresolved(map, "btrfs", "ext4_fill_super", 0,
			  "symbol 'ext4_fill_super' not found in symbol table");
	expect_unresolved(map, "ext4", "cmdline_proc_show", 0,
			  "symbol 'cmdline_proc_show' not found in symbol table");
	expect_unresolved(map, "ext4", "helper", 0,
			  "unresolvable ambiguity for symbol 'helper' in object 'ext4'");
	expect_resolved(map, "ext4", "helper", 1, 0xffffffffc0001000UL);
	expect_resolved(map, "ext4", "helper", 2, 0xffffffffc0003000UL);
	expect_unresolved(map, "ext4", "helper", 3,
			  "symbol position 3 for symbol 'helper' in object 'ext4' not found");
	expect_resolved(map, "btrfs", "helper", 0, 0xffffffffc0004000UL);
	expect_unresolved(map, "xfs", "helper", 0, "symbol 'helper' not found in symbol table");
}

static void resolve_null_arguments(struct klpelf_symbol_map *map)
{
	unsigned long addr = 0;

	check_failure("resolve: NULL symname",
		      klpelf_symbol_map_resolve(NULL, NULL, 0, &addr, map), -EINVAL, "symname");
	check_failure("resolve: NULL addr",
		      klpelf_symbol_map_resolve(NULL, "_stext", 0, NULL, map), -EINVAL, "addr");
	check_failure("resolve: NULL map",
		      klpelf_symbol_map_resolve(NULL, "_stext", 0, &addr, NULL), -EINVAL, "ctx");
}

/* Loading: an empty map, a malformed line, NULL arguments, a missing file. */
static void load_maps(void)
{
	const char *malformed = "ffffffff81000000 T a\nnot-hex T b\n";
	struct klpelf_symbol_map *empty = NULL, *bad = NULL;

	if (CHECK_EQ_INT(klpelf_symbol_map_load_buffer("", 0, &empty), 0)) {
		expect_unresolved(empty, NULL, "_stext", 0, "not found in symbol table");
		klpelf_symbol_map_free(empty);
	}
	check_failure("map: malformed line 2",
		      klpelf_symbol_map_load_buffer(malformed, strlen(malformed), &bad), -EINVAL,
		      "line 2");
	CHECK(bad == NULL);
	check_failure("map: NULL buffer", klpelf_symbol_map_load_buffer(NULL, 1, &bad), -EINVAL,
		      NULL);
	check_failure("map: NULL out", klpelf_symbol_map_load_buffer("", 0, NULL), -EINVAL, NULL);
	check_failure("map: NULL path", klpelf_symbol_map_load(NULL, &bad), -EINVAL, NULL);
	check_failure("map: missing file",
		      klpelf_symbol_map_load("/nonexistent/klpelf/System.map", &bad), -ENOENT,
		      "/nonexistent/klpelf/System.map");
	CHECK(bad == NULL);
	/* the C library's words for the errno, not Rust's "(os error N)" */
	CHECK(contains(klpelf_last_error(), "No such file or directory"));
	CHECK(!contains(klpelf_last_error(), "os error"));
	klpelf_symbol_map_free(NULL);
}

/* test_map with every address 0, as /proc/kallsyms reads without privilege; malloc'd. */
static char *zeroed_copy(const char *map)
{
	char *copy = malloc(strlen(map) + 1);
	size_t at = 0;

	if (!copy)
		return NULL;
	strcpy(copy, map);
	while (copy[at]) {
		size_t line_end = at + strcspn(copy + at, "\n");
		size_t hex = strspn(copy + at, "0123456789abcdefABCDEF");
		memset(copy + at, '0', hex);
		at = copy[line_end] ? line_end + 1 : line_end;
	}
	return copy;
}

/* A map of no use is refused with what to do: Debian's placeholder (its one line as the kernel
 * package's debian/rules writes it, from a file), and a map whose addresses are all 0. */
static void refuse_useless_maps(void)
{
	const char *placeholder =
		"ffffffffffffffff B The real System.map is in the linux-image-6.1.0-57-amd64-dbg "
		"package\n";
	char path[] = "/tmp/klpelf-placeholder-XXXXXX";
	struct klpelf_symbol_map *bad = NULL;
	char *zeroed = zeroed_copy(test_map);
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (CHECK(f != NULL) && CHECK(fputs(placeholder, f) >= 0) && CHECK(fclose(f) == 0)) {
		check_failure("map: Debian's placeholder System.map", klpelf_symbol_map_load(path, &bad),
			      -ENODATA, "use the System.map from the kernel's -dbg package");
		CHECK(contains(klpelf_last_error(), "linux-image-6.1.0-57-amd64-dbg"));
		CHECK(bad == NULL);
	}
	if (fd >= 0)
		remove(path);
	check_failure("map: the placeholder from memory",
		      klpelf_symbol_map_load_buffer(placeholder, strlen(placeholder), &bad), -ENODATA,
		      "-dbg package");
	if (CHECK(zeroed != NULL)) {
		check_failure("map: every address 0",
			      klpelf_symbol_map_load_buffer(zeroed, strlen(zeroed), &bad), -EPERM,
			      "run as root");
		CHECK(bad == NULL);
	}
	free(zeroed);
}

static int run(char **args)
{
	struct klpelf_symbol_map *map;

	(void)args;
	printf("symbol map\n");
	map = map_from(test_map);
	if (map) {
		resolve_vmlinux(map);
		resolve_modules(map);
		resolve_null_arguments(map);
		klpelf_symbol_map_free(map);
		load_maps();
		refuse_useless_maps();
	}
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 0, "", run);
}
