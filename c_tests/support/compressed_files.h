/*
 * Support for the compressed-module tests: a pipe's output in a buffer, files written, and what
 * setup, prepare and copy_module_elf made of one image as flat bytes, with every address into the
 * image made relative to it and every address into klpelf's copies left out, so that two images
 * of one module compare equal exactly when klpelf saw the same module in both.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_COMPRESSED_FILES_H
#define KLPELF_COMPRESSED_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "buffer.h"
#include "klpelf.h"

/* Reads `f` (a pipe: its length is not known ahead) to its end into *b, a malloc'd (not guarded)
 * buffer that buffer_free() frees. Returns 0, or -1 (then *b holds nothing). */
int read_stream(FILE *f, struct buffer *b);
int write_whole_file(const char *path, const void *bytes, size_t len);

/* The flat summary of a load_info and a module made from an image. */
struct persisted {
	unsigned char *bytes;
	size_t len;
};

/* Summarises `info` and `mod` (prepared and copied) from the image at `image`: 0 or -ENOMEM. */
int persisted_summary(const struct load_info *info, const struct module *mod, const void *image,
		      struct persisted *out);
int persisted_equal(const struct persisted *a, const struct persisted *b);
void persisted_free(struct persisted *p);

#endif
