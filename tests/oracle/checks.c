/*
 * checks.c: klpelf's checks as docs/checks.md lists them: which one a kernel message belongs to
 * (the table of the kernel's messages is generated from docs/checks.md by extract.py), and where
 * each runs in the kernel's order. SPDX-License-Identifier: GPL-2.0-only
 */

#include <string.h>

#include "oracle.h"

struct expected_message {
	const char *check;
	const char *message;
};
#include "expected_messages.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Length of the conversion specification at `p` (just after a '%'). */
static size_t spec_length(const char *p)
{
	size_t n = strspn(p, "-+ #0123456789.hlLqjzt");

	return p[n] ? n + 1 : n;
}

bool format_matches(const char *pattern, const char *text)
{
	for (;;) {
		if (*pattern == '%' && pattern[1] != '%') {
			const char *rest = pattern + 1 + spec_length(pattern + 1);

			/* Try every length for what the conversion printed. */
			for (const char *t = text; t <= text + strlen(text); t++)
				if (format_matches(rest, t))
					return true;
			return false;
		}
		if (*pattern == '%')
			pattern++;
		if (*pattern != *text)
			return false;
		if (!*pattern)
			return true;
		pattern++;
		text++;
	}
}

/* The check whose documented message `line` (without "level: " and final newline) matches, or
 * -1. */
static int check_of_line(const char *line)
{
	for (size_t i = 0; i < ARRAY_SIZE(expected_messages); i++) {
		if (!format_matches(expected_messages[i].message, line))
			continue;
		for (int check = 1; check < 256; check++) {
			const char *name = klpelf_check_name(check);

			if (name && !strcmp(name, expected_messages[i].check))
				return check;
		}
	}
	return -1;
}

int check_of_message(const char *printed)
{
	int found = -1;
	char text[512];

	/* The last message that is a check's: the kernel prints the reason it rejects last. Each
	 * message is "level: text", ended by ORACLE_LOG_END (its text may hold newlines). */
	while (*printed) {
		size_t n = strcspn(printed, ORACLE_LOG_END);
		const char *colon = memchr(printed, ':', n);
		size_t from = colon ? (size_t)(colon - printed) + 2 : 0, len;
		int check;

		len = from < n ? n - from : 0;
		if (len && printed[from + len - 1] == '\n')
			len--;
		if (len >= sizeof(text))
			len = sizeof(text) - 1;
		memcpy(text, printed + (from < n ? from : n), len);
		text[len] = 0;
		check = check_of_line(text);
		if (check > 0)
			found = check;
		printed += n + (printed[n] != 0);
	}
	return found;
}

bool is_own_check(int check)
{
	return check >= KLPELF_CHECK_SECTION0_IN_FILE;
}

int check_stage(int check)
{
	/* The kernel's checks are numbered in the kernel's order. klpelf's own checks run where the
	 * kernel makes the read they guard (docs/checks.md); each is placed at its earliest. */
	switch (check) {
	case KLPELF_CHECK_SECTION0_IN_FILE:
	case KLPELF_CHECK_ALIGNMENT:
		return KLPELF_CHECK_SECHDRS_OVERFLOW * 10 + 5;
	case KLPELF_CHECK_NULL_ALLOC_IN_FILE:
		return KLPELF_CHECK_SECHDRS_OFFSET * 10;
	case KLPELF_CHECK_NULL_SECTION_NAME:
		return KLPELF_CHECK_SECSTRINGS_NAME * 10;
	case KLPELF_CHECK_INDEXED_IN_FILE:
		return KLPELF_CHECK_INDEX_INFO_UNIQUE * 10;
	case KLPELF_CHECK_SYMBOL_SHNDX:
	case KLPELF_CHECK_RELOCATION_SYMBOL:
		return KLPELF_CHECK_STRTAB_NAME * 10 + 5;
	default:
		return check * 10;
	}
}
