/*
 * klpelf-inspect's JSON strings: names from a module are bytes, not necessarily UTF-8; the JSON
 * must be (RFC 8259).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_JSON_H
#define KLPELF_INSPECT_JSON_H

#include <stddef.h>

/*
 * Prints the NUL-terminated bytes `s` on standard output as a JSON string, quoted: a valid UTF-8
 * sequence as it is; each byte that does not start one (a stray continuation byte, an overlong
 * form, a surrogate, past U+10FFFF, a truncated sequence) as \ufffd, the replacement character;
 * '"' and '\' escaped, control characters and DEL as \u00XX.
 */
void json_string(const char *s);

/* The length of the valid UTF-8 sequence at s (1 to 4 bytes), or 0 when s does not start one. */
size_t utf8_sequence(const unsigned char *s);

#endif
