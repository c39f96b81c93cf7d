/*
 * synth.c: see synth.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prng.h"

/* Sections re-randomized per input, so inputs sharing a window still differ. */
#define FRESH_SECTIONS 4

int synth_init(struct synth *s, uint64_t *rng, unsigned max_sections)
{
	memset(s, 0, sizeof(*s));
	s->pool_sections = max_sections;
	s->pool_name_bytes = (size_t)max_sections * SYNTH_NAME_BYTES_PER_SECTION;
	s->shdr_pool = malloc(s->pool_sections * sizeof(Elf64_Shdr));
	s->name_pool = malloc(s->pool_name_bytes);
	if (!s->shdr_pool || !s->name_pool) {
		synth_fini(s);
		return -ENOMEM;
	}
	prng_fill(rng, s->shdr_pool, s->pool_sections * sizeof(Elf64_Shdr));
	prng_fill(rng, s->name_pool, s->pool_name_bytes);
	return 0;
}

static void make_module(struct synth *s, uint64_t *rng)
{
	prng_fill(rng, &s->mod, sizeof(s->mod));
	s->mod.name[MODULE_NAME_LEN - 1] = '\0';
	s->mod.core_kallsyms.symtab = (Elf64_Sym *)(uintptr_t)(prng_next(rng) & ~(uint64_t)7);
	s->mod.klp = true;
	s->mod.klp_alive = false;
	s->mod.klp_info = NULL;
}

static void make_sections(struct synth *s, uint64_t *rng)
{
	Elf64_Shdr *sec = s->shdr_pool + prng_below(rng, s->pool_sections - s->count + 1);
	size_t names = prng_below(rng, (uint64_t)s->count * SYNTH_NAME_BYTES_PER_SECTION + 1);
	unsigned i;

	for (i = 0; i < FRESH_SECTIONS; i++)
		prng_fill(rng, &sec[prng_below(rng, s->count)], sizeof(*sec));
	sec[s->shstrndx].sh_size = names;
	s->info.sechdrs = sec;
	s->info.secstrings = s->name_pool + prng_below(rng, s->pool_name_bytes - names + 1);
}

void synth_make(struct synth *s, uint64_t *rng, unsigned count)
{
	s->count = count;
	s->shstrndx = (unsigned)prng_range(rng, 1, count - 1);
	prng_fill(rng, &s->hdr, sizeof(s->hdr));
	s->hdr.e_shnum = (Elf64_Half)count;
	s->hdr.e_shstrndx = (Elf64_Half)s->shstrndx;
	prng_fill(rng, &s->info, sizeof(s->info));
	s->info.sig_ok = false;
	s->info.hdr = &s->hdr;
	s->info.index.sym = (unsigned)prng_range(rng, 1, count - 1);
	make_sections(s, rng);
	make_module(s, rng);
}

void synth_extend(struct synth *s)
{
	s->hdr.e_shnum = 0;
	s->hdr.e_shstrndx = SHN_XINDEX;
	s->info.sechdrs[0].sh_size = s->count;
	s->info.sechdrs[0].sh_link = s->shstrndx;
}

void synth_fini(struct synth *s)
{
	free(s->shdr_pool);
	free(s->name_pool);
	memset(s, 0, sizeof(*s));
}
