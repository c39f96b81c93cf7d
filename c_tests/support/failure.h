/*
 * failure.h: checks of a klpelf call that must fail: its return code, and a message in
 * klpelf_last_error() that names what went wrong. Test code only.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_FAILURE_H
#define KLPELF_FAILURE_H

/* Whether `haystack` (may be NULL) contains `needle`. */
int contains(const char *haystack, const char *needle);

/*
 * Checks a failure: `rc` is `expected`, the last error is a non-empty message, and it contains
 * `words` (unless NULL). Prints `what`, the code and the message. Returns 1 when all held.
 */
int check_failure(const char *what, int rc, int expected, const char *words);

#endif /* KLPELF_FAILURE_H */
