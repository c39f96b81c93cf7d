/*
 * test_map.h: the symbol map the livepatch tests resolve against, and symbol maps from text.
 * Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_TEST_MAP_H
#define KLPELF_TEST_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "klpelf.h"

/*
 * System.map lines, /proc/kallsyms lines (tab before [module]), duplicates, an address of 0; every
 * livepatch symbol of the fixture livepatch.c resolves in it. The second load_elf_binary has the
 * lower address: positions count in file order.
 */
extern const char test_map[];

/* The livepatch symbols of the fixtures livepatch.c and klp_relocs.c, and the address each has
 * in test_map. */
struct test_map_symbol {
	const char *name;   /* .klp.sym.<object>.<symbol>,<position> */
	unsigned long addr; /* in test_map */
	const char *object; /* NULL: vmlinux */
};
extern const struct test_map_symbol test_map_symbols[];
#define TEST_MAP_SYMBOLS 7

/* The address of the livepatch symbol named `klp_sym_name` in test_map_symbols, 0 if none
 * (an lp_address_fn; `ctx` is unused). */
uint64_t test_map_address(const char *klp_sym_name, void *ctx);

/*
 * The tests' own reading of a System.map or /proc/kallsyms file at `path`: the address of the
 * `sympos`-th (0: the only) symbol `name` of `object` (NULL: vmlinux, the lines without
 * [module]), or 0 when the kernel's rules find none. `*count` gets the number of candidates.
 */
unsigned long scan_map(const char *path, const char *object, const char *name,
		       unsigned long sympos, unsigned int *count);

/* A symbol map from text, checked (a rejection is reported with klpelf's message); NULL if it was
 * rejected. */
struct klpelf_symbol_map *map_from(const char *text);

#endif /* KLPELF_TEST_MAP_H */
