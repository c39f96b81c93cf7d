/*
 * buffer.c: see buffer.h. SPDX-License-Identifier: GPL-2.0-only
 *
 * A guarded block is a private mapping: the pages that hold it, then one page made inaccessible.
 * The block is placed as late as 8-alignment allows, so the bytes between its end and the guard
 * page (at most 7) are poisoned slack.
 */
#define _DEFAULT_SOURCE

#include "buffer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Bytes of accessible pages for a guarded block of `size` bytes. */
static size_t guarded_span(size_t size)
{
	size_t page = page_size();

	return (size + 8 + page - 1) / page * page;
}

static void *guarded_alloc(size_t size)
{
	size_t span = guarded_span(size), page = page_size();
	unsigned char *base, *p;

	base = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + span, page, PROT_NONE) != 0) {
		munmap(base, span + page);
		return NULL;
	}
	p = (unsigned char *)((uintptr_t)(base + span - size) & ~(uintptr_t)7);
	memset(p, BUFFER_POISON, (size_t)(base + span - p)); /* the block and the slack */
	return p;
}

static void guarded_free(void *block, size_t size)
{
	size_t span = guarded_span(size), page = page_size();
	uintptr_t guard = ((uintptr_t)block + size + page - 1) / page * page;

	munmap((void *)(guard - span), span + page);
}

void *block_alloc(size_t size, int guarded)
{
	unsigned char *p;

	if (guarded)
		return guarded_alloc(size);
	p = malloc(size ? size : 1); /* malloc's alignment suits every ELF64 record */
	if (p)
		memset(p, BUFFER_POISON, size);
	return p;
}

void block_free(void *block, size_t size, int guarded)
{
	if (guarded && block)
		guarded_free(block, size);
	else
		free(block);
}

/* The length of an open file, or -1. */
static long file_length(FILE *f)
{
	long size;

	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return -1;
	return size;
}

int buffer_read_file(struct buffer *b, const char *path, int guarded)
{
	FILE *f;
	long size;
	int err = 0;

	memset(b, 0, sizeof(*b));
	errno = 0;
	f = fopen(path, "rb");
	if (!f)
		return errno ? -errno : -ENOENT;
	size = file_length(f);
	if (size < 0)
		err = -EIO;
	else if (!(b->bytes = block_alloc((size_t)size, guarded)))
		err = -ENOMEM;
	else if (fread(b->bytes, 1, (size_t)size, f) != (size_t)size)
		err = -EIO;
	fclose(f);
	b->len = err ? 0 : (size_t)size;
	b->guarded = guarded;
	if (err) {
		block_free(b->bytes, size < 0 ? 0 : (size_t)size, guarded);
		memset(b, 0, sizeof(*b));
	}
	return err;
}

int buffer_copy(struct buffer *b, const void *src, size_t len, int guarded)
{
	memset(b, 0, sizeof(*b));
	b->bytes = block_alloc(len, guarded);
	if (!b->bytes)
		return -ENOMEM;
	if (len)
		memcpy(b->bytes, src, len);
	b->len = len;
	b->guarded = guarded;
	return 0;
}

void buffer_free(struct buffer *b)
{
	block_free(b->bytes, b->len, b->guarded);
	memset(b, 0, sizeof(*b));
}
