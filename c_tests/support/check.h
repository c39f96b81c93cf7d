/*
 * check.h: the assertion macros of klpelf's C tests. SPDX-License-Identifier: GPL-2.0-only
 *
 * Each CHECK* macro evaluates its arguments once, counts a pass or a failure, prints failures as
 * "file:line: ..." with the expected and actual values to stderr, and yields 1 when the check
 * passed, 0 when it failed, so a test can stop early: `if (!CHECK(p != NULL)) return;`.
 * The counters are updated atomically: the macros may be used from several threads at once.
 * A test program ends with `return check_summary("name");` (0 when nothing failed, 1 otherwise).
 */

#ifndef KLPELF_CHECK_H
#define KLPELF_CHECK_H

#include <stddef.h>

/* A compile-time assertion usable under -std=c99 -Wpedantic (_Static_assert is C11). */
#define STATIC_CHECK(cond, msg) __extension__ _Static_assert(cond, msg)

#define CHECK(cond) check_true((cond) != 0, #cond, __FILE__, __LINE__)

#define CHECK_EQ_INT(actual, expected) \
	check_eq_ll((long long)(actual), (long long)(expected), #actual, __FILE__, __LINE__)

#define CHECK_EQ_U64(actual, expected)                                                             \
	check_eq_ull((unsigned long long)(actual), (unsigned long long)(expected), #actual, __FILE__, \
		     __LINE__)

#define CHECK_EQ_PTR(actual, expected) \
	check_eq_ptr((const void *)(actual), (const void *)(expected), #actual, __FILE__, __LINE__)

#define CHECK_EQ_STR(actual, expected) \
	check_eq_str((actual), (expected), #actual, __FILE__, __LINE__)

/* Byte-for-byte equality of two n-byte regions; a failure names the first differing offset. */
#define CHECK_MEM_EQ(actual, expected, n) \
	check_mem_eq((actual), (expected), (n), #actual, __FILE__, __LINE__)

int check_true(int ok, const char *what, const char *file, int line);
int check_eq_ll(long long actual, long long expected, const char *what, const char *file, int line);
int check_eq_ull(unsigned long long actual, unsigned long long expected, const char *what,
		 const char *file, int line);
int check_eq_ptr(const void *actual, const void *expected, const char *what, const char *file,
		 int line);
int check_eq_str(const char *actual, const char *expected, const char *what, const char *file,
		 int line);
int check_mem_eq(const void *actual, const void *expected, size_t n, const char *what,
		 const char *file, int line);

/* Number of failed checks so far (all threads). */
unsigned long check_failures(void);

/* Prints "NAME: N passed, M failed" and returns the process exit status: 0 if nothing failed. */
int check_summary(const char *name);

#endif /* KLPELF_CHECK_H */
