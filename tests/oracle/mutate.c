/*
 * mutate.c: the mutated inputs: every single-field mutation of a base module's ELF header and
 * section headers (and of a few symbols and relocations), each to a handful of values chosen to sit
 * on the checks' boundaries, and random byte flips. Deterministic: the same base gives the same
 * list. SPDX-License-Identifier: GPL-2.0-only
 */

#define _GNU_SOURCE /* memmem */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "oracle.h"

#define SHN_LIVEPATCH 0xff20

struct field {
	const char *name;
	uint32_t at;   /* offset in the header or entry */
	uint8_t width;
	int kind;      /* which values to try (enum below) */
};

enum { PLAIN, OFFSET, SIZE, INDEX, TYPE, FLAGS, NAME, SHNDX, IDENT };

/* A field of an ELF structure: its name, offset and width, and which values to try. */
#define FIELD(type, member, kind) \
	{ #member, offsetof(type, member), sizeof(((type *)0)->member), kind }
#define EHDR(member, kind) FIELD(Elf64_Ehdr, member, kind)
#define SHDR(member, kind) FIELD(Elf64_Shdr, member, kind)

static const struct field ehdr_fields[] = {
	{ "ELF magic", 0, 1, IDENT }, { "EI_CLASS", EI_CLASS, 1, IDENT },
	{ "EI_DATA", EI_DATA, 1, IDENT }, { "EI_VERSION", EI_VERSION, 1, IDENT },
	{ "EI_OSABI", EI_OSABI, 1, IDENT },
	EHDR(e_type, PLAIN), EHDR(e_machine, PLAIN), EHDR(e_version, PLAIN), EHDR(e_entry, PLAIN),
	EHDR(e_phoff, OFFSET), EHDR(e_shoff, OFFSET), EHDR(e_flags, PLAIN), EHDR(e_ehsize, PLAIN),
	EHDR(e_phentsize, PLAIN), EHDR(e_phnum, INDEX), EHDR(e_shentsize, SIZE),
	EHDR(e_shnum, INDEX), EHDR(e_shstrndx, INDEX),
};

static const struct field shdr_fields[] = {
	SHDR(sh_name, NAME), SHDR(sh_type, TYPE), SHDR(sh_flags, FLAGS), SHDR(sh_addr, PLAIN),
	SHDR(sh_offset, OFFSET), SHDR(sh_size, SIZE), SHDR(sh_link, INDEX), SHDR(sh_info, INDEX),
	SHDR(sh_addralign, PLAIN), SHDR(sh_entsize, PLAIN),
};

static const struct field sym_fields[] = {
	FIELD(Elf64_Sym, st_name, NAME), FIELD(Elf64_Sym, st_shndx, SHNDX),
};

/* The base image's shape, read defensively (a base is a module klpelf accepted). */
struct shape {
	const struct image *img;
	const Elf64_Ehdr *hdr;
	const Elf64_Shdr *sechdrs;
	unsigned shnum;
	uint64_t names_size; /* the section-name table's size */
	uint64_t strtab_size;
	uint64_t symbols;
	uint64_t names[6]; /* where the sections klpelf looks up by name have their names */
	size_t named;
};

/* Names that, given to another section, make a section the checks look up ambiguous. */
static const char *const looked_up[] = {
	".modinfo", ".gnu.linkonce.this_module", "__versions", ".data..percpu",
	"__version_ext_crcs", "__version_ext_names",
};

static uint64_t get(const unsigned char *p, unsigned width)
{
	uint64_t v = 0;

	memcpy(&v, p, width); /* little endian host */
	return v;
}

/* The values worth trying for a field of `kind` whose value is `orig`, into v[]. */
static size_t values(const struct shape *s, int kind, uint64_t orig, uint64_t *v)
{
	uint64_t len = s->img->len;
	size_t n = 0;

	v[n++] = 0, v[n++] = 1, v[n++] = orig - 1, v[n++] = orig + 1, v[n++] = ~0ULL;
	switch (kind) {
	case OFFSET:
		v[n++] = len - 1, v[n++] = len, v[n++] = len + 1, v[n++] = len - 64, v[n++] = orig + 4;
		break;
	case SIZE:
		v[n++] = len, v[n++] = len + 1, v[n++] = 64, v[n++] = 24, v[n++] = 1ULL << 62;
		break;
	case INDEX:
		v[n++] = s->shnum - 1, v[n++] = s->shnum, v[n++] = SHN_LORESERVE, v[n++] = SHN_XINDEX;
		break;
	case TYPE:
		v[n++] = SHT_NULL, v[n++] = SHT_SYMTAB, v[n++] = SHT_STRTAB, v[n++] = SHT_RELA;
		v[n++] = SHT_NOBITS, v[n++] = SHT_REL, v[n++] = SHT_SYMTAB_SHNDX;
		break;
	case FLAGS:
		v[n++] = orig ^ SHF_ALLOC, v[n++] = orig ^ SHF_RELA_LIVEPATCH;
		break;
	case NAME:
		v[n++] = s->names_size - 1, v[n++] = s->names_size, v[n++] = s->strtab_size;
		v[n++] = s->strtab_size - 1;
		for (size_t i = 0; i < s->named; i++)
			v[n++] = s->names[i];
		break;
	case SHNDX:
		v[n++] = s->shnum - 1, v[n++] = s->shnum, v[n++] = SHN_LORESERVE, v[n++] = SHN_ABS;
		v[n++] = SHN_COMMON, v[n++] = SHN_LIVEPATCH, v[n++] = SHN_XINDEX, v[n++] = 0xfeff;
		break;
	case IDENT:
		v[n++] = ELFCLASS32, v[n++] = ELFDATA2MSB, v[n++] = 0x7f;
		break;
	}
	return n;
}

/* Appends the mutations of the field at image offset `at`. */
static size_t field_mutations(const struct shape *s, const struct field *f, uint32_t at,
			      const char *where, struct mutation *out, size_t max)
{
	uint64_t v[32], mask = f->width == 8 ? ~0ULL : (1ULL << (8 * f->width)) - 1;
	uint64_t orig;
	size_t n = 0, count;

	if (at + f->width > s->img->len)
		return 0;
	orig = get(s->img->bytes + at, f->width);
	count = values(s, f->kind, orig, v);
	for (size_t i = 0; i < count && n < max; i++) {
		uint64_t value = v[i] & mask;
		bool seen = value == orig;

		for (size_t j = 0; j < i && !seen; j++)
			seen = (v[j] & mask) == value;
		if (seen)
			continue;
		out[n] = (struct mutation){ .change = { { at, f->width, value } }, .changes = 1 };
		snprintf(out[n].what, sizeof(out[n].what), "%s%s = %#llx", where, f->name,
			 (unsigned long long)value);
		n++;
	}
	return n;
}

static bool shape_of(const struct image *img, struct shape *s)
{
	const Elf64_Ehdr *hdr = (const Elf64_Ehdr *)img->bytes;
	struct load_info info;

	if (klpelf_setup_load_info(&info, img->bytes, img->len, 0))
		return false;
	memset(s, 0, sizeof(*s));
	s->img = img;
	s->hdr = hdr;
	s->sechdrs = info.sechdrs;
	s->shnum = hdr->e_shnum;
	s->names_size = info.sechdrs[hdr->e_shstrndx].sh_size;
	s->strtab_size = info.sechdrs[info.index.str].sh_size;
	s->symbols = info.sechdrs[info.index.sym].sh_size / sizeof(Elf64_Sym);
	for (size_t i = 0; i < sizeof(looked_up) / sizeof(looked_up[0]); i++) {
		const char *at = memmem(info.secstrings, s->names_size, looked_up[i],
					strlen(looked_up[i]) + 1);

		if (at)
			s->names[s->named++] = (uint64_t)(at - info.secstrings);
	}
	return true;
}

/* The symbols worth mutating: the first few, the last, and a spread in between. */
static bool symbol_picked(uint64_t i, uint64_t count)
{
	return i < 4 || i + 1 == count || i % (count / 8 + 1) == 0;
}

static size_t symbol_mutations(const struct shape *s, struct mutation *out, size_t max)
{
	const Elf64_Shdr *symtab = NULL;
	size_t n = 0;
	char where[48];

	for (unsigned i = 1; i < s->shnum; i++)
		if (s->sechdrs[i].sh_type == SHT_SYMTAB)
			symtab = &s->sechdrs[i];
	for (uint64_t i = 0; symtab && i < s->symbols; i++) {
		if (!symbol_picked(i, s->symbols))
			continue;
		snprintf(where, sizeof(where), "symbol %llu ", (unsigned long long)i);
		for (size_t f = 0; f < sizeof(sym_fields) / sizeof(sym_fields[0]); f++)
			n += field_mutations(s, &sym_fields[f],
					     (uint32_t)(symtab->sh_offset + i * sizeof(Elf64_Sym) +
							sym_fields[f].at),
					     where, out + n, max - n);
	}
	return n;
}

/* The symbol of the first and last relocation of each relocation section. */
static size_t relocation_mutations(const struct shape *s, struct mutation *out, size_t max)
{
	static const struct field r_sym = { "ELF64_R_SYM(r_info)", 12, 4, PLAIN };
	size_t n = 0;
	char where[64];

	for (unsigned i = 1; i < s->shnum && n < max; i++) {
		const Elf64_Shdr *rel = &s->sechdrs[i];
		uint64_t count = rel->sh_type == SHT_RELA ? rel->sh_size / sizeof(Elf64_Rela) : 0;

		for (uint64_t r = 0; r < count; r += count > 1 ? count - 1 : 1) {
			struct field f = r_sym;
			uint64_t v[] = { s->symbols - 1, s->symbols, s->symbols + 1, 0xffffffffULL };
			uint64_t at = rel->sh_offset + r * sizeof(Elf64_Rela) + f.at;

			snprintf(where, sizeof(where), "section %u relocation %llu ", i,
				 (unsigned long long)r);
			for (size_t k = 0; k < 4 && n < max && at + 4 <= s->img->len; k++) {
				uint64_t value = v[k] & 0xffffffffULL;

				out[n] = (struct mutation){ .change = { { (uint32_t)at, 4, value } },
							    .changes = 1 };
				snprintf(out[n].what, sizeof(out[n].what), "%s%s = %#llx", where,
					 f.name, (unsigned long long)value);
				n++;
			}
		}
	}
	return n;
}

/* Section `i` changed in its type and field `f` (and emptied when `empty`). */
static size_t several(const struct shape *s, unsigned i, uint32_t type, const struct field *f,
		      uint64_t value, bool empty, struct mutation *out, size_t max)
{
	uint64_t sh = s->hdr->e_shoff + (uint64_t)i * sizeof(Elf64_Shdr);
	uint32_t base = (uint32_t)sh;

	if (!max || sh + sizeof(Elf64_Shdr) > s->img->len)
		return 0;
	*out = (struct mutation){ .change = { { base + offsetof(Elf64_Shdr, sh_type), 4, type },
					      { base + f->at, f->width, value },
					      { base + offsetof(Elf64_Shdr, sh_size), 8, 0 } },
				  .changes = empty ? 3 : 2 };
	snprintf(out->what, sizeof(out->what), "section %u sh_type = %u, %s = %#llx%s", i, type,
		 f->name, (unsigned long long)value, empty ? ", sh_size = 0" : "");
	return 1;
}

/* The section whose name is `name`, or 0. */
static unsigned named(const struct shape *s, uint64_t name)
{
	for (unsigned i = 1; i < s->shnum; i++)
		if (s->sechdrs[i].sh_name == name)
			return i;
	return 0;
}

/*
 * The inputs of klpelf's own checks need several fields changed: an SHT_NULL section whose name
 * is outside the name table (null_section_name) or whose bytes are outside the file
 * (null_alloc_in_file, for a loaded section), an SHT_NOBITS section outside the file, with its
 * size or empty (indexed_in_file, for the sections the loader looks up by name), an empty section
 * table whose section 0 is outside the file (section0_in_file).
 */
static size_t several_fields(const struct shape *s, struct mutation *out, size_t max)
{
	const struct field *name = &shdr_fields[0], *off = &shdr_fields[4];
	uint64_t len = s->img->len;
	size_t n = 0;

	for (unsigned i = 1; i < s->shnum; i++) {
		n += several(s, i, SHT_NULL, name, s->names_size, false, out + n, max - n);
		n += several(s, i, SHT_NULL, off, len, false, out + n, max - n);
		n += several(s, i, SHT_NULL, off, len + 1, true, out + n, max - n);
		n += several(s, i, SHT_NOBITS, off, len - 1, false, out + n, max - n);
	}
	for (size_t k = 0; k < s->named; k++) {
		unsigned i = named(s, s->names[k]);

		if (i)
			n += several(s, i, SHT_NOBITS, off, len + 1, true, out + n, max - n);
	}
	if (n < max) {
		out[n] = (struct mutation){ .change = { { offsetof(Elf64_Ehdr, e_shnum), 2, 0 },
							{ offsetof(Elf64_Ehdr, e_shoff), 8, len - 8 } },
					    .changes = 2 };
		snprintf(out[n].what, sizeof(out[n].what), "e_shnum = 0, e_shoff = %#llx",
			 (unsigned long long)(len - 8));
		n++;
	}
	return n;
}

size_t mutations_of(const struct image *base, struct mutation *out, size_t max)
{
	struct shape s;
	size_t n = 0;
	char where[48];

	if (!shape_of(base, &s))
		return 0;
	for (size_t f = 0; f < sizeof(ehdr_fields) / sizeof(ehdr_fields[0]); f++)
		n += field_mutations(&s, &ehdr_fields[f], ehdr_fields[f].at, "", out + n, max - n);
	for (unsigned i = 0; i < s.shnum; i++) {
		uint64_t at = s.hdr->e_shoff + (uint64_t)i * sizeof(Elf64_Shdr);

		snprintf(where, sizeof(where), "section %u ", i);
		for (size_t f = 0; f < sizeof(shdr_fields) / sizeof(shdr_fields[0]); f++)
			n += field_mutations(&s, &shdr_fields[f], (uint32_t)(at + shdr_fields[f].at),
					     where, out + n, max - n);
	}
	n += symbol_mutations(&s, out + n, max - n);
	n += relocation_mutations(&s, out + n, max - n);
	n += several_fields(&s, out + n, max - n);
	return n;
}

/* splitmix64: a small, good, deterministic generator. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void flip_of(const struct image *base, uint64_t seed, uint64_t k, struct mutation *out)
{
	const Elf64_Ehdr *hdr = (const Elf64_Ehdr *)base->bytes;
	uint64_t state = seed * 0x100000001b3ULL + k, r = next_random(&state);
	uint64_t table = (uint64_t)hdr->e_shnum * sizeof(Elf64_Shdr), at;
	unsigned bit = (unsigned)(next_random(&state) % 8);

	/* Half the flips hit the headers, where the checks look; half anywhere. */
	if (r % 2 && hdr->e_shoff + table <= base->len)
		at = (r >> 1) % (64 + table), at = at < 64 ? at : hdr->e_shoff + at - 64;
	else
		at = (r >> 1) % base->len;
	*out = (struct mutation){ .change = { { (uint32_t)at, 1, 1u << bit } }, .changes = 1,
				  .flip = true };
	snprintf(out->what, sizeof(out->what), "flip %llu: byte %llu ^= %#x",
		 (unsigned long long)k, (unsigned long long)at, 1u << bit);
}

void mutation_apply(struct image *img, const struct mutation *m)
{
	for (unsigned i = 0; i < m->changes; i++) {
		const struct change *c = &m->change[i];
		uint64_t v = c->value;

		if (c->offset + c->width > img->len)
			continue;
		if (m->flip)
			v ^= get(img->bytes + c->offset, c->width);
		memcpy(img->bytes + c->offset, &v, c->width);
	}
}
