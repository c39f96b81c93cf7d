/*
 * test_livepatch_relocs.c: applying and clearing the livepatch relocations of a compiler-made
 * module that uses every x86-64 relocation type (fixtures/klp_relocs.c, converted by klp_convert),
 * placed in the module area in guarded copies, resolved against test_map. After every step each
 * placed section is compared byte for byte with the test's own computation (lp_relocs.h): apply
 * per object, the kernel's refusal to apply twice, clear, a clear that meets a changed target
 * (that section stops, the others are cleared), an apply that stops midway (what was written
 * before stays), the one-section call, describe, and a live writer with its sync calls.
 * Usage: test_livepatch_relocs KLP_RELOCS_O
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "failure.h"
#include "klpelf.h"
#include "lp_module.h"
#include "lp_relocs.h"
#include "test_map.h"

#define TEXT_SECTION ".klp.rela.vmlinux..text.klp_vmlinux"
#define TYPES_SECTION ".klp.rela.vmlinux..rodata.klp_types"
#define EXT4_SECTION ".klp.rela.ext4..text.klp_ext4"

static const char *const none[] = { NULL };
static const char *const vmlinux[] = { "vmlinux", NULL };
static const char *const both[] = { "vmlinux", "ext4", NULL };

/* The module, its placement and the map every test starts from. */
struct fixture {
	struct lp_module lp;
	struct lp_layout l;
	struct klpelf_symbol_map *map;
};

static int fixture_open(struct fixture *f, const char *path, uint64_t base)
{
	memset(f, 0, sizeof(*f));
	if (!lp_open(path, &f->lp))
		return 0;
	f->map = map_from(test_map);
	if (CHECK(f->map != NULL) && CHECK(lp_layout_init(&f->l, &f->lp, base)))
		return 1;
	klpelf_symbol_map_free(f->map);
	lp_close(&f->lp);
	return 0;
}

static void fixture_close(struct fixture *f)
{
	lp_layout_free(&f->l);
	klpelf_symbol_map_free(f->map);
	lp_close(&f->lp);
}

static int apply(struct fixture *f, const char *objname)
{
	return klpelf_klp_apply_object_relocs(&f->lp.mod, objname, &f->l.layout,
					      klpelf_symbol_map_resolve, f->map);
}

/* The bytes at offset `off` of the target of section `name`'s relocation `r`. */
static unsigned char *target_of(struct fixture *f, const char *name, size_t r)
{
	unsigned int i = lp_find_section(&f->lp, name);
	size_t count;
	const Elf64_Rela *relas = lp_relas(&f->lp, i, &count);
	unsigned int target = f->lp.mod.klp_info->sechdrs[i].sh_info;

	return (unsigned char *)f->l.places[target].mem + relas[r].r_offset;
}

static void test_apply_and_clear(const char *path)
{
	struct fixture f;

	printf("apply vmlinux, then ext4; apply twice; clear ext4, then vmlinux\n");
	if (!fixture_open(&f, path, LP_MODULE_AREA))
		return;
	lp_check_placed(&f.lp, &f.l, none, test_map_address, NULL);
	CHECK_EQ_INT(apply(&f, NULL), 0);
	/* .text.klp_vmlinux: PLT32, PC32, 32S; .rodata.klp_types: six types write, NONE not */
	CHECK_EQ_INT(lp_check_placed(&f.lp, &f.l, vmlinux, test_map_address, NULL), 9);
	CHECK_EQ_INT(apply(&f, "ext4"), 0);
	CHECK_EQ_INT(lp_check_placed(&f.lp, &f.l, both, test_map_address, NULL), 11);

	check_failure("apply vmlinux again", apply(&f, NULL), -ENOEXEC,
		      "Invalid relocation target, existing value is nonzero");
	lp_check_placed(&f.lp, &f.l, both, test_map_address, NULL);

	CHECK_EQ_INT(klpelf_klp_clear_object_relocs(&f.lp.mod, "ext4", &f.l.layout), 0);
	lp_check_placed(&f.lp, &f.l, vmlinux, test_map_address, NULL);
	CHECK_EQ_INT(klpelf_klp_clear_object_relocs(&f.lp.mod, NULL, &f.l.layout), 0);
	CHECK(klpelf_last_error() == NULL);
	lp_check_placed(&f.lp, &f.l, none, test_map_address, NULL);

	/* Clearing again: no target holds its value; both sections say so, nothing is written. */
	check_failure("clear vmlinux again", klpelf_klp_clear_object_relocs(&f.lp.mod, NULL, &f.l.layout),
		      -ENOEXEC, "and 1 more section(s) could not be cleared");
	lp_check_placed(&f.lp, &f.l, none, test_map_address, NULL);
	/* Applied again after the clear, the bytes are the same. */
	CHECK_EQ_INT(apply(&f, NULL), 0);
	lp_check_placed(&f.lp, &f.l, vmlinux, test_map_address, NULL);
	fixture_close(&f);
}

/* A changed target stops its section's clear there; the other section is cleared all the same,
 * as the kernel's clear_relocate_add() does. */
static void test_clear_after_tampering(const char *path)
{
	struct fixture f;
	unsigned char *changed, tampered[8], applied[8], zeros[8] = { 0 };

	printf("clear after a target changed\n");
	if (!fixture_open(&f, path, LP_MODULE_AREA))
		return;
	CHECK_EQ_INT(apply(&f, NULL), 0);
	changed = target_of(&f, TYPES_SECTION, 1); /* R_X86_64_PC64, 8 bytes */
	changed[3] ^= 0x40;
	memcpy(tampered, changed, 8);
	memcpy(applied, target_of(&f, TYPES_SECTION, 2), 4);
	check_failure("clear with a changed target",
		      klpelf_klp_clear_object_relocs(&f.lp.mod, NULL, &f.l.layout), -ENOEXEC,
		      "existing value does not match expected value for sec");
	CHECK(contains(klpelf_last_error(), "idx 1, type 24"));
	CHECK_MEM_EQ(target_of(&f, TYPES_SECTION, 0), zeros, 8);  /* cleared before the stop */
	CHECK_MEM_EQ(changed, tampered, 8);                        /* left as it was */
	CHECK_MEM_EQ(target_of(&f, TYPES_SECTION, 2), applied, 4); /* not reached */
	CHECK_MEM_EQ(target_of(&f, TEXT_SECTION, 0), zeros, 4);    /* the other section: cleared */
	CHECK_MEM_EQ(target_of(&f, TEXT_SECTION, 2), zeros, 4);
	fixture_close(&f);
}

/* A target that is not zero stops apply at that relocation: what came before stays written. */
static void test_apply_stops_midway(const char *path)
{
	struct fixture f;
	unsigned int types = 0, text = 0;
	unsigned char *blocked, zeros[8] = { 0 };

	printf("apply stops at a nonzero target\n");
	if (!fixture_open(&f, path, LP_MODULE_AREA))
		return;
	types = lp_find_section(&f.lp, TYPES_SECTION);
	text = lp_find_section(&f.lp, TEXT_SECTION);
	blocked = target_of(&f, TYPES_SECTION, 3); /* R_X86_64_PC32 */
	blocked[0] = 1;
	check_failure("apply onto a nonzero target", apply(&f, NULL), -ENOEXEC,
		      "existing value is nonzero");
	CHECK(contains(klpelf_last_error(), "idx 3, type 2"));
	CHECK(memcmp(target_of(&f, TYPES_SECTION, 0), zeros, 8) != 0); /* written */
	CHECK(memcmp(target_of(&f, TYPES_SECTION, 2), zeros, 4) != 0);
	CHECK_MEM_EQ(target_of(&f, TYPES_SECTION, 4) + 0, zeros, 4); /* 32S at 0x18: not reached */
	/* The text section is applied before the types section only if it comes first. */
	CHECK_EQ_INT(memcmp(target_of(&f, TEXT_SECTION, 2), zeros, 4) != 0, text < types);
	fixture_close(&f);
}

static void test_one_section(const char *path)
{
	struct fixture f;
	unsigned int types, ext4;

	printf("klpelf_klp_apply_section_relocs\n");
	if (!fixture_open(&f, path, LP_MODULE_AREA))
		return;
	types = lp_find_section(&f.lp, TYPES_SECTION);
	ext4 = lp_find_section(&f.lp, EXT4_SECTION);
	/* A section for another object is left alone, as in the kernel. */
	CHECK_EQ_INT(klpelf_klp_apply_section_relocs(&f.lp.mod, ext4, NULL, &f.l.layout,
						     klpelf_symbol_map_resolve, f.map), 0);
	CHECK_EQ_INT(klpelf_klp_apply_section_relocs(&f.lp.mod, types, "ext4", &f.l.layout,
						     klpelf_symbol_map_resolve, f.map), 0);
	lp_check_placed(&f.lp, &f.l, none, test_map_address, NULL);
	CHECK_EQ_INT(klpelf_klp_apply_section_relocs(&f.lp.mod, types, NULL, &f.l.layout,
						     klpelf_symbol_map_resolve, f.map), 0);
	CHECK_MEM_EQ(target_of(&f, TEXT_SECTION, 0), "\0\0\0\0", 4); /* only the one section */
	CHECK_EQ_INT(klpelf_klp_apply_section_relocs(&f.lp.mod, ext4, "ext4", &f.l.layout,
						     klpelf_symbol_map_resolve, f.map), 0);
	CHECK_EQ_INT(klpelf_klp_apply_section_relocs(&f.lp.mod, lp_find_section(&f.lp, TEXT_SECTION),
						     NULL, &f.l.layout, klpelf_symbol_map_resolve,
						     f.map), 0);
	CHECK_EQ_INT(lp_check_placed(&f.lp, &f.l, both, test_map_address, NULL), 11);
	fixture_close(&f);
}

/* Records what klpelf_klp_describe_relocs() shows; stops the walk at call `stop_at`. */
struct described {
	struct klpelf_reloc r[16];
	unsigned int n, stop_at;
};

static int record_reloc(const struct klpelf_reloc *r, void *ctx)
{
	struct described *d = ctx;

	if (d->n < 16)
		d->r[d->n] = *r;
	return ++d->n == d->stop_at ? 99 : 0;
}

/* Describes section `name` after resolving vmlinux; checks each against the image's entries and
 * the test's own computation. Returns how many were shown. */
static unsigned int describe(struct fixture *f, const char *name, struct described *d)
{
	unsigned int i = lp_find_section(&f->lp, name), target, k;
	size_t count;
	const Elf64_Rela *relas = lp_relas(&f->lp, i, &count);

	memset(d, 0, sizeof(*d));
	target = f->lp.mod.klp_info->sechdrs[i].sh_info;
	CHECK_EQ_INT(klpelf_resolve_symbols(&f->lp.mod, NULL, klpelf_symbol_map_resolve, f->map), 0);
	CHECK_EQ_INT(klpelf_klp_describe_relocs(&f->lp.mod, i, &f->l.layout, record_reloc, d), 0);
	CHECK_EQ_INT(d->n, count);
	for (k = 0; k < d->n && k < count && k < 16; k++) {
		const struct klpelf_reloc *r = &d->r[k];
		const char *sym = lp_sym_name(&f->lp, (unsigned int)ELF64_R_SYM(relas[k].r_info));
		unsigned char want[8], got[8];
		size_t size;

		CHECK_EQ_INT(r->index, k);
		CHECK_EQ_U64(r->r_offset, relas[k].r_offset);
		CHECK_EQ_U64(r->r_addend, relas[k].r_addend);
		CHECK_EQ_INT(r->r_type, ELF64_R_TYPE(relas[k].r_info));
		CHECK_EQ_INT(r->symndx, ELF64_R_SYM(relas[k].r_info));
		CHECK_EQ_U64(r->st_value, test_map_address(sym, NULL));
		CHECK_EQ_U64(r->loc, f->l.places[target].addr + relas[k].r_offset);
		size = lp_expected_bytes(&relas[k], r->st_value, r->loc, want);
		CHECK_EQ_INT(r->size, size);
		memcpy(got, &r->value, sizeof(got));
		CHECK_MEM_EQ(got, want, size);
	}
	return d->n;
}

static void test_describe(const char *path)
{
	struct fixture f;
	struct described d;
	static const unsigned int types_size[] = { 8, 8, 4, 4, 0, 4, 4 };
	unsigned int k;

	printf("klpelf_klp_describe_relocs\n");
	if (!fixture_open(&f, path, LP_MODULE_AREA))
		return;
	CHECK_EQ_INT(describe(&f, TYPES_SECTION, &d), 7);
	for (k = 0; k < 7; k++) {
		CHECK_EQ_INT(d.r[k].size, types_size[k]);
		CHECK_EQ_INT(d.r[k].status, k == 4 ? KLPELF_RELOC_STATUS_NONE : KLPELF_RELOC_STATUS_OK);
	}
	lp_check_placed(&f.lp, &f.l, none, test_map_address, NULL); /* nothing written */
	d.stop_at = 2;
	d.n = 0;
	check_failure("a describe callback that stops",
		      klpelf_klp_describe_relocs(&f.lp.mod, lp_find_section(&f.lp, TYPES_SECTION),
						 &f.l.layout, record_reloc, &d),
		      99, "stopped the walk at relocation 1");
	CHECK_EQ_INT(d.n, 2);
	fixture_close(&f);

	/* Placed at this program's own addresses, far from the kernel's: the PC-relative 32-bit
	 * references do not fit, which the kernel does not check. */
	if (!fixture_open(&f, path, 0))
		return;
	CHECK_EQ_INT(describe(&f, TEXT_SECTION, &d), 3);
	CHECK_EQ_INT(d.r[0].status, KLPELF_RELOC_STATUS_TRUNCATED); /* PLT32 */
	CHECK_EQ_INT(d.r[1].status, KLPELF_RELOC_STATUS_TRUNCATED); /* PC32 */
	CHECK_EQ_INT(d.r[2].status, KLPELF_RELOC_STATUS_OK);        /* 32S: not PC-relative */
	fixture_close(&f);
}

/* A live writer: records every write, performs it unless it is the `fail_at`-th. */
struct live {
	struct fixture *f;
	unsigned int writes, syncs, fail_at;
};

static int live_write(void *dest, uint64_t addr, const void *src, size_t len, void *ctx)
{
	struct live *w = ctx;
	const struct lp_layout *l = &w->f->l;
	size_t i;
	int placed = 0;

	w->writes++;
	for (i = 1; i < l->count; i++) {
		const unsigned char *mem = l->places[i].mem;
		if (mem && (unsigned char *)dest >= mem && (unsigned char *)dest + len <= mem + l->sizes[i])
			placed |= addr == l->places[i].addr + (uint64_t)((unsigned char *)dest - mem);
	}
	CHECK(placed);
	CHECK(len == 4 || len == 8);
	if (w->writes == w->fail_at)
		return 42;
	memcpy(dest, src, len);
	return 0;
}

static void live_sync(void *ctx)
{
	((struct live *)ctx)->syncs++;
}

static void test_live_writer(const char *path)
{
	struct fixture f;
	struct live w;

	printf("a live writer and its sync\n");
	if (!fixture_open(&f, path, LP_MODULE_AREA))
		return;
	memset(&w, 0, sizeof(w));
	w.f = &f;
	f.l.layout.write = live_write;
	f.l.layout.sync = live_sync;
	f.l.layout.ctx = &w;
	CHECK_EQ_INT(apply(&f, NULL), 0);
	CHECK_EQ_INT(w.writes, 9);
	CHECK_EQ_INT(w.syncs, 2); /* one per vmlinux section */
	lp_check_placed(&f.lp, &f.l, vmlinux, test_map_address, NULL);
	CHECK_EQ_INT(klpelf_klp_clear_object_relocs(&f.lp.mod, NULL, &f.l.layout), 0);
	CHECK_EQ_INT(w.writes, 18);
	CHECK_EQ_INT(w.syncs, 4);
	lp_check_placed(&f.lp, &f.l, none, test_map_address, NULL);

	/* A write that fails stops apply there; the section is synced all the same. */
	w.writes = w.syncs = 0;
	w.fail_at = 3;
	check_failure("a failing write", apply(&f, NULL), 42, "the write callback returned 42");
	CHECK_EQ_INT(w.writes, 3);
	CHECK_EQ_INT(w.syncs, 1);
	fixture_close(&f);
}

static int run(char **args)
{
	test_apply_and_clear(args[0]);
	test_clear_after_tampering(args[0]);
	test_apply_stops_midway(args[0]);
	test_one_section(args[0]);
	test_describe(args[0]);
	test_live_writer(args[0]);
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 1, "KLP_RELOCS_O", run);
}
