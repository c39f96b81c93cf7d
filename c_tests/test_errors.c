/*
 * test_errors.c: every error of copy_module_elf() and klpelf_set_allocator(), with its exact
 * return code, a non-empty klpelf_last_error(), and *mod left byte-identical; allocation failures
 * injected at every allocation in turn, with no leak and free() always getting the size alloc()
 * was asked for; allocator replacement rules. SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "counting_alloc.h"
#include "expect.h"
#include "failure.h"
#include "synth.h"

#define SECTIONS 8
/* Give up injecting failures after this many allocations per copy. */
#define MAX_ALLOCATIONS 64

/* A small valid input whose header and section headers a case may corrupt. */
struct input {
	Elf64_Ehdr hdr;
	Elf64_Shdr sec[SECTIONS];
	unsigned shstrndx;
	struct load_info info;
};

static void input_reset(struct input *in, const struct synth *s)
{
	in->hdr = s->hdr;
	memcpy(in->sec, s->info.sechdrs, sizeof(in->sec));
	in->shstrndx = s->shstrndx;
	in->info = s->info;
	in->info.hdr = &in->hdr;
	in->info.sechdrs = in->sec;
}

/* A fresh case: the valid input, and a copy of the generated module (klp_info NULL). */
static void fresh_case(struct input *in, struct module *mod, const struct synth *s)
{
	input_reset(in, s);
	memcpy(mod, &s->mod, sizeof(*mod));
}

/* Runs copy_module_elf(mod, info); when it fails, checks the failure (the code `expected`, a
 * message) and that neither *mod nor *info changed. Returns its result. */
static int copy_unchanged_on_failure(const char *what, struct module *mod, struct load_info *info,
				     int expected)
{
	struct module mod_before;
	struct load_info info_before;
	int rc;

	if (mod)
		memcpy(&mod_before, mod, sizeof(mod_before));
	if (info)
		memcpy(&info_before, info, sizeof(info_before));
	rc = copy_module_elf(mod, info);
	if (rc == 0)
		return rc;
	check_failure(what, rc, expected, NULL);
	if (mod)
		CHECK_MEM_EQ(mod, &mod_before, sizeof(mod_before));
	if (info)
		CHECK_MEM_EQ(info, &info_before, sizeof(info_before));
	return rc;
}

/* copy_module_elf(mod, info) must fail with `expected`, changing neither *mod nor *info. */
static void expect_failure(const char *what, struct module *mod, struct load_info *info,
			   int expected)
{
	if (!CHECK(copy_unchanged_on_failure(what, mod, info, expected) != 0))
		fprintf(stderr, "  in case: %s: copy_module_elf() succeeded\n", what);
}

/* --- Corruptions of a valid input, each expected to give -EINVAL ---------------------------- */

static void null_hdr(struct input *in) { in->info.hdr = NULL; }
static void null_sechdrs(struct input *in) { in->info.sechdrs = NULL; }
static void null_secstrings(struct input *in) { in->info.secstrings = NULL; }
static void shstrndx_zero(struct input *in) { in->hdr.e_shstrndx = 0; }
static void shstrndx_count(struct input *in) { in->hdr.e_shstrndx = SECTIONS; }
static void shstrndx_loreserve(struct input *in) { in->hdr.e_shstrndx = SHN_LORESERVE; }
static void sym_zero(struct input *in) { in->info.index.sym = 0; }
static void sym_count(struct input *in) { in->info.index.sym = SECTIONS; }
static void sym_max(struct input *in) { in->info.index.sym = UINT32_MAX; }
static void shnum_zero(struct input *in) /* the count comes from sec[0].sh_size */
{
	in->hdr.e_shnum = 0;
	in->sec[0].sh_size = 0;
}
static void names_huge(struct input *in) { in->sec[in->shstrndx].sh_size = UINT64_MAX; }
static void names_over_isize(struct input *in)
{
	in->sec[in->shstrndx].sh_size = (uint64_t)INT64_MAX + 1;
}

/* Extended numbering, valid: e_shnum 0, e_shstrndx SHN_XINDEX, the values in section 0. */
static void extended(struct input *in)
{
	in->hdr.e_shnum = 0;
	in->hdr.e_shstrndx = SHN_XINDEX;
	in->sec[0].sh_size = SECTIONS;
	in->sec[0].sh_link = in->shstrndx;
}

static void xnum_link_zero(struct input *in) { extended(in); in->sec[0].sh_link = 0; }
static void xnum_link_count(struct input *in) { extended(in); in->sec[0].sh_link = SECTIONS; }
static void xnum_link_max(struct input *in) { extended(in); in->sec[0].sh_link = UINT32_MAX; }
static void xnum_count_zero(struct input *in) { extended(in); in->sec[0].sh_size = 0; }
static void xnum_sym_count(struct input *in) { extended(in); in->info.index.sym = SECTIONS; }
static void xnum_count_huge(struct input *in)
{
	extended(in);
	in->sec[0].sh_size = (uint64_t)1 << 40;
}

struct bad_case {
	const char *what;
	void (*corrupt)(struct input *in);
};

static const struct bad_case bad_cases[] = {
	{ "info->hdr NULL", null_hdr },
	{ "info->sechdrs NULL", null_sechdrs },
	{ "info->secstrings NULL", null_secstrings },
	{ "e_shstrndx 0", shstrndx_zero },
	{ "e_shstrndx == count", shstrndx_count },
	{ "e_shstrndx SHN_LORESERVE", shstrndx_loreserve },
	{ "index.sym 0", sym_zero },
	{ "index.sym == count", sym_count },
	{ "index.sym UINT32_MAX", sym_max },
	{ "e_shnum 0, sec[0].sh_size 0", shnum_zero },
	{ "name table of UINT64_MAX bytes", names_huge },
	{ "name table of INT64_MAX + 1 bytes", names_over_isize },
	{ "extended: sh_link 0", xnum_link_zero },
	{ "extended: sh_link == count", xnum_link_count },
	{ "extended: sh_link UINT32_MAX", xnum_link_max },
	{ "extended: sh_size 0", xnum_count_zero },
	{ "extended: sh_size 2^40", xnum_count_huge },
	{ "extended: index.sym == count", xnum_sym_count },
};

static void bad_inputs(const struct synth *s)
{
	struct input in;
	struct module mod;
	size_t i;

	fresh_case(&in, &mod, s);
	expect_failure("mod NULL", NULL, &in.info, -EINVAL);
	expect_failure("info NULL", &mod, NULL, -EINVAL);
	expect_failure("mod and info NULL", NULL, NULL, -EINVAL);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		input_reset(&in, s);
		bad_cases[i].corrupt(&in);
		expect_failure(bad_cases[i].what, &mod, &in.info, -EINVAL);
	}
	/* The same inputs, uncorrupted, are fine (plain and extended numbering). */
	input_reset(&in, s);
	check_against_oracle(&mod, &in.info);
	extended(&in);
	check_klpelf_alone(&mod, &in.info);
}

/* A second copy into a module that has one: -EEXIST, the first copy kept; success clears errors. */
static void already_persisted(const struct synth *s)
{
	struct input in;
	struct module mod;

	fresh_case(&in, &mod, s);
	if (!CHECK_EQ_INT(copy_module_elf(&mod, &in.info), 0))
		return;
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	expect_failure("mod->klp_info already set", &mod, &in.info, -EEXIST);
	check_persisted_copy(&mod, &in.info);
	free_module_elf(&mod);
	CHECK_EQ_PTR(mod.klp_info, NULL);
	CHECK_EQ_INT(copy_module_elf(&mod, &in.info), 0);
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	free_module_elf(&mod);
}

/* --- Allocation failures --------------------------------------------------------------------- */

/* A successful copy through the counting allocator, then its free: everything comes back. */
static void counted_copy(struct counting_alloc *c, struct module *mod, struct load_info *info)
{
	size_t min_bytes = sizeof(struct klp_modinfo) + SECTIONS * sizeof(Elf64_Shdr) +
			   info->sechdrs[info->hdr->e_shstrndx].sh_size;

	printf("  a copy makes %lu allocation(s): %lu live block(s), %lu bytes\n", c->allocs,
	       c->live_blocks, c->live_bytes);
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	CHECK(c->live_blocks >= 1 && c->live_blocks <= c->allocs);
	CHECK(c->live_bytes >= min_bytes);
	check_persisted_copy(mod, info);
	free_module_elf(mod);
	CHECK_EQ_PTR(mod->klp_info, NULL);
	CHECK_EQ_U64(c->frees, c->allocs);
	counting_alloc_check_empty(c);
}

static void allocation_failures(struct input *in, struct module *mod)
{
	struct counting_alloc c;
	unsigned long n;

	if (!counting_alloc_install(&c))
		return;
	for (n = 1; n <= MAX_ALLOCATIONS; n++) {
		char what[64];
		int rc;

		counting_alloc_reset(&c);
		c.fail_at = n;
		snprintf(what, sizeof(what), "allocation %lu of the copy fails", n);
		rc = copy_unchanged_on_failure(what, mod, &in->info, -ENOMEM);
		if (rc == 0)
			break;
		CHECK_EQ_U64(c.allocs, n);
		counting_alloc_check_empty(&c);
	}
	if (CHECK(n <= MAX_ALLOCATIONS))
		counted_copy(&c, mod, &in->info);
	counting_alloc_uninstall(&c);
}

/* An allocator breaking its contract with a block not 8-aligned gets it back: -ENOMEM, no leak.
 * One aligned to 8 but not 16 is fine. */
static void misaligned_blocks(struct input *in, struct module *mod)
{
	struct counting_alloc c;

	if (!counting_alloc_install(&c))
		return;
	c.misalign = 4;
	expect_failure("allocator returns a 4-aligned block", mod, &in->info, -ENOMEM);
	CHECK_EQ_U64(c.frees, c.allocs);
	counting_alloc_check_empty(&c);
	counting_alloc_reset(&c);
	c.misalign = 8;
	if (CHECK_EQ_INT(copy_module_elf(mod, &in->info), 0))
		counted_copy(&c, mod, &in->info);
	counting_alloc_uninstall(&c);
}

/* --- Replacing the allocator ----------------------------------------------------------------- */

/* klpelf_set_allocator(a) must fail with `expected` and leave a non-empty last error. */
static void expect_set_failure(const char *what, const struct klpelf_allocator *a, int expected)
{
	check_failure(what, klpelf_set_allocator(a), expected, NULL);
}

/* Another copy, made and freed while `mod` holds one: its blocks come from `c`. */
static void second_copy_from(const struct counting_alloc *c, struct input *in,
			     const struct module *mod)
{
	struct module second;
	unsigned long allocs = c->allocs, live = c->live_blocks;

	memcpy(&second, mod, sizeof(second));
	second.klp_info = NULL;
	if (!CHECK_EQ_INT(copy_module_elf(&second, &in->info), 0))
		return;
	CHECK(c->allocs > allocs && c->live_blocks > live);
	free_module_elf(&second);
	CHECK_EQ_U64(c->live_blocks, live);
}

/* While a block of the current allocator is live, nothing replaces it; its free goes to it. */
static void busy_allocator(struct input *in, struct module *mod)
{
	struct counting_alloc ca, cb;
	struct klpelf_allocator b = counting_allocator(&cb);

	counting_alloc_reset(&cb);
	counting_alloc_install(&ca);
	if (!CHECK_EQ_INT(copy_module_elf(mod, &in->info), 0))
		return;
	expect_set_failure("set_allocator(b) with a block live", &b, -EBUSY);
	expect_set_failure("set_allocator(NULL) with a block live", NULL, -EBUSY);
	second_copy_from(&ca, in, mod);
	free_module_elf(mod);
	CHECK_EQ_U64(ca.frees, ca.allocs);
	counting_alloc_check_empty(&ca);
	CHECK_EQ_U64(cb.allocs + cb.frees, 0);
	CHECK_EQ_INT(klpelf_set_allocator(&b), 0);
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	CHECK_EQ_INT(klpelf_set_allocator(NULL), 0);
}

/* An allocator without alloc or free is refused and the current one stays (here `a`). */
static void incomplete_allocator(struct input *in, struct module *mod)
{
	struct counting_alloc ca;
	struct klpelf_allocator a = counting_allocator(&ca), bad = a;

	counting_alloc_reset(&ca);
	CHECK_EQ_INT(klpelf_set_allocator(&a), 0);
	memset(&a, 0, sizeof(a)); /* the struct was copied: it need not outlive the call */
	bad.alloc = NULL;
	expect_set_failure("set_allocator without alloc", &bad, -EINVAL);
	bad = counting_allocator(&ca);
	bad.free = NULL;
	expect_set_failure("set_allocator without free", &bad, -EINVAL);
	if (CHECK_EQ_INT(copy_module_elf(mod, &in->info), 0)) {
		CHECK(ca.allocs > 0 && ca.live_blocks > 0);
		free_module_elf(mod);
	}
	counting_alloc_uninstall(&ca);
}

/*
 * The default allocator's blocks never hold a replacement back: they go back to malloc's free
 * whatever allocator is set by then. NULL brings malloc back.
 */
static void default_allocator(struct input *in, struct module *mod)
{
	struct counting_alloc ca;
	struct module second;

	counting_alloc_reset(&ca);
	CHECK_EQ_INT(klpelf_set_allocator(NULL), 0);
	if (!CHECK_EQ_INT(copy_module_elf(mod, &in->info), 0))
		return;
	counting_alloc_install(&ca);
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	memcpy(&second, mod, sizeof(second));
	second.klp_info = NULL;
	if (CHECK_EQ_INT(copy_module_elf(&second, &in->info), 0)) {
		CHECK_EQ_U64(ca.allocs, 1);
		expect_set_failure("set_allocator(NULL) with a block of a live", NULL, -EBUSY);
		free_module_elf(&second);
	}
	free_module_elf(mod); /* malloc's block, freed by free() with `a` current */
	CHECK_EQ_U64(ca.allocs, 1);
	CHECK_EQ_U64(ca.frees, 1);
	counting_alloc_uninstall(&ca);
	if (CHECK_EQ_INT(copy_module_elf(mod, &in->info), 0))
		free_module_elf(mod);
	CHECK_EQ_U64(ca.allocs + ca.frees, 2);
}

/* A group of checks on one case; each leaves the module without a copy. */
typedef void case_check(struct input *in, struct module *mod);

static void run_on_fresh_case(const struct synth *s, case_check *const *checks)
{
	struct input in;
	struct module mod;

	fresh_case(&in, &mod, s);
	for (; *checks; checks++)
		(*checks)(&in, &mod);
	CHECK_EQ_PTR(mod.klp_info, NULL);
}

int main(void)
{
	static case_check *const allocation[] = { allocation_failures, misaligned_blocks, NULL };
	static case_check *const replacement[] = { busy_allocator, incomplete_allocator,
						   default_allocator, NULL };
	uint64_t rng = 0x6572726f7273ULL;
	struct synth s;

	if (!CHECK_EQ_INT(synth_init(&s, &rng, SECTIONS), 0))
		return check_summary("test_errors");
	synth_make(&s, &rng, SECTIONS);
	printf("copy_module_elf errors:\n");
	bad_inputs(&s);
	already_persisted(&s);
	printf("allocation failures:\n");
	run_on_fresh_case(&s, allocation);
	printf("klpelf_set_allocator errors:\n");
	run_on_fresh_case(&s, replacement);
	synth_fini(&s);
	return check_summary("test_errors");
}
