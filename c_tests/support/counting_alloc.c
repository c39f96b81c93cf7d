/*
 * counting_alloc.c: see counting_alloc.h. SPDX-License-Identifier: GPL-2.0-only
 *
 * Each block has a header in front: the size asked for, the misalignment used and whether the
 * block is guarded, stored just before the address handed out.
 */

#include "counting_alloc.h"

#include <string.h>

#include "buffer.h"
#include "check.h"

struct block_header {
	size_t size;
	unsigned int misalign;
	unsigned int guarded;
};

#define HEADER_ROOM 16
STATIC_CHECK(sizeof(struct block_header) <= HEADER_ROOM, "the block header fits its room");

static void add(unsigned long *counter, unsigned long n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static void *counting_alloc_fn(size_t size, void *ctx)
{
	struct counting_alloc *c = ctx;
	unsigned long call = __atomic_add_fetch(&c->allocs, 1, __ATOMIC_RELAXED);
	struct block_header h = { size, (unsigned int)c->misalign, c->guarded != 0 };
	unsigned char *base;

	if (call == c->fail_at)
		return NULL;
	base = block_alloc(HEADER_ROOM + h.misalign + size, (int)h.guarded);
	if (!base)
		return NULL;
	memcpy(base + h.misalign, &h, sizeof(h));
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
	block_free(p - HEADER_ROOM - h.misalign, HEADER_ROOM + h.misalign + h.size, (int)h.guarded);
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

int counting_alloc_install(struct counting_alloc *c)
{
	struct klpelf_allocator a = counting_allocator(c);

	counting_alloc_reset(c);
	return CHECK_EQ_INT(klpelf_set_allocator(&a), 0);
}

int counting_alloc_check_empty(const struct counting_alloc *c)
{
	int ok = CHECK_EQ_U64(c->live_blocks, 0);

	ok &= CHECK_EQ_U64(c->live_bytes, 0);
	ok &= CHECK_EQ_U64(c->size_mismatches, 0);
	return ok;
}

int counting_alloc_uninstall(const struct counting_alloc *c)
{
	int ok = counting_alloc_check_empty(c);

	return CHECK_EQ_INT(klpelf_set_allocator(NULL), 0) && ok;
}
