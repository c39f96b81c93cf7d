/*
 * failure.c: see failure.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "failure.h"

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "klpelf.h"

int contains(const char *haystack, const char *needle)
{
	return haystack && strstr(haystack, needle) != NULL;
}

int check_failure(const char *what, int rc, int expected, const char *words)
{
	const char *msg = klpelf_last_error();
	int ok = CHECK_EQ_INT(rc, expected);

	ok &= CHECK(msg != NULL && msg[0] != '\0');
	if (msg && words && !contains(msg, words)) {
		ok = CHECK(!"the message has the expected words");
		fprintf(stderr, "  %s: message '%s' lacks '%s'\n", what, msg, words);
	}
	printf("  %-52s -> %d: %s\n", what, rc, msg ? msg : "(no message)");
	return ok;
}
