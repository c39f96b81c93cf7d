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

unsigned long scan_map(const char *path, const char *object, const char *name,
		       unsigned long sympos, unsigned int *count)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned long found = 0;

	*count = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long addr;
		char type, sym[600], module[600];
		int fields = sscanf(line, "%lx %c %599s %599s", &addr, &type, sym, module);

		if (fields < 3 || strcmp(sym, name) != 0)
			continue;
		if (object ? fields != 4 || strlen(module) != strlen(object) + 2 ||
				     strncmp(module + 1, object, strlen(object)) != 0
			   : fields != 3)
			continue;
		++*count;
		if ((sympos == 0 && *count == 1) || *count == sympos)
			found = addr;
	}
	fclose(f);
	return (sympos == 0 && *count != 1) ? 0 : found;
}

struct klpelf_symbol_map *map_from(const char *text)
{
	struct klpelf_symbol_map *map = NULL;

	if (!CHECK_EQ_INT(klpelf_symbol_map_load_buffer(text, strlen(text), &map), 0))
		fprintf(stderr, "  map rejected: %s\n", klpelf_last_error());
	return map;
}
