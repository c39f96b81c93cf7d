/*
 * pipeline.c: the checks of the freestanding test programs (program.h), written for a program
 * without a C library: they call only klpelf, the string functions and fs_write_stderr(). They
 * run setup -> prepare -> copy -> release on the embedded module image, compare what
 * copy_module_elf() persisted with the image, load and query a symbol map from memory, and take
 * every block from a bump allocator registered with klpelf_set_allocator(). Then they apply and
 * clear the livepatch relocations of a persisted module built here, as a unikernel's loader would
 * (which needs no allocation).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <errno.h> /* the E* constants only */
#include <klpelf.h>

#include "program.h"

/* ---- a bump allocator: blocks from a static arena, frees only counted ---------------------- */

struct arena {
	unsigned char *base;
	size_t size, used;
	size_t allocs, frees, live_bytes;
};

static unsigned char arena_bytes[64 * 1024] __attribute__((aligned(16)));
static struct arena arena = { arena_bytes, sizeof(arena_bytes), 0, 0, 0, 0 };

static void *bump_alloc(size_t size, void *ctx)
{
	struct arena *a = ctx;
	size_t start = (a->used + 15) & ~(size_t)15;

	if (size > a->size || start > a->size - size)
		return NULL;
	a->used = start + size;
	a->allocs++;
	a->live_bytes += size;
	return a->base + start;
}

static void bump_free(void *ptr, size_t size, void *ctx)
{
	struct arena *a = ctx;

	if ((unsigned char *)ptr >= a->base && (unsigned char *)ptr < a->base + a->used) {
		a->frees++;
		a->live_bytes -= size;
	}
}

static int in_arena(const void *p)
{
	return (const unsigned char *)p >= arena.base &&
	       (const unsigned char *)p < arena.base + arena.used;
}

/* ---- checking without a C library ---------------------------------------------------------- */

static size_t length(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	fs_write_stderr(s, length(s));
}

static int checks;

/* Counts a check; when it fails, says so and returns its number from the calling function. */
#define CHECK(cond)                                                                     \
	do {                                                                             \
		checks++;                                                                \
		if (!(cond)) {                                                           \
			say("nostdlib: check failed at line " LINE_STRING(__LINE__) ": " #cond \
			       "\n");                                                    \
			return checks < 255 ? checks : 255;                              \
		}                                                                        \
	} while (0)
#define LINE_STRING(n) LINE_STRING_(n)
#define LINE_STRING_(n) #n

/* Runs a group of checks; returns the number of its failed check from the calling function. */
#define RUN(group)                         \
	do {                               \
		int failed_ = (group);     \
		if (failed_)               \
			return failed_;    \
	} while (0)

static int equal_strings(const char *a, const char *b)
{
	return a && b && length(a) == length(b) && memcmp(a, b, length(a)) == 0;
}

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

/* The last error is set and mentions `word`. */
static int last_error_mentions(const char *word)
{
	const char *msg = klpelf_last_error();
	size_t i, n = length(word);

	if (!msg)
		return 0;
	for (i = 0; msg[i]; i++)
		if (memcmp(msg + i, word, n) == 0)
			return 1;
	return 0;
}

/* ---- the checks ---------------------------------------------------------------------------- */

/* What the groups of checks share: the image, and the module being loaded from it. */
static const Elf64_Ehdr *ehdr;
static const Elf64_Shdr *shdrs;
static size_t image_len;
static struct load_info info;
static struct module mod;

/* The image's section headers as the file has them, before prepare rewrites the table. */
static Elf64_Shdr pristine[64];

/* The checks need no memory: they work before any allocator is set. A library without a default
 * allocator fails cleanly where it would need one. */
static int check_before_allocator(int has_default_allocator)
{
	struct klpelf_signature sig;

	CHECK(klpelf_version() != NULL && klpelf_version()[0] == '0' + KLPELF_VERSION_MAJOR);
	CHECK(klpelf_setup_load_info(&info, klpelf_fs_image, image_len, 0) == 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK(info.hdr == (Elf64_Ehdr *)klpelf_fs_image && info.sechdrs == (Elf64_Shdr *)shdrs);
	CHECK(info.len == image_len && equal_strings(info.name, "sample"));
	CHECK(ehdr->e_shnum <= sizeof(pristine) / sizeof(pristine[0]));
	memcpy(pristine, shdrs, ehdr->e_shnum * sizeof(Elf64_Shdr));
	CHECK(equal_strings(klpelf_get_modinfo(&info, "license"), "GPL"));

	if (!has_default_allocator) {
		CHECK(klpelf_prepare_module(&mod, &info) == -ENOMEM);
		CHECK(last_error_mentions("klpelf_set_allocator"));
		CHECK(all_zero(&mod, sizeof(mod)));
	} else {
		CHECK(klpelf_prepare_module(&mod, &info) == 0);
		klpelf_release_module(&mod);
		CHECK(all_zero(&mod.core_kallsyms, sizeof(mod.core_kallsyms)));
		memset(&mod, 0, sizeof(mod));
	}

	/* A file the kernel refuses (shorter than an ELF header): the message, with the length in
	 * it, is formatted without std. */
	CHECK(klpelf_setup_load_info(&info, klpelf_fs_image, 10, 0) == -ENOEXEC);
	CHECK(last_error_mentions("10 bytes"));
	CHECK(klpelf_module_signature(klpelf_fs_image, image_len, &sig) == -ENODATA);
	CHECK(klpelf_last_error() != NULL);
	return 0;
}

/* With the bump allocator: setup -> prepare (the kallsyms copy) -> copy. */
static int check_load(void)
{
	const Elf64_Shdr *symtab, *strtab;

	CHECK(klpelf_setup_load_info(&info, klpelf_fs_image, image_len, 0) == 0);
	CHECK(klpelf_prepare_module(&mod, &info) == 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK(equal_strings(mod.name, "sample") && mod.klp);
	symtab = &shdrs[info.index.sym];
	strtab = &shdrs[info.index.str];
	CHECK(symtab->sh_type == SHT_SYMTAB && symtab->sh_link == info.index.str);
	CHECK(mod.core_kallsyms.num_symtab == symtab->sh_size / sizeof(Elf64_Sym));
	CHECK(in_arena(mod.core_kallsyms.symtab) && in_arena(mod.core_kallsyms.strtab));
	CHECK(memcmp(mod.core_kallsyms.symtab, klpelf_fs_image + symtab->sh_offset,
		     symtab->sh_size) == 0);
	CHECK(memcmp(mod.core_kallsyms.strtab, klpelf_fs_image + strtab->sh_offset,
		     strtab->sh_size) == 0);

	CHECK(copy_module_elf(&mod, &info) == 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK(mod.klp_info != NULL && in_arena(mod.klp_info) && in_arena(mod.klp_info->sechdrs) &&
	      in_arena(mod.klp_info->secstrings));
	return 0;
}

/* What was persisted is the image's header, section table and name table: the table as prepare
 * left it in the image, but for the symbol table's address, which is now the kallsyms copy's; and
 * what prepare does not rewrite is as the file has it. */
static int check_persisted(void)
{
	const struct klp_modinfo *klp = mod.klp_info;
	unsigned int i;

	CHECK(memcmp(&klp->hdr, ehdr, sizeof(*ehdr)) == 0);
	CHECK(klp->symndx == info.index.sym);
	for (i = 0; i < ehdr->e_shnum; i++) {
		const Elf64_Shdr *got = &klp->sechdrs[i], *file = &pristine[i];
		Elf64_Shdr want = shdrs[i];

		if (i == info.index.sym)
			want.sh_addr = (Elf64_Addr)(size_t)mod.core_kallsyms.symtab;
		CHECK(memcmp(got, &want, sizeof(want)) == 0);
		CHECK(got->sh_name == file->sh_name && got->sh_type == file->sh_type);
		CHECK(got->sh_offset == file->sh_offset && got->sh_size == file->sh_size);
		CHECK(got->sh_link == file->sh_link && got->sh_info == file->sh_info);
		CHECK(got->sh_entsize == file->sh_entsize);
	}
	CHECK(memcmp(klp->secstrings, klpelf_fs_image + shdrs[ehdr->e_shstrndx].sh_offset,
		     shdrs[ehdr->e_shstrndx].sh_size) == 0);
	CHECK(equal_strings(klp->secstrings + klp->sechdrs[info.index.sym].sh_name, ".symtab"));
	return 0;
}

/* Errors keep working, the allocator stays while its blocks are live, and release frees every
 * block through it. */
static int check_release(void)
{
	const struct klp_modinfo *klp = mod.klp_info;

	CHECK(copy_module_elf(&mod, &info) == -EEXIST && klp == mod.klp_info);
	CHECK(last_error_mentions("free_module_elf"));
	CHECK(klpelf_set_allocator(NULL) == -EBUSY);

	klpelf_release_module(&mod);
	CHECK(klpelf_last_error() == NULL);
	CHECK(mod.klp_info == NULL && mod.core_kallsyms.symtab == NULL);
	CHECK(arena.allocs == 2 && arena.frees == 2 && arena.live_bytes == 0);
	klpelf_release_module(&mod);
	free_module_elf(NULL);
	return 0;
}

/* Symbol maps: a map from memory works; files only with a C library. */
static int check_symbol_map(int has_default_allocator)
{
	static const char map_text[] = "ffffffff81000000 T _stext\n"
				       "ffffffff81234560 T sample_target\n"
				       "ffffffffc0001000 t sample_target\t[sample]\n";
	struct klpelf_symbol_map *map = NULL;
	unsigned long addr = 0;

	if (!has_default_allocator) {
		CHECK(klpelf_symbol_map_load("/proc/kallsyms", &map) == -ENOSYS && map == NULL);
		CHECK(last_error_mentions("klpelf_symbol_map_load_buffer"));
	}
	CHECK(klpelf_symbol_map_load_buffer(map_text, sizeof(map_text) - 1, &map) == 0);
	CHECK(in_arena(map));
	CHECK(klpelf_symbol_map_resolve(NULL, "sample_target", 0, &addr, map) == 0);
	CHECK(addr == 0xffffffff81234560UL);
	CHECK(klpelf_symbol_map_resolve("sample", "sample_target", 0, &addr, map) == 0);
	CHECK(addr == 0xffffffffc0001000UL);
	CHECK(klpelf_symbol_map_resolve(NULL, "missing", 0, &addr, map) == -EINVAL);
	CHECK(last_error_mentions("not found"));
	klpelf_symbol_map_free(map);
	CHECK(arena.allocs == 3 && arena.frees == 3 && arena.live_bytes == 0);
	return 0;
}

/* NULL takes the allocator away again: without a default, allocation fails with -ENOMEM. */
static int check_allocator_removed(int has_default_allocator)
{
	CHECK(klpelf_set_allocator(NULL) == 0);
	if (!has_default_allocator) {
		CHECK(klpelf_prepare_module(&mod, &info) == -ENOMEM);
	} else {
		CHECK(klpelf_prepare_module(&mod, &info) == 0);
		klpelf_release_module(&mod);
	}
	CHECK(arena.allocs == 3);
	return 0;
}

/* ---- livepatch relocations, on a persisted module built here ------------------------------ */

/* Its sections: 1 .text (the target), 2 .klp.rela.vmlinux..text, 3 .symtab, 4 .strtab, 5
 * .shstrtab. */
static const char rel_secstrings[] = "\0.text\0.klp.rela.vmlinux..text\0.symtab\0.strtab\0.shstrtab";
static char rel_strtab[] = "\0.klp.sym.vmlinux.sample_target,0";
static Elf64_Sym rel_syms[2];
static Elf64_Rela rel_relas[2];
static Elf64_Shdr rel_sechdrs[6];
static struct klp_modinfo rel_info;
static unsigned char rel_text[16];

/* The one livepatch symbol resolves to 0xffffffff81234560. */
static int resolve_sample(const char *objname, const char *symname, unsigned long sympos,
			  unsigned long *addr, void *ctx)
{
	(void)ctx;
	if (objname || !equal_strings(symname, "sample_target") || sympos != 0)
		return -EINVAL;
	*addr = 0xffffffff81234560UL;
	return 0;
}

static void build_relocation_module(struct module *m)
{
	static const Elf64_Shdr shdrs[6] = {
		{ 0 },
		{ 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, 0, sizeof(rel_text), 0, 0, 16, 0 },
		{ 7, SHT_RELA, SHF_ALLOC | SHF_INFO_LINK | 0x00100000, 0, 0, sizeof(rel_relas), 3, 1,
		  8, sizeof(Elf64_Rela) },
		{ 31, SHT_SYMTAB, 0, 0, 0, sizeof(rel_syms), 4, 1, 8, sizeof(Elf64_Sym) },
		{ 39, SHT_STRTAB, 0, 0, 0, sizeof(rel_strtab), 0, 0, 1, 0 },
		{ 47, SHT_STRTAB, 0, 0, 0, sizeof(rel_secstrings), 0, 0, 1, 0 },
	};

	memcpy(rel_sechdrs, shdrs, sizeof(shdrs));
	rel_sechdrs[2].sh_addr = (Elf64_Addr)(size_t)rel_relas;
	rel_sechdrs[3].sh_addr = (Elf64_Addr)(size_t)rel_syms;
	rel_syms[1].st_name = 1;
	rel_syms[1].st_shndx = 0xff20; /* SHN_LIVEPATCH */
	rel_relas[0].r_info = ELF64_R_INFO(1, R_X86_64_64);
	rel_relas[1].r_offset = 8;
	rel_relas[1].r_info = ELF64_R_INFO(1, R_X86_64_PC32);
	rel_relas[1].r_addend = -4;
	rel_info.hdr.e_machine = EM_X86_64;
	rel_info.hdr.e_shnum = 6;
	rel_info.hdr.e_shstrndx = 5;
	rel_info.sechdrs = rel_sechdrs;
	rel_info.secstrings = (char *)rel_secstrings;
	rel_info.symndx = 3;
	memset(m, 0, sizeof(*m));
	m->core_kallsyms.symtab = rel_syms;
	m->core_kallsyms.num_symtab = 2;
	m->core_kallsyms.strtab = rel_strtab;
	m->klp_info = &rel_info;
}

/* Apply writes S + A and S + A - P into .text placed at 0xffffffffc0000000; applying twice is the
 * kernel's refusal; clear zeroes the targets again. */
static int check_relocations(void)
{
	static const unsigned char applied[12] = { 0x60, 0x45, 0x23, 0x81, 0xff, 0xff, 0xff, 0xff,
						   0x54, 0x45, 0x23, 0xc1 };
	struct klpelf_section_place places[2] = { { 0, 0 }, { 0xffffffffc0000000ULL, rel_text } };
	struct klpelf_layout layout = { places, 2, 0, 0, 0 };
	struct module m;

	build_relocation_module(&m);
	CHECK(klpelf_klp_apply_object_relocs(&m, 0, &layout, resolve_sample, 0) == 0);
	CHECK(rel_syms[1].st_value == 0xffffffff81234560UL);
	CHECK(memcmp(rel_text, applied, sizeof(applied)) == 0 && all_zero(rel_text + 12, 4));
	CHECK(klpelf_klp_apply_object_relocs(&m, 0, &layout, resolve_sample, 0) == -ENOEXEC);
	CHECK(last_error_mentions("existing value is nonzero"));
	CHECK(klpelf_klp_clear_object_relocs(&m, 0, &layout) == 0);
	CHECK(all_zero(rel_text, sizeof(rel_text)));
	layout.num_places = 1;
	CHECK(klpelf_klp_clear_object_relocs(&m, 0, &layout) == -EINVAL);
	CHECK(last_error_mentions("is not placed"));
	return 0;
}

int fs_run_checks(int has_default_allocator)
{
	struct klpelf_allocator bump = { bump_alloc, bump_free, &arena };

	ehdr = (const Elf64_Ehdr *)klpelf_fs_image;
	shdrs = (const Elf64_Shdr *)(klpelf_fs_image + ehdr->e_shoff);
	image_len = (size_t)(klpelf_fs_image_end - klpelf_fs_image);
	memset(&mod, 0, sizeof(mod));
	RUN(check_before_allocator(has_default_allocator));
	CHECK(klpelf_set_allocator(&bump) == 0);
	RUN(check_load());
	RUN(check_persisted());
	RUN(check_release());
	RUN(check_symbol_map(has_default_allocator));
	RUN(check_allocator_removed(has_default_allocator));
	RUN(check_relocations());
	say("nostdlib: all checks passed\n");
	return 0;
}
