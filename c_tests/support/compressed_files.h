/*
 * Support for the compressed-module tests: whole files in and out of malloc'd memory, and what
 * setup, prepare and copy_module_elf made of one image as flat bytes, with every address into the
 * image made relative to it and every address into klpelf's copies left out, so that two images
 * of one module compare equal exactly when klpelf saw the same module in both.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_COMPRESSED_FILES_H
#define KLPELF_COMPRESSED_FILES_H

#include <stddef.h>
#include <stdio.h>

#include "klpelf.h"

/* A file's bytes in one malloc'd (so 8-aligned) block; free `bytes`. */
struct file_bytes {
	unsigned char *bytes;
	size_t len;
};

/* Reads `f` to its end: 0, or -1 (bytes NULL). */
int read_stream(FILE *f, struct file_bytes *out);
/* 0, or -1 (bytes NULL). */
int read_whole_file(const char *path, struct file_bytes *out);
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
