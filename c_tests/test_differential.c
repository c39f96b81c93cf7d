/*
 * test_differential.c: klpelf's copy_module_elf() against the oracle (the kernel's, in C) on 10,000
 * generated inputs, byte for byte. Section counts run from 3 to 65,279 (both included): 90% in
 * 3..200, the rest spread over 201..65,279 evenly by bit length. Every 10th input is then also switched to extended
 * numbering and checked against the input directly (the oracle, like the kernel, cannot read it).
 * Last, one input of HUGE_SECTIONS sections, extended numbering only: its copy is over 32 MiB, the
 * size from which klpelf's default allocator maps blocks itself instead of calling malloc.
 * Deterministic: a fixed xorshift64 seed. SPDX-License-Identifier: GPL-2.0-only
 */

#include <stdio.h>
#include <time.h>

#include "check.h"
#include "expect.h"
#include "prng.h"
#include "synth.h"

#define INPUTS 10000
#define MIN_SECTIONS 3
#define MAX_SECTIONS (SHN_LORESERVE - 1)
#define SMALL_MAX_SECTIONS 200
#define SMALL_PERCENT 90
#define EXTENDED_EVERY 10
#define SEED 0x6b6c70656c66ULL
/* 600,000 section headers alone are 38.4 MB. */
#define HUGE_SECTIONS 600000

/* A count in SMALL_MAX_SECTIONS + 1 .. MAX_SECTIONS, as many of each bit length (8 to 16 bits):
 * every order of magnitude is tried, and the large inputs stay quick. */
static unsigned pick_large_count(uint64_t *rng)
{
	unsigned bits = (unsigned)prng_range(rng, 8, 16);
	uint64_t lo = (uint64_t)1 << (bits - 1), hi = ((uint64_t)1 << bits) - 1;

	if (lo <= SMALL_MAX_SECTIONS)
		lo = SMALL_MAX_SECTIONS + 1;
	if (hi > MAX_SECTIONS)
		hi = MAX_SECTIONS;
	return (unsigned)prng_range(rng, lo, hi);
}

static unsigned pick_count(uint64_t *rng, unsigned input)
{
	if (input == 0)
		return MIN_SECTIONS;
	if (input == 1)
		return MAX_SECTIONS;
	if (prng_below(rng, 100) < SMALL_PERCENT)
		return (unsigned)prng_range(rng, MIN_SECTIONS, SMALL_MAX_SECTIONS);
	return pick_large_count(rng);
}

/* One input: returns 1 when klpelf agreed with the oracle (and with the input, if extended). */
static int run_one(struct synth *s, uint64_t *rng, unsigned input)
{
	synth_make(s, rng, pick_count(rng, input));
	if (!check_against_oracle(&s->mod, &s->info))
		return 0;
	if (input % EXTENDED_EVERY != 0)
		return 1;
	synth_extend(s);
	return check_klpelf_alone(&s->mod, &s->info);
}

/* The input beyond plain numbering, checked against itself. Returns 1 when klpelf copied it. */
static int run_huge(uint64_t *rng)
{
	struct synth s;
	int ok;

	if (!CHECK_EQ_INT(synth_init(&s, rng, HUGE_SECTIONS), 0))
		return 0;
	synth_make(&s, rng, HUGE_SECTIONS);
	synth_extend(&s);
	ok = check_klpelf_alone(&s.mod, &s.info);
	synth_fini(&s);
	return ok;
}

int main(void)
{
	uint64_t rng = SEED;
	unsigned long sections = 0;
	unsigned input;
	struct synth s;
	clock_t start = clock();

	if (!CHECK_EQ_INT(synth_init(&s, &rng, MAX_SECTIONS), 0))
		return check_summary("test_differential");
	for (input = 0; input < INPUTS; input++) {
		if (!run_one(&s, &rng, input)) {
			fprintf(stderr, "input %u (seed %#llx) differs: %u sections, e_shstrndx %u, "
					"index.sym %u\n",
				input, (unsigned long long)SEED, s.count, s.shstrndx, s.info.index.sym);
			break;
		}
		sections += s.count;
	}
	printf("%u inputs, %lu sections in all, %.2f s\n", input, sections,
	       (double)(clock() - start) / CLOCKS_PER_SEC);
	CHECK_EQ_INT(input, INPUTS);
	synth_fini(&s);
	CHECK(run_huge(&rng));
	return check_summary("test_differential");
}
