/*
 * counting_alloc.c: see counting_alloc.h. SPDX-License-Identifier: GPL-2.0-only
 *
 * Each block is malloc'd with a header in front: the size asked for and the misalignment used,
 * stored just before the address handed out.
 */

#include "counting_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct block_header {
	size_t size;
	size_t misalign;
};

#define HEADER_ROOM 16
/* New blocks are filled with this, so bytes a caller forgets to write do not read as zeros. */
#define POISON 0xa5

static void add(unsigned long *counter, unsigned long n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static void *counting_alloc_fn(size_t size, void *ctx)
{
	struct counting_alloc *c = ctx;
	unsigned long call = __atomic_add_fetch(&c->allocs, 1, __ATOMIC_RELAXED);
	struct block_header h = { size, c->misalign };
	unsigned char *base;

	if (call == c->fail_at)
		return NULL;
	base = malloc(HEADER_ROOM + h.misalign + size);
	if (!base)
		return NULL;
	memcpy(base + h.misalign, &h, sizeof(h));
	memset(base + HEADER_ROOM + h.misalign, POISON, size);
	add(&c->live_blocks, 1);
	add(&c->live_bytes, size);
	return base + HEADER_ROOM + h.misalign;
}

static void counting_free_fn(void *ptr, size_t size, void *ctx)
{
	struct counting_alloc *c = ctx;
	unsigned char *p = ptr;
	struct block_header h;

	memcpy(&h, p - HEADER_ROOM, sizeof(h));
	add(&c->frees, 1);
	if (h.size != size)
		add(&c->size_mismatches, 1);
	__atomic_sub_fetch(&c->live_blocks, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&c->live_bytes, h.size, __ATOMIC_RELAXED);
	free(p - HEADER_ROOM - h.misalign);
}

void counting_alloc_reset(struct counting_alloc *c)
{
	memset(c, 0, sizeof(*c));
}

struct klpelf_allocator counting_allocator(struct counting_alloc *c)
{
	struct klpelf_allocator a = { counting_alloc_fn, counting_free_fn, c };

	return a;
}
