/*
 * program.h: what the freestanding test programs share. pipeline.c holds their checks; a program
 * brings what the checks need from outside, and runs them: nostdlib.c without a C library (its own
 * _start, string functions and system calls), hosted.c with one. Both embed the same module image
 * (image.S). x86-64 Linux only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_FS_PROGRAM_H
#define KLPELF_FS_PROGRAM_H

#include <stddef.h>

/* The module image (image.S), 8-byte aligned and writable: prepare rewrites its sh_addr fields. */
extern unsigned char klpelf_fs_image[];
extern unsigned char klpelf_fs_image_end[];

/* The string functions the checks call: the program's own, or the C library's. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Writes `len` bytes at `s` to standard error (the program's own way). */
void fs_write_stderr(const char *s, size_t len);

/*
 * Runs every check: setup -> prepare -> copy -> release on the embedded image with a bump
 * allocator of its own, then a symbol map from memory. `has_default_allocator`: whether the
 * library allocates before klpelf_set_allocator() and reads files (the std library does; the
 * freestanding one has no allocator until one is set, and no files). Returns 0 when every check
 * passed, else the number of the first failed check (at most 255), having said which it was.
 */
int fs_run_checks(int has_default_allocator);

#endif /* KLPELF_FS_PROGRAM_H */
