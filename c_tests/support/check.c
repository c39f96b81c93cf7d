/*
 * check.c: counters and failure reports behind check.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "check.h"

#include <stdio.h>
#include <string.h>

static unsigned long passed;
static unsigned long failed;

static int count(int ok)
{
	__atomic_add_fetch(ok ? &passed : &failed, 1, __ATOMIC_RELAXED);
	return ok;
}

int check_true(int ok, const char *what, const char *file, int line)
{
	if (!ok)
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
	return count(ok);
}

int check_eq_ll(long long actual, long long expected, const char *what, const char *file, int line)
{
	int ok = actual == expected;

	if (!ok)
		fprintf(stderr, "%s:%d: %s: expected %lld, got %lld\n", file, line, what, expected,
			actual);
	return count(ok);
}

int check_eq_ull(unsigned long long actual, unsigned long long expected, const char *what,
		 const char *file, int line)
{
	int ok = actual == expected;

	if (!ok)
		fprintf(stderr, "%s:%d: %s: expected %llu (%#llx), got %llu (%#llx)\n", file, line,
			what, expected, expected, actual, actual);
	return count(ok);
}

int check_eq_ptr(const void *actual, const void *expected, const char *what, const char *file,
		 int line)
{
	int ok = actual == expected;

	if (!ok)
		fprintf(stderr, "%s:%d: %s: expected %p, got %p\n", file, line, what, expected,
			actual);
	return count(ok);
}

int check_eq_str(const char *actual, const char *expected, const char *what, const char *file,
		 int line)
{
	int ok = actual && expected ? strcmp(actual, expected) == 0 : actual == expected;

	if (!ok)
		fprintf(stderr, "%s:%d: %s: expected \"%s\", got \"%s\"\n", file, line, what,
			expected ? expected : "(null)", actual ? actual : "(null)");
	return count(ok);
}

int check_mem_eq(const void *actual, const void *expected, size_t n, const char *what,
		 const char *file, int line)
{
	const unsigned char *a = actual, *e = expected;
	size_t i = 0;

	if (n == 0 || memcmp(a, e, n) == 0)
		return count(1);
	while (a[i] == e[i])
		i++;
	fprintf(stderr, "%s:%d: %s: %zu-byte regions differ at offset %zu: expected 0x%02x, got 0x%02x\n",
		file, line, what, n, i, e[i], a[i]);
	return count(0);
}

unsigned long check_failures(void)
{
	return __atomic_load_n(&failed, __ATOMIC_RELAXED);
}

int check_summary(const char *name)
{
	unsigned long ok = __atomic_load_n(&passed, __ATOMIC_RELAXED);
	unsigned long bad = check_failures();

	printf("%s: %lu passed, %lu failed\n", name, ok, bad);
	return bad != 0;
}
