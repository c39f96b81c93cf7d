/*
 * klp_convert: klpelf's TEST TOOLING (built, never installed) that turns an ELF64 relocatable
 * object (a compiler-made .o or a kbuild .ko) into the kernel's livepatch module format, so that the
 * bundled sample module and the tests have real livepatch relocation sections to work on.
 *
 * Usage: klp_convert INPUT OUTPUT      (OUTPUT may be INPUT: the conversion is made in place)
 *
 * It edits symbols and section headers, and reorders relocation entries within their section:
 * 1. every symbol whose name starts with ".klp.sym." gets st_shndx = SHN_LIVEPATCH (0xff20);
 * 2. for every placeholder section named ".klp.rela.<obj>.<sec>" (the source makes one, e.g.
 *    `static const char p[1] __attribute__((section(".klp.rela.vmlinux..rodata.klp_refs"), used));`),
 *    the relocations of ".rela<sec>" (here ".rela.rodata.klp_refs") that use a .klp.sym symbol move
 *    to the front of that section, in their order, and the placeholder's header takes them over:
 *    type SHT_RELA; sh_offset, sh_entsize, sh_link, sh_info and sh_addralign from the ".rela"
 *    section, sh_size their size; flags SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH. The
 *    ".rela<sec>" section keeps its name and the other relocations (those of the compiler's own
 *    helpers, such as __fentry__ or __x86_return_thunk), after them; with none it gets sh_size 0.
 *    Either way no relocation is applied twice.
 *
 * This works in place because the source names its external symbols in the livepatch format with
 * asm labels (`extern char klp_cmdline[] __asm__(".klp.sym.vmlinux.cmdline_proc_show,0");`) and uses
 * them only from dedicated sections (`const void *const klp_refs[]
 * __attribute__((section(".rodata.klp_refs"), used)) = { klp_cmdline };`, or functions in a section
 * of their own). The real kernel tool (klp-convert) does far more; this one does exactly what the
 * tests need.
 *
 * Everything read from the input is bounds-checked first: a malformed input is refused with a
 * message and exit status 1 (2 for a usage or I/O error), never read out of bounds.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KLP_SHN_LIVEPATCH 0xff20
#define KLP_SHF_RELA_LIVEPATCH 0x00100000ULL
#define KLP_SYM_PREFIX ".klp.sym."
#define KLP_RELA_PREFIX ".klp.rela."

static const char *input_path = "";

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "klp_convert: %s: ", input_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The whole file, in a malloc'd (so suitably aligned) buffer. */
static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n;
	unsigned char *buf = NULL, *bigger;

	*len = 0;
	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf && (n = fread(buf + *len, 1, cap - *len, f)) > 0) {
		*len += n;
		if (*len == cap) {
			bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
			if (!bigger) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int write_all(const char *path, const unsigned char *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(bytes, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	return ok ? 0 : -1;
}

/* The parts of the object the conversion reads, all proven inside the file. */
struct object {
	unsigned char *bytes;
	size_t len;
	Elf64_Shdr *sechdrs; /* shnum headers */
	size_t shnum;
	const char *secstrings;
	size_t secstrings_len;
};

/* True when [off, off + size) lies inside a file of `len` bytes. */
static int in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

/* The NUL-terminated string at `off` of a table of `size` bytes, or NULL if it is not one. */
static const char *string_at(const char *table, size_t size, uint64_t off)
{
	if (off >= size || !memchr(table + off, '\0', size - off))
		return NULL;
	return table + off;
}

static const char *section_name(const struct object *o, size_t i)
{
	return string_at(o->secstrings, o->secstrings_len, o->sechdrs[i].sh_name);
}

static int parse_object(struct object *o)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)o->bytes;
	const Elf64_Shdr *names;
	size_t i;

	if (o->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		fail("not an ELF file");
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_type != ET_REL) {
		fail("not a little-endian ELF64 relocatable object");
		return -1;
	}
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0 ||
	    eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum) {
		fail("unsupported section table (e_shentsize %u, e_shnum %u, e_shstrndx %u; extended "
		     "numbering is not supported)",
		     (unsigned)eh->e_shentsize, (unsigned)eh->e_shnum, (unsigned)eh->e_shstrndx);
		return -1;
	}
	if (eh->e_shoff % 8 != 0 ||
	    !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), o->len)) {
		fail("section header table (offset %llu, %u entries) is misaligned or outside the file",
		     (unsigned long long)eh->e_shoff, (unsigned)eh->e_shnum);
		return -1;
	}
	o->sechdrs = (Elf64_Shdr *)(o->bytes + eh->e_shoff);
	o->shnum = eh->e_shnum;
	names = &o->sechdrs[eh->e_shstrndx];
	if (names->sh_type != SHT_STRTAB || names->sh_size == 0 ||
	    !in_file(names->sh_offset, names->sh_size, o->len)) {
		fail("section-name table (section %u) is not a string table inside the file",
		     (unsigned)eh->e_shstrndx);
		return -1;
	}
	o->secstrings = (const char *)o->bytes + names->sh_offset;
	o->secstrings_len = names->sh_size;
	for (i = 1; i < o->shnum; i++) {
		if (!section_name(o, i)) {
			fail("section %zu: name offset %u is outside the section-name table", i,
			     (unsigned)o->sechdrs[i].sh_name);
			return -1;
		}
	}
	return 0;
}

/* Step 1: every .klp.sym.* symbol becomes a livepatch symbol. Returns their count, or -1; sets
 * *symndx_out to the symbol table's index. */
static long mark_livepatch_symbols(struct object *o, size_t *symndx_out)
{
	size_t i, symndx = 0, n, count = 0;
	const Elf64_Shdr *symtab, *strtab;
	Elf64_Sym *syms;
	const char *strings;

	for (i = 1; i < o->shnum; i++) {
		if (o->sechdrs[i].sh_type != SHT_SYMTAB)
			continue;
		if (symndx) {
			fail("more than one symbol table (sections %zu and %zu)", symndx, i);
			return -1;
		}
		symndx = i;
	}
	if (!symndx) {
		fail("no symbol table");
		return -1;
	}
	symtab = &o->sechdrs[symndx];
	if (symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_offset % 8 != 0 ||
	    !in_file(symtab->sh_offset, symtab->sh_size, o->len)) {
		fail("symbol table (section %zu) has entries of %llu bytes, or is misaligned or "
		     "outside the file",
		     symndx, (unsigned long long)symtab->sh_entsize);
		return -1;
	}
	if (symtab->sh_link == 0 || symtab->sh_link >= o->shnum) {
		fail("symbol table's sh_link %u is not a section", (unsigned)symtab->sh_link);
		return -1;
	}
	strtab = &o->sechdrs[symtab->sh_link];
	if (strtab->sh_type != SHT_STRTAB || !in_file(strtab->sh_offset, strtab->sh_size, o->len)) {
		fail("symbol string table (section %u) is not a string table inside the file",
		     (unsigned)symtab->sh_link);
		return -1;
	}
	syms = (Elf64_Sym *)(o->bytes + symtab->sh_offset);
	strings = (const char *)o->bytes + strtab->sh_offset;
	n = symtab->sh_size / sizeof(Elf64_Sym);
	for (i = 1; i < n; i++) {
		const char *name = string_at(strings, strtab->sh_size, syms[i].st_name);
		if (!name) {
			fail("symbol %zu: st_name %u is outside the string table", i,
			     (unsigned)syms[i].st_name);
			return -1;
		}
		if (strncmp(name, KLP_SYM_PREFIX, strlen(KLP_SYM_PREFIX)) == 0) {
			syms[i].st_shndx = KLP_SHN_LIVEPATCH;
			count++;
		}
	}
	*symndx_out = symndx;
	return (long)count;
}

/* The index of the section named `name`, or 0. */
static size_t find_section(const struct object *o, const char *name)
{
	size_t i;

	for (i = 1; i < o->shnum; i++)
		if (strcmp(section_name(o, i), name) == 0)
			return i;
	return 0;
}

/* Whether symbol `index` of the object's symbol table is a livepatch symbol (step 1 marked it). */
static int livepatch_symbol(const struct object *o, size_t symndx, uint64_t index)
{
	const Elf64_Shdr *symtab = &o->sechdrs[symndx];
	const Elf64_Sym *syms = (const Elf64_Sym *)(o->bytes + symtab->sh_offset);

	return index < symtab->sh_size / sizeof(Elf64_Sym) && syms[index].st_shndx == KLP_SHN_LIVEPATCH;
}

/*
 * Moves the relocations of `rela` (section `r`) that use livepatch symbols to its front, both
 * groups keeping their order. Returns how many there are, or -1 when its symbol table is not the
 * object's (sh_link) or the scratch space runs out.
 */
static long partition_relocations(struct object *o, size_t r, size_t symndx)
{
	Elf64_Shdr *rela = &o->sechdrs[r];
	Elf64_Rela *relas = (Elf64_Rela *)(o->bytes + rela->sh_offset), *others;
	size_t i, n = rela->sh_size / sizeof(Elf64_Rela), moved = 0, kept = 0;

	if (rela->sh_link != symndx || rela->sh_offset % 8 != 0) {
		fail("%s (section %zu) is misaligned or uses symbol table %u, not %zu",
		     section_name(o, r), r, (unsigned)rela->sh_link, symndx);
		return -1;
	}
	others = malloc((n ? n : 1) * sizeof(*others));
	if (!others) {
		fail("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (livepatch_symbol(o, symndx, ELF64_R_SYM(relas[i].r_info)))
			relas[moved++] = relas[i];
		else
			others[kept++] = relas[i];
	}
	memcpy(relas + moved, others, kept * sizeof(*others));
	free(others);
	return (long)moved;
}

/* The .rela<sec> section a .klp.rela.<obj>.<sec> placeholder (section i) takes relocations from,
 * checked; 0 after a failure (reported). */
static size_t source_section(const struct object *o, size_t i)
{
	const char *name = section_name(o, i), *sec;
	char rela_name[4096];
	size_t r;
	const Elf64_Shdr *rela;

	/* <obj> ends at the first '.'; <sec> follows that dot (".klp.rela.vmlinux..text" names
	 * ".text" of vmlinux). */
	sec = strchr(name + strlen(KLP_RELA_PREFIX), '.');
	if (!sec || sec == name + strlen(KLP_RELA_PREFIX) || *++sec == '\0') {
		fail("section %zu (%s) is not named .klp.rela.<object>.<section>", i, name);
		return 0;
	}
	if (o->sechdrs[i].sh_type == SHT_RELA) {
		fail("section %zu (%s) is already a relocation section", i, name);
		return 0;
	}
	if ((size_t)snprintf(rela_name, sizeof(rela_name), ".rela%s", sec) >= sizeof(rela_name)) {
		fail("section %zu: name too long", i);
		return 0;
	}
	r = find_section(o, rela_name);
	if (!r) {
		fail("%s has no relocation section %s (does the source reference .klp.sym "
		     "symbols from section %s?)",
		     name, rela_name, sec);
		return 0;
	}
	rela = &o->sechdrs[r];
	if (rela->sh_type != SHT_RELA || rela->sh_entsize != sizeof(Elf64_Rela) ||
	    rela->sh_size == 0 || !in_file(rela->sh_offset, rela->sh_size, o->len)) {
		fail("%s (section %zu) is not a non-empty SHT_RELA section inside the file "
		     "(or was already moved)",
		     rela_name, r);
		return 0;
	}
	return r;
}

/* Step 2: each .klp.rela.<obj>.<sec> placeholder takes over the livepatch relocations of
 * .rela<sec>. Returns their count. */
static long move_relocation_sections(struct object *o, size_t symndx)
{
	size_t i, count = 0;

	for (i = 1; i < o->shnum; i++) {
		Elf64_Shdr *placeholder = &o->sechdrs[i], *rela;
		size_t r, bytes;
		long moved;

		if (strncmp(section_name(o, i), KLP_RELA_PREFIX, strlen(KLP_RELA_PREFIX)) != 0)
			continue;
		r = source_section(o, i);
		if (!r || (moved = partition_relocations(o, r, symndx)) < 0)
			return -1;
		if (moved == 0) {
			fail("%s has no relocation that uses a .klp.sym symbol", section_name(o, r));
			return -1;
		}
		rela = &o->sechdrs[r];
		bytes = (size_t)moved * sizeof(Elf64_Rela);
		placeholder->sh_type = SHT_RELA;
		placeholder->sh_flags = SHF_ALLOC | SHF_INFO_LINK | KLP_SHF_RELA_LIVEPATCH;
		placeholder->sh_offset = rela->sh_offset;
		placeholder->sh_size = bytes;
		placeholder->sh_entsize = rela->sh_entsize;
		placeholder->sh_link = rela->sh_link;
		placeholder->sh_info = rela->sh_info;
		placeholder->sh_addralign = rela->sh_addralign;
		rela->sh_size -= bytes;
		rela->sh_offset = rela->sh_size ? rela->sh_offset + bytes : rela->sh_offset;
		count++;
	}
	return (long)count;
}

int main(int argc, char **argv)
{
	struct object o;
	long symbols, sections;
	size_t symndx = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s INPUT OUTPUT\n", argv[0]);
		return 2;
	}
	input_path = argv[1];
	memset(&o, 0, sizeof(o));
	o.bytes = read_all(argv[1], &o.len);
	if (!o.bytes) {
		fail("%s", strerror(errno));
		return 2;
	}
	if (parse_object(&o) || (symbols = mark_livepatch_symbols(&o, &symndx)) < 0 ||
	    (sections = move_relocation_sections(&o, symndx)) < 0) {
		free(o.bytes);
		return 1;
	}
	if (symbols == 0 || sections == 0) {
		fail("nothing to convert (%ld .klp.sym symbols, %ld .klp.rela placeholders)", symbols,
		     sections);
		free(o.bytes);
		return 1;
	}
	if (write_all(argv[2], o.bytes, o.len)) {
		fprintf(stderr, "klp_convert: %s: %s\n", argv[2], strerror(errno));
		free(o.bytes);
		return 2;
	}
	free(o.bytes);
	printf("klp_convert: %s: %ld livepatch symbol(s), %ld livepatch relocation section(s)\n",
	       argv[2], symbols, sections);
	return 0;
}
