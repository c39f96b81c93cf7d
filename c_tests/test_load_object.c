/*
 * test_load_object.c: the test helper load_object reads real objects, and rejects truncated and
 * corrupted ones with -ENOEXEC without reading outside the image (run it under ASan or valgrind to
 * see that). Whatever it accepts, copy_module_elf() must persist faithfully.
 * Usage: test_load_object OBJECT...
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "check.h"
#include "expect.h"
#include "fixture.h"
#include "prng.h"

/* Trials per file: all small truncations, then some; mutations by file size. */
#define ALL_TRUNCATIONS_UP_TO 8192
#define SPREAD_TRUNCATIONS 64
#define MUTATION_TRIALS_SMALL 3000
#define MUTATION_TRIALS_LARGE 100
#define SMALL_FILE 65536

static unsigned long accepted, rejected;

/* Parses image[0, len); whatever it accepts must persist faithfully. Returns load_object's result. */
static int parse_and_persist(void *image, size_t len)
{
	struct loaded_object obj;
	struct module mod;
	int err = load_object_image(image, len, &obj);

	if (err) {
		CHECK_EQ_INT(err, -ENOEXEC);
		rejected++;
		return err;
	}
	accepted++;
	memset(&mod, 0, sizeof(mod));
	mod.core_kallsyms.symtab = (Elf64_Sym *)image;
	if (CHECK_EQ_INT(copy_module_elf(&mod, &obj.info), 0))
		check_persisted_copy(&mod, &obj.info);
	free_module_elf(&mod);
	unload_object(&obj);
	return 0;
}

/* The first `len` bytes of the file, in a block of exactly that size. */
static void try_truncated(const unsigned char *file, size_t len)
{
	struct buffer copy;

	if (CHECK_EQ_INT(buffer_copy(&copy, file, len, 0), 0))
		parse_and_persist(copy.bytes, len);
	buffer_free(&copy);
}

static void truncations(const unsigned char *file, size_t len)
{
	size_t n;

	for (n = 0; n < len && n <= ALL_TRUNCATIONS_UP_TO; n++)
		try_truncated(file, n);
	for (n = 1; n < SPREAD_TRUNCATIONS && n < len; n++) {
		try_truncated(file, len - n); /* the tail: the section header table, usually */
		try_truncated(file, len / SPREAD_TRUNCATIONS * n);
	}
}

/* An offset worth corrupting: in the ELF header, the section header table, or anywhere. */
static size_t pick_offset(uint64_t *rng, const unsigned char *image, size_t len, size_t width)
{
	const Elf64_Ehdr *hdr = (const Elf64_Ehdr *)image;
	uint64_t choice = prng_below(rng, 10);
	size_t at;

	if (choice < 4)
		at = prng_below(rng, sizeof(*hdr));
	else if (choice < 9 && hdr->e_shoff < len)
		at = hdr->e_shoff + prng_below(rng, len - hdr->e_shoff);
	else
		at = prng_below(rng, len);
	return at + width <= len ? at : len - width;
}

/* A value likely to break a size, offset or index check. */
static uint64_t pick_value(uint64_t *rng, size_t len)
{
	const uint64_t values[] = { 0, 1, 2, len - 1, len, len + 1, 0xff00, 0xffff,
				    UINT32_MAX, INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX };

	if (prng_below(rng, 2))
		return prng_next(rng);
	return values[prng_below(rng, sizeof(values) / sizeof(values[0]))];
}

/* Corrupts 1..3 fields of the image in place, parses it, and restores it. */
static void try_mutated(uint64_t *rng, unsigned char *image, size_t len)
{
	size_t at[3], width[3];
	unsigned char saved[3][8];
	unsigned i, n = (unsigned)prng_range(rng, 1, 3);

	for (i = 0; i < n; i++) {
		uint64_t v = pick_value(rng, len);

		width[i] = (size_t)1 << prng_below(rng, 4);
		at[i] = pick_offset(rng, image, len, width[i]);
		memcpy(saved[i], image + at[i], width[i]);
		memcpy(image + at[i], &v, width[i]); /* little-endian host: the low bytes */
	}
	parse_and_persist(image, len);
	while (i-- > 0)
		memcpy(image + at[i], saved[i], width[i]);
}

static void run(const char *path, uint64_t *rng)
{
	struct loaded_object obj;
	struct module mod;
	unsigned trials, t;
	unsigned char *image;

	if (!fixture_open(path, &obj, &mod))
		return;
	CHECK(obj.owns_image);
	CHECK_EQ_PTR(obj.info.hdr, obj.image);
	CHECK_EQ_PTR(obj.info.sechdrs, (char *)obj.image + obj.info.hdr->e_shoff);
	CHECK_EQ_INT(obj.info.index.str, obj.info.sechdrs[obj.info.index.sym].sh_link);
	image = obj.image;
	accepted = rejected = 0;
	truncations(image, obj.len);
	trials = obj.len < SMALL_FILE ? MUTATION_TRIALS_SMALL : MUTATION_TRIALS_LARGE;
	for (t = 0; t < trials; t++)
		try_mutated(rng, image, obj.len);
	CHECK_EQ_INT(parse_and_persist(image, obj.len), 0); /* restored: accepted again */
	printf("%s: %zu bytes, %lu corrupted or truncated images rejected, %lu accepted\n", path,
	       obj.len, rejected, accepted);
	CHECK(rejected > 0);
	fixture_close(&obj, &mod);
}

int main(int argc, char **argv)
{
	uint64_t rng = 0x6c6f61645f6f626aULL;
	struct loaded_object obj;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s OBJECT...\n", argv[0]);
		return 2;
	}
	CHECK_EQ_INT(load_object_file("/nonexistent/klpelf.o", &obj), -ENOENT);
	CHECK_EQ_PTR(obj.image, NULL);
	for (i = 1; i < argc; i++)
		run(argv[i], &rng);
	return check_summary("test_load_object");
}
