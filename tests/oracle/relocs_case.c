/*
 * relocs_case.c: generated relocation tables for the relocation comparison (relocs.c). Case n is a
 * persisted livepatch module made from a random number generator seeded with n: two target
 * sections, a .klp.rela.vmlinux section and a .klp.rela.ext4 section (sometimes not livepatch
 * relocations), up to 12 relocations each of every type the kernel writes and some it does not
 * know, with symbol values and addends that put S + A on each side of the 32-bit overflow
 * boundaries, targets that are sometimes not zero, and now and then a symbol, a target range or
 * a target section out of bounds; then one object applied, or applied and cleared (the target
 * sometimes changed in between). SPDX-License-Identifier: GPL-2.0-only
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relocs.h"

/* Sections: 1 .text and 2 .data (targets), 3 and 4 the relocations, 5 .symtab, 6 .strtab, 7
 * .shstrtab. */
#define SHNUM 8
#define SYMNDX 5
static const char SECSTRINGS[] =
	"\0.text\0.data\0.klp.rela.vmlinux..text\0.klp.rela.ext4..data\0.symtab\0.strtab\0.shstrtab";
static const unsigned int NAMES[SHNUM] = { 0, 1, 7, 13, 37, 58, 66, 74 };

/* splitmix64: a small generator whose stream a case number fixes. */
static uint64_t next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t *state, uint64_t n)
{
	return next(state) % n;
}

/* Values around the kernel's checks: S + A for R_X86_64_32 and _32S on each side of theirs. */
static const uint64_t EDGES[] = { 0,          0x7fffffff, 0x80000000, 0xffffffff,
				  0x100000000, 0xffffffff80000000ULL, 0xffffffff7fffffffULL,
				  ~0ULL,      0xffffffff81000000ULL, 0xffffffffc0000000ULL };
#define N_EDGES (sizeof(EDGES) / sizeof(EDGES[0]))

static uint64_t symbol_value(uint64_t *st)
{
	return below(st, 4) ? EDGES[below(st, N_EDGES)] + below(st, 3) * 0x10 : next(st);
}

/* The types the kernel writes, then some it does not know. */
static const uint32_t TYPES[] = { R_X86_64_NONE, R_X86_64_64,  R_X86_64_PC32, R_X86_64_PLT32,
				  R_X86_64_32,   R_X86_64_32S, R_X86_64_PC64, R_X86_64_GOT32,
				  R_X86_64_GOTPCREL, 42,       0xffffffff };

/* The symbols: the null symbol, then livepatch symbols of vmlinux and ext4, now and then one that
 * is not marked as a livepatch symbol or whose name does not parse. Each known one resolves to a
 * value near an edge; an unknown one (".klp.sym.ext4.gone,0") does not resolve. */
static bool make_symbols(struct reloc_module *m, uint64_t *st, size_t nsyms)
{
	char *strtab = calloc(nsyms, 40);
	size_t used = 1;

	m->syms = calloc(nsyms, sizeof(*m->syms));
	m->table = calloc(nsyms, sizeof(*m->table));
	if (!strtab || !m->syms || !m->table)
		return false;
	for (size_t k = 1; k < nsyms; k++) {
		const char *obj = k % 2 ? "vmlinux" : "ext4";
		uint64_t shape = below(st, 40);
		struct reloc_symbol *s = &m->table[m->n_table];

		m->syms[k].st_name = (Elf64_Word)used;
		m->syms[k].st_shndx = shape == 0 ? 1 : KLPELF_SHN_LIVEPATCH;
		m->syms[k].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
		used += (size_t)sprintf(strtab + used, shape == 1 ? ".klp.sym.%s.s%zu" :
					shape == 2 ? ".klp.sym.ext4.gone,0" : ".klp.sym.%s.s%zu,0",
					shape == 2 ? "" : obj, k) + 1;
		snprintf(s->objname, sizeof(s->objname), "%s", strcmp(obj, "vmlinux") ? obj : "");
		snprintf(s->name, sizeof(s->name), "s%zu", k);
		s->addr = symbol_value(st);
		m->n_table++;
	}
	m->mod.core_kallsyms = (struct mod_kallsyms){ m->syms, (unsigned int)nsyms, strtab, NULL };
	m->info.sechdrs[SYMNDX + 1].sh_size = used;
	return true;
}

/* One relocation against a target of `size` bytes: mostly an 8-byte slot of it, now and then a
 * range at or past its end; mostly a known type, and a symbol of the section's object (odd
 * symbols vmlinux's, even ones ext4's: an ext4 section may not use vmlinux's). */
static Elf64_Rela relocation(uint64_t *st, size_t k, uint64_t size, size_t nsyms, bool ext4,
			     const struct reloc_module *m)
{
	uint64_t odd = below(st, 60), sym = 1 + below(st, nsyms - 1);
	uint32_t type = TYPES[below(st, 30) ? below(st, 7) : 7 + below(st, 4)];
	uint64_t offset, s, addend;

	if (ext4 && nsyms > 2 && below(st, 8))
		sym = 2 * (1 + below(st, (nsyms - 1) / 2));
	offset = (k * 8) % (size - 7);
	s = m->table[sym - 1].addr;

	if (odd == 0)
		offset = size - 1 - below(st, 4);
	else if (odd == 1)
		offset = ~0ULL - below(st, 8);
	else if (odd == 2)
		sym = nsyms + below(st, 2);
	if (type == R_X86_64_32 || type == R_X86_64_32S)
		addend = EDGES[below(st, N_EDGES)] + below(st, 3) - 1 - s; /* S + A at an edge */
	else
		addend = below(st, 2) ? (uint64_t)-4 : below(st, 2) ? 16 : next(st);
	return (Elf64_Rela){ offset, ELF64_R_INFO(sym, type), (Elf64_Sxword)addend };
}

static bool make_relocations(struct reloc_module *m, uint64_t *st, unsigned int i, size_t nsyms)
{
	Elf64_Shdr *s = &m->info.sechdrs[i];
	size_t count = below(st, 13);
	Elf64_Rela *relas = calloc(count ? count : 1, sizeof(*relas));
	uint64_t target;

	if (!relas)
		return false;
	s->sh_type = SHT_RELA;
	s->sh_flags = SHF_ALLOC | SHF_INFO_LINK | (below(st, 6) ? SHF_RELA_LIVEPATCH : 0);
	s->sh_link = SYMNDX;
	s->sh_info = below(st, 50) ? 1 + (unsigned int)below(st, 2) : SHNUM + (unsigned)below(st, 3);
	s->sh_size = count * sizeof(Elf64_Rela);
	target = s->sh_info < SHNUM ? m->info.sechdrs[s->sh_info].sh_size : 64;
	for (size_t k = 0; k < count; k++)
		relas[k] = relocation(st, k, target, nsyms, i == 4, m);
	if (!reloc_module_bytes(m, i, relas, s->sh_size)) {
		free(relas);
		return false;
	}
	free(relas);
	return true;
}

/* Targets are mostly zero; now and then a byte is not. */
static bool make_targets(struct reloc_module *m, uint64_t *st)
{
	static const uint64_t sizes[] = { 16, 24, 104, 104, 256, 256 };

	for (unsigned int i = 1; i <= 2; i++) {
		m->info.sechdrs[i] = (Elf64_Shdr){ NAMES[i], SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
						   0, 0, sizes[below(st, 6)], 0, 0, 16, 0 };
		if (!reloc_module_bytes(m, i, NULL, m->info.sechdrs[i].sh_size))
			return false;
		if (!below(st, 16))
			m->bytes[i][below(st, m->info.sechdrs[i].sh_size)] = (unsigned char)(1 + below(st, 255));
	}
	return true;
}

bool reloc_case_build(uint64_t n, struct reloc_module *m, const char **objname, bool *clear,
		      unsigned char *tamper, char *label, size_t label_size)
{
	uint64_t st = n * 0x2545f4914f6cdd1dULL + 1;
	size_t nsyms = 2 + below(&st, 8);
	const char *obj;

	memset(m, 0, sizeof(*m));
	m->info.sechdrs = calloc(SHNUM, sizeof(*m->info.sechdrs));
	m->info.secstrings = malloc(sizeof(SECSTRINGS));
	if (!m->info.sechdrs || !m->info.secstrings || !reloc_module_alloc(m, SHNUM))
		return false;
	memcpy(m->info.secstrings, SECSTRINGS, sizeof(SECSTRINGS));
	m->info.hdr.e_machine = EM_X86_64;
	m->info.hdr.e_shnum = SHNUM;
	m->info.hdr.e_shstrndx = SHNUM - 1;
	m->info.symndx = SYMNDX;
	for (unsigned int i = 1; i < SHNUM; i++)
		m->info.sechdrs[i].sh_name = NAMES[i];
	m->info.sechdrs[SHNUM - 1].sh_size = sizeof(SECSTRINGS);
	if (!make_targets(m, &st) || !make_symbols(m, &st, nsyms) ||
	    !make_relocations(m, &st, 3, nsyms) || !make_relocations(m, &st, 4, nsyms))
		return false;
	m->info.sechdrs[SYMNDX] = (Elf64_Shdr){ NAMES[SYMNDX], SHT_SYMTAB, 0,
						(Elf64_Addr)(uintptr_t)m->syms, 0,
						nsyms * sizeof(Elf64_Sym), SYMNDX + 1, 1, 8,
						sizeof(Elf64_Sym) };
	snprintf(m->mod.name, sizeof(m->mod.name), "oracle_case");
	m->mod.klp = true;
	m->mod.klp_info = &m->info;
	reloc_module_mark(m);
	obj = below(&st, 4) ? "vmlinux" : "ext4";
	*objname = strcmp(obj, "vmlinux") ? obj : NULL;
	*clear = below(&st, 5) < 2;
	*tamper = *clear && !below(&st, 4) ? (unsigned char)(1 << below(&st, 8)) : 0;
	snprintf(label, label_size, "relocation table %llu: %s %s%s", (unsigned long long)n,
		 *clear ? "apply, then clear" : "apply", obj, *tamper ? ", target changed" : "");
	return true;
}
