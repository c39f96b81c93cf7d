/*
 * test_livepatch_relocs_kbuild.c: applying and clearing the livepatch relocations of a real
 * livepatch module built by kbuild (tests/fixtures/kbuild/relocs/klpelf_relocs.c, converted by
 * klp_convert; the test inspect_kbuild_relocs builds it) through the public API, against a real
 * kallsyms-format map: the running kernel's /proc/kallsyms (or the headers' kernel's System.map)
 * with the symbols of the second kbuild module, klpelf_target.ko, as if it were loaded. The
 * module's sections are placed in the module area in guarded copies; after each step every placed
 * section is compared byte for byte with the test's own computation from the module file, its own
 * scan of the map and the psABI's formulas. Then: apply twice (the kernel's refusal), clear each
 * object, and clear after a target changed (the kernel's mismatch). Exits 77 (skipped) without
 * the module or the map. Usage: test_livepatch_relocs_kbuild MODULE_KO MAP
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "failure.h"
#include "klpelf.h"
#include "lp_module.h"
#include "lp_relocs.h"
#include "test_map.h"

#define TARGET "klpelf_target"

static const char *const none[] = { NULL };
static const char *const vmlinux[] = { "vmlinux", NULL };
static const char *const both[] = { "vmlinux", TARGET, NULL };

/* The map's path and the addresses its scan found, by .klp.sym name (a scan reads the whole map,
 * some 120,000 lines of /proc/kallsyms, so each name is scanned once). */
struct scanned {
	const char *path;
	unsigned int count;
	char names[16][KSYM_NAME_LEN];
	uint64_t addrs[16];
};

/* The address of a .klp.sym symbol in the map, by the test's own scan (ctx: a struct scanned). */
static uint64_t scan_address(const char *klp_sym_name, void *ctx)
{
	struct scanned *s = ctx;
	char obj[MODULE_NAME_LEN], name[KSYM_NAME_LEN];
	unsigned long sympos;
	unsigned int count, i;

	for (i = 0; i < s->count; i++)
		if (strcmp(s->names[i], klp_sym_name) == 0)
			return s->addrs[i];
	/* the C library's sscanf with the kernel's format: these names are plain */
	if (sscanf(klp_sym_name, ".klp.sym.%55[^.].%511[^,],%lu", obj, name, &sympos) != 3 ||
	    !CHECK(s->count < 16))
		return 0;
	snprintf(s->names[s->count], KSYM_NAME_LEN, "%s", klp_sym_name);
	s->addrs[s->count] = scan_map(s->path, strcmp(obj, "vmlinux") ? obj : NULL, name, sympos,
				      &count);
	return s->addrs[s->count++];
}

static int apply(struct lp_module *lp, struct lp_layout *l, const char *objname,
		 struct klpelf_symbol_map *map)
{
	return klpelf_klp_apply_object_relocs(&lp->mod, objname, &l->layout,
					      klpelf_symbol_map_resolve, map);
}

static void test_real_module(struct lp_module *lp, struct lp_layout *l, const char *map_path,
			     struct klpelf_symbol_map *map)
{
	static struct scanned scanned;
	struct scanned *map_ctx = &scanned;
	unsigned int written;

	scanned.path = map_path;
	lp_check_placed(lp, l, none, scan_address, map_ctx);
	CHECK_EQ_INT(apply(lp, l, NULL, map), 0);
	written = lp_check_placed(lp, l, vmlinux, scan_address, map_ctx);
	printf("  vmlinux: %u relocations written\n", written);
	CHECK_EQ_INT(written, 9); /* .text.klp_vmlinux: 3; .rodata.klp_types: 6 (and a NONE) */
	CHECK_EQ_INT(apply(lp, l, TARGET, map), 0);
	written = lp_check_placed(lp, l, both, scan_address, map_ctx);
	printf("  vmlinux and %s: %u relocations written\n", TARGET, written);
	CHECK_EQ_INT(written, 12);

	check_failure("apply again", apply(lp, l, TARGET, map), -ENOEXEC,
		      "existing value is nonzero");
	CHECK_EQ_INT(klpelf_klp_clear_object_relocs(&lp->mod, TARGET, &l->layout), 0);
	lp_check_placed(lp, l, vmlinux, scan_address, map_ctx);
	CHECK_EQ_INT(klpelf_klp_clear_object_relocs(&lp->mod, NULL, &l->layout), 0);
	lp_check_placed(lp, l, none, scan_address, map_ctx);
}

/* A changed target: clear stops that section there and reports the kernel's mismatch. */
static void test_tampered(struct lp_module *lp, struct lp_layout *l, struct klpelf_symbol_map *map)
{
	unsigned int i = lp_find_section(lp, ".klp.rela." TARGET "..text.klp_target");
	unsigned int target = lp->mod.klp_info->sechdrs[i].sh_info;
	size_t count;
	const Elf64_Rela *relas = lp_relas(lp, i, &count);
	unsigned char *at;

	if (!CHECK(i != 0 && count == 2))
		return;
	CHECK_EQ_INT(apply(lp, l, TARGET, map), 0);
	at = (unsigned char *)l->places[target].mem + relas[1].r_offset;
	at[0] ^= 1;
	check_failure("clear after a target changed",
		      klpelf_klp_clear_object_relocs(&lp->mod, TARGET, &l->layout), -ENOEXEC,
		      "existing value does not match expected value");
	CHECK(contains(klpelf_last_error(), "idx 1, type 2"));
	at[0] ^= 1;
	lp_layout_reset(l, lp);
}

static int run(char **args)
{
	struct klpelf_symbol_map *map = NULL;
	struct lp_module lp;
	struct lp_layout l;

	if (access(args[0], R_OK) != 0 || access(args[1], R_OK) != 0) {
		printf("skipped: no kbuild relocation module %s or map %s (inspect_kbuild_relocs "
		       "found no kernel headers or no real kallsyms)\n",
		       args[0], args[1]);
		return TEST_SKIPPED;
	}
	printf("  %s against %s\n", args[0], args[1]);
	if (!CHECK_EQ_INT(klpelf_symbol_map_load(args[1], &map), 0) || !lp_open(args[0], &lp)) {
		klpelf_symbol_map_free(map);
		return 1;
	}
	if (CHECK(lp_layout_init(&l, &lp, LP_MODULE_AREA))) {
		test_real_module(&lp, &l, args[1], map);
		test_tampered(&lp, &l, map);
		lp_layout_free(&l);
	}
	lp_close(&lp);
	klpelf_symbol_map_free(map);
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 2, "MODULE_KO MAP", run);
}
