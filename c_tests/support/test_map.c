/*
 * test_map.c: see test_map.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "test_map.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

const char test_map[] = "ffffffff81000000 T _stext\n"
			"ffffffff81785530 t cmdline_proc_show\n"
			"ffffffff81756450 t load_elf_binary\n"
			"ffffffff817533a0 t load_elf_binary\n"
			"ffffffff81004000 t helper.isra.0\n"
			"ffffffff81001000 t helper\n"
			"ffffffff82000000 D jiffies\n"
			"0000000000000000 A zero_addr\n"
			"\n"
			"ffffffffc0001000 t helper\t[ext4]\n"
			"ffffffffc0002000 T ext4_fill_super\t[ext4]\n"
			"ffffffffc0003000 t helper [ext4]\n"
			"ffffffffc0004000 t helper\t[btrfs]\n";

const struct test_map_symbol test_map_symbols[TEST_MAP_SYMBOLS] = {
	{ ".klp.sym.vmlinux.cmdline_proc_show,0", 0xffffffff81785530UL, NULL },
	{ ".klp.sym.vmlinux.load_elf_binary,1", 0xffffffff81756450UL, NULL },
	{ ".klp.sym.vmlinux.load_elf_binary,2", 0xffffffff817533a0UL, NULL },
	{ ".klp.sym.vmlinux.helper.isra.0,0", 0xffffffff81004000UL, NULL },
	{ ".klp.sym.vmlinux.jiffies,0", 0xffffffff82000000UL, NULL },
	{ ".klp.sym.ext4.ext4_fill_super,0", 0xffffffffc0002000UL, "ext4" },
	{ ".klp.sym.ext4.helper,2", 0xffffffffc0003000UL, "ext4" },
};

uint64_t test_map_address(const char *klp_sym_name, void *ctx)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < TEST_MAP_SYMBOLS; i++)
		if (strcmp(test_map_symbols[i].name, klp_sym_name) == 0)
			return test_map_symbols[i].addr;
	return 0;
}

struct klpelf_symbol_map *map_from(const char *text)
{
	struct klpelf_symbol_map *map = NULL;

	if (!CHECK_EQ_INT(klpelf_symbol_map_load_buffer(text, strlen(text), &map), 0))
		fprintf(stderr, "  map rejected: %s\n", klpelf_last_error());
	return map;
}
