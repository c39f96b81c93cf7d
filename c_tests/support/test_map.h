/*
 * test_map.h: the symbol map the livepatch tests resolve against, and symbol maps from text.
 * Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_TEST_MAP_H
#define KLPELF_TEST_MAP_H

#include "klpelf.h"

/*
 * System.map lines, /proc/kallsyms lines (tab before [module]), duplicates, an address of 0; every
 * livepatch symbol of the fixture livepatch.c resolves in it. The second load_elf_binary has the
 * lower address: positions count in file order.
 */
extern const char test_map[];

/* A symbol map from text, checked (a rejection is reported with klpelf's message); NULL if it was
 * rejected. */
struct klpelf_symbol_map *map_from(const char *text);

#endif /* KLPELF_TEST_MAP_H */
