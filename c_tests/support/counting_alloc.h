/*
 * counting_alloc.h: a klpelf_allocator over malloc that counts calls, live blocks and bytes, checks
 * that free() gets the size alloc() was asked for, and can fail the N-th allocation. New blocks are
 * filled with 0xa5 bytes (so unwritten bytes are not zeros by chance). Thread-safe
 * (atomic counters). Test code only. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_COUNTING_ALLOC_H
#define KLPELF_COUNTING_ALLOC_H

#include <stddef.h>

#include "klpelf.h"

struct counting_alloc {
	unsigned long allocs;          /* alloc calls since the reset, failed ones included */
	unsigned long frees;           /* free calls since the reset */
	unsigned long live_blocks;     /* blocks handed out and not freed */
	unsigned long live_bytes;      /* their sizes, added up */
	unsigned long size_mismatches; /* free calls whose size was not the block's */
	unsigned long fail_at;         /* the alloc call (1-based) that returns NULL; 0: none */
	size_t misalign;               /* added to every returned address (0: 16-aligned blocks) */
};

/* Zeroes the counters and settings. */
void counting_alloc_reset(struct counting_alloc *c);

/* The allocator to pass to klpelf_set_allocator(), its ctx being `c`. */
struct klpelf_allocator counting_allocator(struct counting_alloc *c);

#endif /* KLPELF_COUNTING_ALLOC_H */
