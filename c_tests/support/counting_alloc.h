/*
 * counting_alloc.h: the C tests' klpelf_allocator. It counts calls, live blocks and bytes, checks
 * that free() gets the size alloc() was asked for, can fail the N-th allocation or hand out
 * misaligned blocks, and takes its blocks from malloc or from guarded pages (buffer.h). New blocks
 * are filled with BUFFER_POISON (so unwritten bytes are not zeros by chance). Thread-safe (atomic
 * counters). Test code only. SPDX-License-Identifier: GPL-2.0-only
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
	size_t misalign;               /* added to every returned address (0: aligned blocks) */
	int guarded;                   /* blocks end against an inaccessible page (block_alloc) */
};

/* Zeroes the counters and settings. */
void counting_alloc_reset(struct counting_alloc *c);

/* The allocator to pass to klpelf_set_allocator(), its ctx being `c`. */
struct klpelf_allocator counting_allocator(struct counting_alloc *c);

/* Resets *c and makes it klpelf's allocator (checked); settings may be changed afterwards, before
 * the next allocation. Returns 1 when it is set. */
int counting_alloc_install(struct counting_alloc *c);

/* Checks that no block of *c is live and that every free got its block's size. Returns 1 when
 * so. */
int counting_alloc_check_empty(const struct counting_alloc *c);

/* counting_alloc_check_empty(), then gives klpelf its default allocator back (checked). Returns 1
 * when every check passed. */
int counting_alloc_uninstall(const struct counting_alloc *c);

#endif /* KLPELF_COUNTING_ALLOC_H */
