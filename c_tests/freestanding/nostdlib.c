/*
 * nostdlib.c: a program with no C library, linked -nostdlib -static against the freestanding
 * libklpelf (klpelf built without std). It brings what such a program brings itself: _start, the
 * mem* functions, two system calls (write, exit) and a bump allocator registered with
 * klpelf_set_allocator(). It runs setup -> prepare -> copy -> release on a real module image
 * embedded in it (image.S: c_tests/fixtures/module.c compiled at build time), compares what
 * copy_module_elf() persisted with the image, loads and queries a symbol map from memory, and exits
 * through the exit system call with status 0 only if every check passed (otherwise with the number
 * of the first failed check, at most 255).
 *
 * x86-64 Linux only (the system calls and rep movsb/stosb). SPDX-License-Identifier: GPL-2.0-only
 */
#include <errno.h> /* the E* constants only */
#include <klpelf.h>

#ifdef NOSTDLIB_HOSTED
/* hosted.c: the same checks as an ordinary program against the std libklpelf.a, for comparison
 * (its default allocator is malloc, so the checks of "no default allocator" are turned around). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define sys_write write
#define sys_exit exit
#else

#if !defined(__x86_64__) || !defined(__linux__)
#error "nostdlib.c is written for x86-64 Linux"
#endif

/* ---- what the C library would provide: mem*, the exit and write system calls -------------- */

/* The string functions klpelf's archive needs (its allowed undefined symbols). rep movsb/stosb,
 * so that the compiler cannot turn them back into calls to themselves. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int bcmp(const void *a, const void *b, size_t n);

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	/* Overlapping with dst above src: copy backwards, from the last byte. */
	d += n - 1;
	s += n - 1;
	__asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

int bcmp(const void *a, const void *b, size_t n)
{
	return memcmp(a, b, n);
}

static long sys_write(int fd, const void *buf, size_t len)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(1L), "D"((long)fd), "S"(buf), "d"(len)
			 : "rcx", "r11", "memory");
	return ret;
}

static __attribute__((noreturn)) void sys_exit(int status)
{
	__asm__ volatile("syscall" : : "a"(60L), "D"((long)status) : "rcx", "r11", "memory");
	__builtin_unreachable();
}
#endif /* NOSTDLIB_HOSTED */

static size_t length(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	sys_write(2, s, length(s));
}

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

/* ---- the checks ---------------------------------------------------------------------------- */

/* The module image (image.S), 8-byte aligned and writable: prepare rewrites its sh_addr fields. */
extern unsigned char klpelf_fs_image[];
extern unsigned char klpelf_fs_image_end[];

static int checks;

#define CHECK(cond)                                                                 \
	do {                                                                         \
		checks++;                                                            \
		if (!(cond)) {                                                       \
			say("nostdlib: check failed at line " LINE_STRING(__LINE__) ": " #cond \
			    "\n");                                                   \
			return checks < 255 ? checks : 255;                          \
		}                                                                    \
	} while (0)
#define LINE_STRING(n) LINE_STRING_(n)
#define LINE_STRING_(n) #n

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

/* The image's section headers as the file has them, before prepare rewrites the table. */
static Elf64_Shdr pristine[64];

static int run(void)
{
	const Elf64_Ehdr *ehdr = (const Elf64_Ehdr *)klpelf_fs_image;
	const Elf64_Shdr *shdrs = (const Elf64_Shdr *)(klpelf_fs_image + ehdr->e_shoff);
	size_t len = (size_t)(klpelf_fs_image_end - klpelf_fs_image);
	struct klpelf_allocator bump = { bump_alloc, bump_free, &arena };
	static const char map_text[] = "ffffffff81000000 T _stext\n"
				       "ffffffff81234560 T sample_target\n"
				       "ffffffffc0001000 t sample_target\t[sample]\n";
	struct klpelf_symbol_map *map = NULL;
	unsigned long addr = 0;
	struct klpelf_signature sig;
	struct load_info info;
	struct module mod;
	const struct klp_modinfo *klp;
	const Elf64_Shdr *symtab, *strtab;
	unsigned int i;

	memset(&mod, 0, sizeof(mod));
	CHECK(klpelf_version() != NULL && klpelf_version()[0] == '0' + KLPELF_VERSION_MAJOR);

	/* The checks need no memory: they work before any allocator is set. */
	CHECK(klpelf_setup_load_info(&info, klpelf_fs_image, len, 0) == 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK(info.hdr == (Elf64_Ehdr *)klpelf_fs_image && info.sechdrs == (Elf64_Shdr *)shdrs);
	CHECK(info.len == len && equal_strings(info.name, "sample"));
	CHECK(ehdr->e_shnum <= sizeof(pristine) / sizeof(pristine[0]));
	memcpy(pristine, shdrs, ehdr->e_shnum * sizeof(Elf64_Shdr));
	CHECK(equal_strings(klpelf_get_modinfo(&info, "license"), "GPL"));

#ifndef NOSTDLIB_HOSTED
	/* Without a C library there is no default allocator: allocation fails cleanly. */
	CHECK(klpelf_prepare_module(&mod, &info) == -ENOMEM);
	CHECK(last_error_mentions("klpelf_set_allocator"));
	CHECK(all_zero(&mod, sizeof(mod)));
#else
	CHECK(klpelf_prepare_module(&mod, &info) == 0);
	klpelf_release_module(&mod);
	CHECK(all_zero(&mod.core_kallsyms, sizeof(mod.core_kallsyms)));
	memset(&mod, 0, sizeof(mod));
#endif

	/* A file the kernel refuses: the message is formatted without std. */
	CHECK(klpelf_setup_load_info(&info, klpelf_fs_image, 10, 0) == -ENOEXEC);
	CHECK(last_error_mentions("row"));
	CHECK(klpelf_module_signature(klpelf_fs_image, len, &sig) == -ENODATA);
	CHECK(klpelf_last_error() != NULL);

	/* With the bump allocator: setup -> prepare -> copy. */
	CHECK(klpelf_set_allocator(&bump) == 0);
	CHECK(klpelf_setup_load_info(&info, klpelf_fs_image, len, 0) == 0);
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
	klp = mod.klp_info;
	CHECK(klp != NULL && in_arena(klp) && in_arena(klp->sechdrs) && in_arena(klp->secstrings));

	/* What was persisted is the image's header, section table and name table: the table as
	 * prepare left it in the image, but for the symbol table's address, which is now the kallsyms
	 * copy's; and what prepare does not rewrite is as the file has it. */
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

	/* Errors keep working, and the allocator stays while its blocks are live. */
	CHECK(copy_module_elf(&mod, &info) == -EEXIST && klp == mod.klp_info);
	CHECK(last_error_mentions("free_module_elf"));
	CHECK(klpelf_set_allocator(NULL) == -EBUSY);

	/* Release frees every block through the bump allocator. */
	klpelf_release_module(&mod);
	CHECK(klpelf_last_error() == NULL);
	CHECK(mod.klp_info == NULL && mod.core_kallsyms.symtab == NULL);
	CHECK(arena.allocs == 2 && arena.frees == 2 && arena.live_bytes == 0);
	klpelf_release_module(&mod);
	free_module_elf(NULL);

	/* Symbol maps: no files without a C library, but a map from memory works. */
#ifndef NOSTDLIB_HOSTED
	CHECK(klpelf_symbol_map_load("/proc/kallsyms", &map) == -ENOSYS && map == NULL);
	CHECK(last_error_mentions("klpelf_symbol_map_load_buffer"));
#endif
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

	/* NULL takes the allocator away again: no default, so -ENOMEM. */
	CHECK(klpelf_set_allocator(NULL) == 0);
#ifndef NOSTDLIB_HOSTED
	CHECK(klpelf_prepare_module(&mod, &info) == -ENOMEM);
#else
	CHECK(klpelf_prepare_module(&mod, &info) == 0);
	klpelf_release_module(&mod);
#endif
	CHECK(arena.allocs == 3);
	return 0;
}

#ifdef NOSTDLIB_HOSTED
int main(void)
#else
/* The entry point. The kernel starts it with a 16-byte-aligned stack and no return address;
 * force_align_arg_pointer makes the compiler realign, so called code sees the usual alignment. */
__attribute__((noreturn, used, force_align_arg_pointer)) void _start(void);

void _start(void)
#endif
{
	int failed = run();

	if (!failed)
		say("nostdlib: all checks passed\n");
	sys_exit(failed);
}
