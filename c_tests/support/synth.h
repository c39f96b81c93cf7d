/*
 * synth.h: synthetic copy_module_elf() inputs, generated from a PRNG: random bytes wherever the
 * function only copies, valid indices wherever it looks. Test code only.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * The section headers and section names are windows into two pools filled with random bytes once,
 * so making an input costs little more than the few fields it sets.
 */

#ifndef KLPELF_SYNTH_H
#define KLPELF_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "klpelf.h"

/* Most section-name bytes per section an input gets. */
#define SYNTH_NAME_BYTES_PER_SECTION 20

struct synth {
	Elf64_Ehdr hdr;
	Elf64_Shdr *shdr_pool;
	size_t pool_sections;
	char *name_pool;
	size_t pool_name_bytes;
	unsigned count;    /* sections of the current input */
	unsigned shstrndx; /* its section-name table */
	struct load_info info; /* the current input; info.hdr is &hdr */
	struct module mod;     /* a module to persist it into: random fields, klp_info NULL */
};

/* Allocates pools for inputs of up to max_sections sections. Returns 0 or -ENOMEM. */
int synth_init(struct synth *s, uint64_t *rng, unsigned max_sections);

/*
 * Makes a new input of `count` (>= 2, <= max_sections, < SHN_LORESERVE unless synth_extend()
 * follows) sections: random header
 * bytes with e_shnum = count and a random e_shstrndx in [1, count), random section headers, a
 * random name table of 0 .. SYNTH_NAME_BYTES_PER_SECTION * count bytes, a random index.sym in
 * [1, count), random bytes in every other load_info field, and a fresh random s->mod.
 */
void synth_make(struct synth *s, uint64_t *rng, unsigned count);

/* Switches the current input to extended numbering: e_shnum 0, e_shstrndx SHN_XINDEX, section 0's
 * sh_size the count and sh_link the section-name table index. */
void synth_extend(struct synth *s);

void synth_fini(struct synth *s);

#endif /* KLPELF_SYNTH_H */
