/*
 * nostdlib.c: a program with no C library, linked -nostdlib -static against the freestanding
 * libklpelf (klpelf built without std). It brings what such a program brings itself: _start, the
 * mem* functions and two system calls (write, exit); pipeline.c brings the checks and their bump
 * allocator, registered with klpelf_set_allocator(). They run setup -> prepare -> copy -> release
 * on a real module image embedded in the program (image.S: tests/fixtures/module.c compiled at
 * build time), compare what copy_module_elf() persisted with the image, and load and query a symbol
 * map from memory; the program exits through the exit system call with status 0 only if every
 * check passed (otherwise with the number of the first failed check, at most 255).
 *
 * x86-64 Linux only (the system calls and rep movsb/stosb). SPDX-License-Identifier: GPL-2.0-only
 */
#include "program.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "nostdlib.c is written for x86-64 Linux"
#endif

/* ---- what the C library would provide: mem*, the exit and write system calls -------------- */

/* The string functions klpelf's archive needs (its allowed undefined symbols). rep movsb/stosb,
 * so that the compiler cannot turn them back into calls to themselves. */
void *memmove(void *dst, const void *src, size_t n);
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

void fs_write_stderr(const char *s, size_t len)
{
	sys_write(2, s, len);
}

/* The entry point. The kernel starts it with a 16-byte-aligned stack and no return address;
 * force_align_arg_pointer makes the compiler realign, so called code sees the usual alignment. */
__attribute__((noreturn, used, force_align_arg_pointer)) void _start(void);

void _start(void)
{
	sys_exit(fs_run_checks(0));
}
