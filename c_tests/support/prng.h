/*
 * prng.h: xorshift64, the deterministic generator of the C tests' inputs.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_PRNG_H
#define KLPELF_PRNG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The next value of the generator whose (non-zero) state is *s. */
static inline uint64_t prng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* A value in [0, n), n > 0 (the modulo bias does not matter here). */
static inline uint64_t prng_below(uint64_t *s, uint64_t n)
{
	return prng_next(s) % n;
}

/* A value in [lo, hi]. */
static inline uint64_t prng_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + prng_below(s, hi - lo + 1);
}

static inline void prng_fill(uint64_t *s, void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n >= sizeof(uint64_t)) {
		uint64_t v = prng_next(s);

		memcpy(p, &v, sizeof(v));
		p += sizeof(v);
		n -= sizeof(v);
	}
	if (n) {
		uint64_t v = prng_next(s);

		memcpy(p, &v, n);
	}
}

#endif /* KLPELF_PRNG_H */
