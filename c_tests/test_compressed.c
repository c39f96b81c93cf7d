/*
 * Compressed modules through the C API, on real kbuild modules (the plain and livepatch modules
 * that inspect_kbuild builds, a copy signed with the kernel's sign-file, and the converted
 * livepatch module):
 *   test_compressed kbuild WORKDIR MODULE.ko...
 * compresses each module with xz, zstd and gzip as scripts/Makefile.modinst does, opens every copy
 * by path, by descriptor and from bytes, and checks that the image is the module's bytes and that
 * setup, prepare and copy_module_elf give a load_info and a klp_info byte-identical (addresses
 * taken relative to the image) to the uncompressed module's, with the same signature. Then it
 * damages each copy in memory (cut, bit-flipped, trailing garbage, doubled) and checks the error
 * code, the message and that *out is untouched. Exit 77 ("skipped") when the modules are missing.
 *   test_compressed debian LIST
 * opens every .ko.xz named in LIST (one path a line: a distribution kernel's modules) by path,
 * checks the image against `xz -dc` of the file, and runs setup, prepare and copy_module_elf on it;
 * every module must be accepted.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <klpelf.h>

#include "check.h"
#include "compressed_files.h"

static const struct format {
	enum klpelf_compression id;
	const char *ext, *command; /* the command replaces FILE with FILE.EXT */
} formats[] = {
	{ KLPELF_COMPRESSION_XZ, "xz", "xz --check=crc32 --lzma2=dict=1MiB -f" },
	{ KLPELF_COMPRESSION_ZSTD, "zst", "zstd -T0 --rm -f -q" },
	{ KLPELF_COMPRESSION_GZIP, "gz", "gzip -n -f" },
};

#define SENTINEL ((struct klpelf_image *)0x5a5a5a5a)

/* What the pipeline made of one image, addresses relative to it (see compressed_files.h). */
static int persist(void *image, size_t len, struct persisted *out)
{
	struct load_info info;
	struct module mod;
	int err;

	memset(&mod, 0, sizeof(mod));
	err = klpelf_setup_load_info(&info, image, len, 0);
	if (!err)
		err = klpelf_prepare_module(&mod, &info);
	if (!err)
		err = copy_module_elf(&mod, &info);
	if (!err)
		err = persisted_summary(&info, &mod, image, out);
	if (err)
		fprintf(stderr, "pipeline: %d: %s\n", err, klpelf_last_error());
	klpelf_release_module(&mod);
	return err;
}

static void check_image(struct klpelf_image *img, const struct format *f, const char *via,
			const unsigned char *ref, size_t ref_len, const struct persisted *expected)
{
	struct persisted got;
	struct klpelf_signature want_sig, got_sig;
	int want_rc, got_rc;

	CHECK_EQ_INT(klpelf_image_compression(img), f->id);
	CHECK_EQ_U64(klpelf_image_size(img), ref_len);
	CHECK_EQ_U64((size_t)klpelf_image_data(img) % 8, 0);
	if (klpelf_image_size(img) != ref_len)
		return;
	CHECK_MEM_EQ(klpelf_image_data(img), ref, ref_len);
	memset(&want_sig, 0, sizeof(want_sig));
	memset(&got_sig, 0, sizeof(got_sig));
	want_rc = klpelf_module_signature(ref, ref_len, &want_sig);
	got_rc = klpelf_module_signature(klpelf_image_data(img), ref_len, &got_sig);
	CHECK_EQ_INT(got_rc, want_rc);
	/* field by field: the struct's padding is not written */
	CHECK_EQ_U64(got_sig.sig_offset, want_sig.sig_offset);
	CHECK_EQ_U64(got_sig.sig_len, want_sig.sig_len);
	CHECK_EQ_INT(got_sig.id_type, want_sig.id_type);
	if (!CHECK_EQ_INT(persist(klpelf_image_data(img), ref_len, &got), 0)) {
		fprintf(stderr, "  (%s, %s)\n", f->ext, via);
		return;
	}
	if (!persisted_equal(&got, expected))
		fprintf(stderr, "FAIL: %s via %s persists something else than the module\n", f->ext,
			via);
	CHECK(persisted_equal(&got, expected));
	persisted_free(&got);
}

/* Opens `path` every way and checks each image against the module. */
static void check_copy(const char *path, const struct format *f, const unsigned char *ref,
		       size_t ref_len, const struct persisted *expected)
{
	struct klpelf_image *img = SENTINEL;
	struct buffer data;
	int fd;

	if (CHECK_EQ_INT(klpelf_image_open(path, &img), 0))
		check_image(img, f, "path", ref, ref_len, expected);
	klpelf_image_close(img);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	img = SENTINEL;
	if (CHECK(fd >= 0) && CHECK_EQ_INT(klpelf_image_from_fd(fd, &img), 0))
		check_image(img, f, "fd", ref, ref_len, expected);
	klpelf_image_close(img);
	if (fd >= 0)
		close(fd);
	img = SENTINEL;
	if (CHECK_EQ_INT(buffer_read_file(&data, path, 0), 0) &&
	    CHECK_EQ_INT(klpelf_image_from_bytes(data.bytes, data.len, &img), 0))
		check_image(img, f, "bytes", ref, ref_len, expected);
	klpelf_image_close(img);
	buffer_free(&data);
}

/* One damaged copy: from bytes and through a file, `errno` and a message naming the format. */
static void check_refused(const struct format *f, const char *work, const unsigned char *bad,
			  size_t len, int err, const char *words)
{
	struct klpelf_image *img = SENTINEL;
	char path[4096], want[128];

	snprintf(want, sizeof(want), "%s: %s", klpelf_compression_name((int)f->id), words);
	CHECK_EQ_INT(klpelf_image_from_bytes(bad, len, &img), err);
	CHECK_EQ_PTR(img, SENTINEL);
	if (!CHECK(klpelf_last_error() && strstr(klpelf_last_error(), want)))
		fprintf(stderr, "  wanted \"%s\" in \"%s\"\n", want, klpelf_last_error());
	snprintf(path, sizeof(path), "%s/damaged.ko.%s", work, f->ext);
	if (!CHECK_EQ_INT(write_whole_file(path, bad, len), 0))
		return;
	CHECK_EQ_INT(klpelf_image_open(path, &img), err);
	CHECK_EQ_PTR(img, SENTINEL);
	CHECK(klpelf_last_error() && strstr(klpelf_last_error(), want));
	unlink(path);
}

static void check_damaged(const struct format *f, const char *work, const struct buffer *good)
{
	size_t cuts[] = { 7, good->len / 2, good->len - 1 }, i;
	unsigned char *bad = malloc(2 * good->len + 8);

	if (!CHECK(bad != NULL))
		return;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		check_refused(f, work, good->bytes, cuts[i], -ENOEXEC, "truncated stream");
	memcpy(bad, good->bytes, good->len);
	bad[good->len / 2] ^= 0x20;
	check_refused(f, work, bad, good->len, -ENOEXEC, "");
	memcpy(bad, good->bytes, good->len);
	memcpy(bad + good->len, "garbage!", 8);
	check_refused(f, work, bad, good->len + 8, -ENOEXEC, "8 bytes of trailing garbage");
	memcpy(bad + good->len, good->bytes, good->len);
	check_refused(f, work, bad, 2 * good->len, -ENOEXEC, "a second stream starts at byte");
	free(bad);
}

static void check_module(const char *work, const char *module)
{
	struct buffer ref, copy;
	struct persisted expected;
	const char *base = strrchr(module, '/') ? strrchr(module, '/') + 1 : module;
	char path[4096], command[16384];
	size_t i;

	if (!CHECK_EQ_INT(buffer_read_file(&ref, module, 0), 0))
		return;
	if (!CHECK_EQ_INT(persist(ref.bytes, ref.len, &expected), 0)) {
		buffer_free(&ref);
		return;
	}
	/* persist() rewrote sh_addr in ref (as prepare does); compare images with the file's bytes */
	buffer_free(&ref);
	buffer_read_file(&ref, module, 0);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		const struct format *f = &formats[i];
		snprintf(path, sizeof(path), "%s/%s", work, base);
		snprintf(command, sizeof(command), "cp '%s' '%s' && %s '%s'", module, path, f->command,
			 path);
		if (!CHECK_EQ_INT(system(command), 0))
			continue;
		snprintf(path, sizeof(path), "%s/%s.%s", work, base, f->ext);
		check_copy(path, f, ref.bytes, ref.len, &expected);
		if (CHECK_EQ_INT(buffer_read_file(&copy, path, 0), 0))
			check_damaged(f, work, &copy);
		buffer_free(&copy);
		printf("%s.%s: checked\n", base, f->ext);
	}
	persisted_free(&expected);
	buffer_free(&ref);
}

/* `xz -dc PATH`: the reference bytes of a distribution module. */
static int xz_reference(const char *path, struct buffer *out)
{
	char command[8192];
	FILE *p;
	int rc;

	snprintf(command, sizeof(command), "xz -dc -- '%s'", path);
	memset(out, 0, sizeof(*out));
	p = popen(command, "r");
	if (!p)
		return -1;
	rc = read_stream(p, out);
	return pclose(p) == 0 ? rc : -1;
}

static int check_distribution(const char *list)
{
	FILE *f = fopen(list, "r");
	char path[4096];
	unsigned long modules = 0, bad = check_failures();

	if (!CHECK(f != NULL))
		return 1;
	while (fgets(path, sizeof(path), f)) {
		struct klpelf_image *img = SENTINEL;
		struct buffer ref = { NULL, 0, 0 };
		struct persisted got;

		path[strcspn(path, "\n")] = '\0';
		if (!CHECK_EQ_INT(klpelf_image_open(path, &img), 0) ||
		    !CHECK_EQ_INT(xz_reference(path, &ref), 0)) {
			fprintf(stderr, "  %s: %s\n", path, klpelf_last_error());
		} else if (CHECK_EQ_INT(klpelf_image_compression(img), KLPELF_COMPRESSION_XZ) &&
			   CHECK_EQ_U64(klpelf_image_size(img), ref.len) &&
			   CHECK_MEM_EQ(klpelf_image_data(img), ref.bytes, ref.len) &&
			   CHECK_EQ_INT(persist(klpelf_image_data(img), ref.len, &got), 0)) {
			persisted_free(&got);
			modules++;
		} else {
			fprintf(stderr, "  %s\n", path);
		}
		klpelf_image_close(img);
		buffer_free(&ref);
	}
	fclose(f);
	printf("%lu modules opened from their .ko.xz and accepted, %lu failed checks\n", modules,
	       check_failures() - bad);
	return check_summary("distribution modules");
}

int main(int argc, char **argv)
{
	int i;

	if (argc == 3 && strcmp(argv[1], "debian") == 0)
		return check_distribution(argv[2]);
	if (argc < 4 || strcmp(argv[1], "kbuild") != 0) {
		fprintf(stderr, "usage: %s kbuild WORKDIR MODULE.ko... | debian LIST\n", argv[0]);
		return 2;
	}
	if (access(argv[3], R_OK) != 0) {
		printf("skipped: no kbuild module %s (inspect_kbuild builds them with kernel headers)\n",
		       argv[3]);
		return 77;
	}
	for (i = 3; i < argc; i++)
		check_module(argv[2], argv[i]);
	return check_summary("compressed kbuild modules");
}
