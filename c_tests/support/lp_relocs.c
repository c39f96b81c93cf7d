/*
 * lp_relocs.c: see lp_relocs.h. SPDX-License-Identifier: GPL-2.0-only
 */
#include "lp_relocs.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "check.h"

static size_t section_count(const struct lp_module *lp)
{
	const struct klp_modinfo *klp = lp->mod.klp_info;

	return klp->hdr.e_shnum ? klp->hdr.e_shnum : (size_t)klp->sechdrs[0].sh_size;
}

/* The section header as the file has it (prepare rewrote sh_addr in the image's table, which is
 * all it changes that matters here). */
static const Elf64_Shdr *file_shdr(const struct lp_module *lp, unsigned int i)
{
	return &lp->info.sechdrs[i];
}

const unsigned char *lp_original(const struct lp_module *lp, unsigned int i)
{
	static const unsigned char zeros[1 << 16];
	const Elf64_Shdr *s = file_shdr(lp, i);

	if (s->sh_type == SHT_NOBITS || s->sh_type == SHT_NULL)
		return s->sh_size <= sizeof(zeros) ? zeros : NULL;
	return lp->image.bytes + s->sh_offset;
}

int lp_layout_init(struct lp_layout *l, const struct lp_module *lp, uint64_t base)
{
	size_t i, n = section_count(lp);
	uint64_t next = base;

	memset(l, 0, sizeof(*l));
	l->places = calloc(n, sizeof(*l->places));
	l->sizes = calloc(n, sizeof(*l->sizes));
	if (!l->places || !l->sizes) {
		lp_layout_free(l);
		return 0;
	}
	l->count = n;
	for (i = 1; i < n; i++) {
		const Elf64_Shdr *s = file_shdr(lp, (unsigned int)i);
		uint64_t align = s->sh_addralign ? s->sh_addralign : 1;
		const unsigned char *bytes = lp_original(lp, (unsigned int)i);

		if (s->sh_size == 0 || !bytes)
			continue;
		l->places[i].mem = block_alloc(s->sh_size, 1);
		if (!l->places[i].mem) {
			lp_layout_free(l);
			return 0;
		}
		l->sizes[i] = s->sh_size;
		memcpy(l->places[i].mem, bytes, s->sh_size);
		next = (next + align - 1) / align * align;
		l->places[i].addr = base ? next : (uint64_t)(uintptr_t)l->places[i].mem;
		next += s->sh_size;
	}
	l->layout.places = l->places;
	l->layout.num_places = n;
	return 1;
}

void lp_layout_reset(struct lp_layout *l, const struct lp_module *lp)
{
	size_t i;

	for (i = 1; i < l->count; i++)
		if (l->places[i].mem)
			memcpy(l->places[i].mem, lp_original(lp, (unsigned int)i), l->sizes[i]);
}

void lp_layout_free(struct lp_layout *l)
{
	size_t i;

	for (i = 0; l->places && i < l->count; i++)
		block_free(l->places[i].mem, l->sizes[i], 1);
	free(l->places);
	free(l->sizes);
	memset(l, 0, sizeof(*l));
}

size_t lp_expected_bytes(const Elf64_Rela *rela, uint64_t s, uint64_t loc, unsigned char out[8])
{
	uint64_t a = (uint64_t)rela->r_addend, v;
	size_t size, k;

	switch (ELF64_R_TYPE(rela->r_info)) {
	case R_X86_64_64:
		v = s + a, size = 8;
		break;
	case R_X86_64_PC64:
		v = s + a - loc, size = 8;
		break;
	case R_X86_64_32:
	case R_X86_64_32S:
		v = s + a, size = 4;
		break;
	case R_X86_64_PC32:
	case R_X86_64_PLT32:
		v = s + a - loc, size = 4;
		break;
	default:
		return 0;
	}
	for (k = 0; k < size; k++)
		out[k] = (unsigned char)(v >> (8 * k)); /* x86-64 is little-endian */
	return size;
}

const Elf64_Rela *lp_relas(const struct lp_module *lp, unsigned int secndx, size_t *count)
{
	const Elf64_Shdr *s = file_shdr(lp, secndx);

	*count = s->sh_size / sizeof(Elf64_Rela);
	return (const Elf64_Rela *)(lp->image.bytes + s->sh_offset);
}

/* Whether section i is a livepatch relocation section for an object in `objects`, by the test's
 * own reading of its name. */
static int patches(const struct lp_module *lp, unsigned int i, const char *const *objects)
{
	const char *name = lp->mod.klp_info->secstrings + file_shdr(lp, i)->sh_name;

	if (!(file_shdr(lp, i)->sh_flags & KLP_SHF_RELA_LIVEPATCH) ||
	    strncmp(name, ".klp.rela.", 10) != 0)
		return 0;
	for (; objects && *objects; objects++) {
		size_t n = strlen(*objects);
		if (strncmp(name + 10, *objects, n) == 0 && name[10 + n] == '.')
			return 1;
	}
	return 0;
}

/* Writes into `expected` (one copy per placed section) the bytes section i's relocations put. */
static unsigned int overlay(const struct lp_module *lp, const struct lp_layout *l, unsigned int i,
			    unsigned char **expected, lp_address_fn address, void *ctx)
{
	unsigned int target = file_shdr(lp, i)->sh_info, written = 0;
	size_t r, count, size;
	const Elf64_Rela *relas = lp_relas(lp, i, &count);

	for (r = 0; r < count; r++) {
		const char *name = lp_sym_name(lp, (unsigned int)ELF64_R_SYM(relas[r].r_info));
		uint64_t loc = l->places[target].addr + relas[r].r_offset, s = address(name, ctx);
		unsigned char want[8];

		CHECK(s != 0);
		size = lp_expected_bytes(&relas[r], s, loc, want);
		if (!size)
			continue;
		if (!CHECK(target < l->count && expected[target] &&
			   relas[r].r_offset + size <= l->sizes[target]))
			continue;
		memcpy(expected[target] + relas[r].r_offset, want, size);
		written++;
	}
	return written;
}

unsigned int lp_check_placed(const struct lp_module *lp, const struct lp_layout *l,
			     const char *const *applied, lp_address_fn address, void *ctx)
{
	unsigned char **expected = calloc(l->count, sizeof(*expected));
	unsigned int i, written = 0;

	if (!CHECK(expected != NULL))
		return 0;
	for (i = 1; i < l->count; i++) {
		if (!l->places[i].mem)
			continue;
		expected[i] = malloc(l->sizes[i]);
		if (CHECK(expected[i] != NULL))
			memcpy(expected[i], lp_original(lp, i), l->sizes[i]);
	}
	for (i = 1; i < l->count; i++)
		if (patches(lp, i, applied))
			written += overlay(lp, l, i, expected, address, ctx);
	for (i = 1; i < l->count; i++) {
		if (expected[i] && !CHECK_MEM_EQ(l->places[i].mem, expected[i], l->sizes[i]))
			fprintf(stderr, "  section %u (%s) is not as expected\n", i,
				lp->mod.klp_info->secstrings + file_shdr(lp, i)->sh_name);
		free(expected[i]);
	}
	free(expected);
	return written;
}
