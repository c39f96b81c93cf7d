/*
 * buffer.h: the C tests' memory blocks and byte buffers, at 8-aligned addresses as every ELF64
 * record and klpelf's allocator contract need. A block comes from malloc, or is guarded: its end
 * lies at most 7 poisoned bytes before an inaccessible page, so that a read past it faults even in
 * code no sanitizer instruments (klpelf's own). Test code only.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_BUFFER_H
#define KLPELF_BUFFER_H

#include <stddef.h>

/* What new blocks are filled with, so that bytes nobody wrote do not read as zeros by chance. */
#define BUFFER_POISON 0xa5

/* `size` bytes (0 allowed), 8-aligned, filled with BUFFER_POISON; guarded or from malloc. NULL
 * when out of memory. */
void *block_alloc(size_t size, int guarded);

/* Frees a block block_alloc(size, guarded) made, with the same size and kind. Accepts NULL. */
void block_free(void *block, size_t size, int guarded);

/* A buffer of `len` bytes in one block. */
struct buffer {
	unsigned char *bytes;
	size_t len;
	int guarded;
};

/* Reads the whole file at `path` into *b. Returns 0, or -errno of fopen(), -EIO, -ENOMEM (then *b
 * holds nothing). */
int buffer_read_file(struct buffer *b, const char *path, int guarded);

/* Makes *b a copy of the `len` bytes at `src`. Returns 0 or -ENOMEM (then *b holds nothing). */
int buffer_copy(struct buffer *b, const void *src, size_t len, int guarded);

/* Frees what *b holds and empties it. Accepts an empty one. */
void buffer_free(struct buffer *b);

#endif /* KLPELF_BUFFER_H */
