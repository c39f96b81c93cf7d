/*
 * test_livepatch_kbuild.c: a real livepatch module built by kbuild and converted by klp_convert
 * (the test inspect_kbuild makes it) resolved through the C API against the real System.map of the
 * kernel its headers belong to: every SHN_LIVEPATCH symbol's st_value is the address the kernel's
 * rules pick in this test's own scan of the map. Exits 77 (skipped) without the module or without
 * a real System.map (/boot/System.map-<version>, or the -dbg package's path).
 * Usage: test_livepatch_kbuild MODULE_KO KERNEL_VERSION_FILE
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _DEFAULT_SOURCE

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "klpelf.h"
#include "lp_module.h"
#include "test_map.h"

static int real_system_map(const char *path)
{
	unsigned int count;

	return scan_map(path, NULL, "_stext", 0, &count) != 0;
}

static int test_kbuild(const char *module, const char *version_file)
{
	FILE *f = fopen(version_file, "r");
	char version[256] = "", candidates[2][400];
	const char *map_path = NULL;
	struct klpelf_symbol_map *map = NULL;
	struct lp_module lp;
	unsigned int i, checked = 0;
	size_t k;

	if (!f || access(module, R_OK) != 0) {
		if (f)
			fclose(f);
		printf("skipped: no converted kbuild livepatch module %s (inspect_kbuild found no "
		       "kernel headers)\n",
		       module);
		return TEST_SKIPPED;
	}
	if (!fgets(version, sizeof(version), f))
		version[0] = '\0';
	fclose(f);
	version[strcspn(version, "\n")] = '\0';
	snprintf(candidates[0], sizeof(candidates[0]), "/boot/System.map-%s", version);
	snprintf(candidates[1], sizeof(candidates[1]), "/usr/lib/debug/boot/System.map-%s", version);
	for (k = 0; k < 2 && !map_path; k++)
		if (real_system_map(candidates[k]))
			map_path = candidates[k];
	if (!map_path) {
		printf("skipped: no real System.map for kernel %s (looked for %s and %s)\n", version,
		       candidates[0], candidates[1]);
		return TEST_SKIPPED;
	}
	printf("  %s against %s\n", module, map_path);
	if (!CHECK_EQ_INT(klpelf_symbol_map_load(map_path, &map), 0) || !lp_open(module, &lp)) {
		klpelf_symbol_map_free(map);
		return 1;
	}
	if (!CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map), 0))
		fprintf(stderr, "  %s\n", klpelf_last_error());
	for (i = 1; i < lp.mod.core_kallsyms.num_symtab; i++) {
		const Elf64_Sym *sym = &lp.mod.core_kallsyms.symtab[i];
		char obj[MODULE_NAME_LEN], name[KSYM_NAME_LEN];
		unsigned long sympos, want;
		unsigned int count;

		if (sym->st_shndx != KLP_SHN_LIVEPATCH)
			continue;
		/* the C library's sscanf with the kernel's format: this module's names are plain */
		if (!CHECK_EQ_INT(sscanf(lp_sym_name(&lp, i), ".klp.sym.%55[^.].%511[^,],%lu", obj, name,
					 &sympos),
				  3))
			continue;
		CHECK_EQ_STR(obj, "vmlinux");
		want = scan_map(map_path, NULL, name, sympos, &count);
		CHECK(want != 0);
		CHECK_EQ_U64(sym->st_value, want);
		printf("  %-40s -> %#lx (the scan: %#lx, %u occurrence(s))\n", lp_sym_name(&lp, i),
		       (unsigned long)sym->st_value, want, count);
		checked++;
	}
	CHECK_EQ_INT(checked, 3);
	lp_close(&lp);
	klpelf_symbol_map_free(map);
	return 0;
}

static int run(char **args)
{
	return test_kbuild(args[0], args[1]);
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 2, "MODULE_KO KERNEL_VERSION_FILE", run);
}
