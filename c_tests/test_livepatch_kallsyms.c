/*
 * test_livepatch_kallsyms.c: the sample livepatch module (tools/sample_livepatch.c, converted by
 * klp_convert) resolved through the C API against /proc/kallsyms of this machine, compared with
 * the addresses this test finds by scanning /proc/kallsyms itself. Exits 77 (skipped, with a
 * "skipped: ..." line) when /proc/kallsyms is unreadable, shows only zero addresses, or lacks a
 * symbol the sample needs. Usage: test_livepatch_kallsyms SAMPLE_O
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "klpelf.h"
#include "lp_module.h"

#define MAX_OCCURRENCES 8

/* The vmlinux symbols the sample module uses (tools/sample_livepatch.c). */
static struct {
	const char *klp_name, *name;
	unsigned long sympos;
	unsigned int count;
	unsigned long addrs[MAX_OCCURRENCES];
} sample_symbols[] = {
	{ ".klp.sym.vmlinux.cmdline_proc_show,0", "cmdline_proc_show", 0, 0, { 0 } },
	{ ".klp.sym.vmlinux.load_elf_binary,1", "load_elf_binary", 1, 0, { 0 } },
};
#define SAMPLE_SYMBOLS (sizeof(sample_symbols) / sizeof(sample_symbols[0]))

/* Scans /proc/kallsyms for the sample's symbols (vmlinux lines: no [module]). Returns 0, or
 * prints why the comparison cannot be made and returns TEST_SKIPPED. */
static int scan_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[1024];
	unsigned long lines = 0, nonzero = 0;
	size_t k;

	if (!f) {
		printf("skipped: /proc/kallsyms is not readable here (%s)\n", strerror(errno));
		return TEST_SKIPPED;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long addr;
		char type, name[600], module[600];
		int fields = sscanf(line, "%lx %c %599s %599s", &addr, &type, name, module);

		if (fields < 3)
			continue;
		lines++;
		nonzero += addr != 0;
		if (fields != 3)
			continue;
		for (k = 0; k < SAMPLE_SYMBOLS; k++)
			if (strcmp(name, sample_symbols[k].name) == 0 &&
			    sample_symbols[k].count < MAX_OCCURRENCES)
				sample_symbols[k].addrs[sample_symbols[k].count++] = addr;
	}
	fclose(f);
	if (lines == 0 || nonzero == 0) {
		printf("skipped: /proc/kallsyms lists %lu symbols, none with a non-zero address "
		       "(kernel.kptr_restrict, or not privileged)\n",
		       lines);
		return TEST_SKIPPED;
	}
	for (k = 0; k < SAMPLE_SYMBOLS; k++) {
		unsigned int need = sample_symbols[k].sympos ? (unsigned int)sample_symbols[k].sympos : 1;
		if (sample_symbols[k].count < need ||
		    (sample_symbols[k].sympos == 0 && sample_symbols[k].count != 1)) {
			printf("skipped: the running kernel's /proc/kallsyms lists %s %u time(s); the "
			       "sample needs %s\n",
			       sample_symbols[k].name, sample_symbols[k].count,
			       sample_symbols[k].sympos ? "at least that position" : "exactly one");
			return TEST_SKIPPED;
		}
		printf("  /proc/kallsyms: %s occurs %u time(s), first at %#lx\n", sample_symbols[k].name,
		       sample_symbols[k].count, sample_symbols[k].addrs[0]);
	}
	return 0;
}

static int test_kallsyms(const char *sample)
{
	struct klpelf_symbol_map *map = NULL;
	struct lp_module lp;
	int rc = scan_kallsyms();
	size_t k;

	if (rc)
		return rc;
	if (!CHECK_EQ_INT(klpelf_symbol_map_load("/proc/kallsyms", &map), 0)) {
		fprintf(stderr, "  %s\n", klpelf_last_error());
		return 1;
	}
	if (lp_open(sample, &lp)) {
		rc = klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map);
		if (!CHECK_EQ_INT(rc, 0))
			fprintf(stderr, "  %s\n", klpelf_last_error());
		for (k = 0; k < SAMPLE_SYMBOLS; k++) {
			unsigned int ndx = lp_find_symbol(&lp, sample_symbols[k].klp_name);
			unsigned long pos = sample_symbols[k].sympos ? sample_symbols[k].sympos : 1;
			unsigned long want = sample_symbols[k].addrs[pos - 1];
			if (!CHECK(ndx != 0))
				continue;
			CHECK_EQ_INT(lp.mod.core_kallsyms.symtab[ndx].st_shndx, KLP_SHN_LIVEPATCH);
			CHECK_EQ_U64(lp.mod.core_kallsyms.symtab[ndx].st_value, want);
			printf("  %-40s -> %#lx (the scan: %#lx)\n", sample_symbols[k].klp_name,
			       (unsigned long)lp.mod.core_kallsyms.symtab[ndx].st_value, want);
		}
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
	return 0;
}

static int run(char **args)
{
	return test_kallsyms(args[0]);
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 1, "SAMPLE_O", run);
}
