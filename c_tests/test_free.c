/*
 * test_free.c: free_module_elf() on NULL, on a module without a copy, twice, and after failed
 * copies: nothing crashes, klp_info is NULL afterwards, nothing else in the module changes, and
 * every block is returned exactly once (a counting allocator watches).
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "counting_alloc.h"
#include "expect.h"
#include "synth.h"

#define SECTIONS 16

/* free_module_elf(mod) must leave klp_info NULL, the rest of *mod as it was, and no error. */
static void free_and_check(struct module *mod, const struct module *before)
{
	free_module_elf(mod);
	CHECK_EQ_PTR(mod->klp_info, NULL);
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	check_same_but_klp_info(mod, before);
}

static void free_null_and_empty(struct module *mod)
{
	struct module before;

	free_module_elf(NULL);
	CHECK_EQ_PTR(klpelf_last_error(), NULL);
	memcpy(&before, mod, sizeof(before));
	free_module_elf(mod);
	CHECK_MEM_EQ(mod, &before, sizeof(before));
}

static void free_twice(struct module *mod, struct load_info *info, const struct counting_alloc *c)
{
	struct module before;

	memcpy(&before, mod, sizeof(before));
	if (!CHECK_EQ_INT(copy_module_elf(mod, info), 0))
		return;
	CHECK(c->live_blocks > 0);
	free_and_check(mod, &before);
	CHECK_EQ_U64(c->live_blocks, 0);
	free_and_check(mod, &before);
	CHECK_EQ_U64(c->frees, c->allocs);
}

/* After an invalid input, a failed allocation, and a refused second copy. */
static void free_after_failures(struct module *mod, struct load_info *info, struct counting_alloc *c)
{
	struct module before;
	struct load_info bad = *info;

	memcpy(&before, mod, sizeof(before));
	bad.index.sym = 0;
	CHECK_EQ_INT(copy_module_elf(mod, &bad), -EINVAL);
	free_and_check(mod, &before);
	c->fail_at = c->allocs + 1;
	CHECK_EQ_INT(copy_module_elf(mod, info), -ENOMEM);
	c->fail_at = 0;
	free_and_check(mod, &before);
	CHECK_EQ_U64(c->live_blocks, 0);
	if (!CHECK_EQ_INT(copy_module_elf(mod, info), 0))
		return;
	CHECK_EQ_INT(copy_module_elf(mod, info), -EEXIST);
	free_and_check(mod, &before);
	CHECK_EQ_U64(c->live_blocks, 0);
}

int main(void)
{
	uint64_t rng = 0x66726565ULL;
	struct counting_alloc c;
	struct synth s;

	if (!CHECK_EQ_INT(synth_init(&s, &rng, SECTIONS), 0) || !counting_alloc_install(&c))
		return check_summary("test_free");
	synth_make(&s, &rng, SECTIONS);
	free_null_and_empty(&s.mod);
	free_twice(&s.mod, &s.info, &c);
	free_after_failures(&s.mod, &s.info, &c);
	printf("%lu allocations, %lu frees, %lu size mismatches\n", c.allocs, c.frees,
	       c.size_mismatches);
	CHECK_EQ_U64(c.frees, c.allocs - 1); /* the failed allocation was never freed */
	counting_alloc_uninstall(&c);
	synth_fini(&s);
	return check_summary("test_free");
}
