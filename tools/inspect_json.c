/*
 * klpelf-inspect's JSON strings: see inspect_json.h.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "inspect_json.h"

#include <stdio.h>

/* Whether c is a continuation byte, 10xxxxxx. */
static int continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t utf8_sequence(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) /* 0xc0, 0xc1 would be overlong */
		return continuation(s[1]) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* no overlong forms (e0 a0..bf), no UTF-16 surrogates (ed 80..9f) */
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return continuation(s[1]) && continuation(s[2]) ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		/* no overlong forms (f0 90..bf), nothing past U+10FFFF (f4 80..8f) */
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return continuation(s[1]) && continuation(s[2]) && continuation(s[3]) ? 4 : 0;
	}
	return 0;
}

void json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	putchar('"');
	while (*p) {
		size_t n = utf8_sequence(p);
		if (n == 0) {
			fputs("\\ufffd", stdout);
			p++;
		} else if (n > 1) {
			fwrite(p, 1, n, stdout);
			p += n;
		} else {
			if (*p == '"' || *p == '\\')
				printf("\\%c", *p);
			else if (*p < 0x20 || *p == 0x7f)
				printf("\\u%04x", *p);
			else
				putchar(*p);
			p++;
		}
	}
	putchar('"');
}
