/*
 * test_modinfo.c: klpelf's inspection API on real modules against libkmod's reading of the same
 * files: every .modinfo entry in order (klpelf_modinfo_next() against kmod_module_get_info()), the
 * __versions table (klpelf_versions_next() against kmod_module_get_versions()), and the version
 * magic (klpelf_module_vermagic()); then the error paths, where nothing the caller passed changes.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Usage: test_modinfo PATH...  (a module file, or a directory searched for .ko and .ko.xz files;
 * a path that does not exist is left out, and with no module at all the test prints "skipped:")
 */
#define _XOPEN_SOURCE 700
#include <elf.h>
#include <errno.h>
#include <ftw.h>
#include <libkmod.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <klpelf.h>

#include "check.h"

static struct kmod_ctx *ctx;
static unsigned long modules, entries, versions, big_endian;
static char first[PATH_MAX]; /* the first module compared: the error paths use it */

static int bytes_are(const char *p, size_t len, const char *s)
{
	return s && strlen(s) == len && memcmp(p, s, len) == 0;
}

/* Every .modinfo entry, in order, as libkmod lists them (its signature entries come after). */
static void compare_entries(const char *path, const void *image, size_t len, struct kmod_list *info)
{
	struct klpelf_modinfo_cursor cur = { 0, 0 };
	struct klpelf_modinfo_entry e;
	struct kmod_list *l = info;
	int rc;

	while ((rc = klpelf_modinfo_next(image, len, &cur, &e)) == 1) {
		if (!CHECK(l != NULL)) {
			fprintf(stderr, "%s: klpelf has more entries than libkmod\n", path);
			return;
		}
		if (!CHECK(bytes_are(e.key, e.key_len, kmod_module_info_get_key(l))) ||
		    !CHECK(bytes_are(e.value, e.value_len, kmod_module_info_get_value(l))))
			fprintf(stderr, "%s: entry %.*s\n", path, (int)e.key_len, e.key);
		CHECK(e.offset < len && (const char *)image + e.offset == e.key);
		entries++;
		l = kmod_list_next(info, l);
	}
	CHECK_EQ_INT(rc, 0);
	/* What libkmod lists after .modinfo is the signature, when there is one. */
	if (l)
		CHECK_EQ_STR(kmod_module_info_get_key(l), "sig_id");
}

/* The __versions table, entry by entry, CRC and name. */
static void compare_versions(const char *path, const void *image, size_t len, struct kmod_list *kv)
{
	struct klpelf_versions_info vi;
	struct klpelf_versions_cursor cur = { 0, 0 };
	struct klpelf_version v;
	struct kmod_list *l = kv;
	int rc;

	if (!CHECK_EQ_INT(klpelf_module_versions(image, len, &vi), 0))
		return;
	CHECK_EQ_INT(vi.has_basic, kv != NULL);
	while ((rc = klpelf_versions_next(image, len, KLPELF_VERSIONS_BASIC, &cur, &v)) == 1) {
		if (!CHECK(l != NULL))
			return;
		if (!CHECK(bytes_are(v.name, v.name_len, kmod_module_version_get_symbol(l))) ||
		    !CHECK_EQ_U64(v.crc, kmod_module_version_get_crc(l)))
			fprintf(stderr, "%s: version %.*s\n", path, (int)v.name_len, v.name);
		CHECK_EQ_INT(v.name[v.name_len], '\0');
		versions++;
		l = kmod_list_next(kv, l);
	}
	CHECK_EQ_INT(rc, 0);
	CHECK(l == NULL);
	CHECK_EQ_U64(cur.index, vi.basic_count);
	/* The extended tables: as many names as CRCs, each NUL-terminated in the image. */
	memset(&cur, 0, sizeof(cur));
	while ((rc = klpelf_versions_next(image, len, KLPELF_VERSIONS_EXTENDED, &cur, &v)) == 1)
		CHECK_EQ_INT(v.name[v.name_len], '\0');
	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_U64(cur.index, vi.extended_count);
}

/* vermagic= split at its first space; has_crcs is whether there is a __versions table. */
static void compare_vermagic(const void *image, size_t len, struct kmod_list *info,
			     struct kmod_list *kv)
{
	struct klpelf_vermagic vm;
	struct kmod_list *l;
	const char *magic = NULL;

	kmod_list_foreach(l, info) {
		if (!magic && strcmp(kmod_module_info_get_key(l), "vermagic") == 0)
			magic = kmod_module_info_get_value(l);
	}
	if (!magic) {
		CHECK_EQ_INT(klpelf_module_vermagic(image, len, &vm), -ENODATA);
		return;
	}
	if (!CHECK_EQ_INT(klpelf_module_vermagic(image, len, &vm), 0))
		return;
	CHECK(vm.release_len + vm.rest_len == strlen(magic));
	CHECK(memcmp(vm.release, magic, vm.release_len) == 0);
	CHECK(vm.rest_len == 0 || vm.rest[0] == ' ');
	CHECK(memchr(vm.release, ' ', vm.release_len) == NULL);
	CHECK_EQ_INT(vm.has_crcs, kv != NULL);
}

static void compare_module(const char *path)
{
	struct klpelf_image *img = NULL;
	struct kmod_module *mod = NULL;
	struct kmod_list *info = NULL, *kv = NULL;
	const unsigned char *image;
	size_t len;

	if (!CHECK_EQ_INT(klpelf_image_open(path, &img), 0))
		return;
	image = (const unsigned char *)klpelf_image_data(img);
	len = klpelf_image_size(img);
	if (!CHECK_EQ_INT(kmod_module_new_from_path(ctx, path, &mod), 0)) {
		klpelf_image_close(img);
		return;
	}
	if (CHECK(kmod_module_get_info(mod, &info) > 0)) {
		compare_entries(path, image, len, info);
		if (kmod_module_get_versions(mod, &kv) < 0)
			kv = NULL;
		compare_versions(path, image, len, kv);
		compare_vermagic(image, len, info, kv);
	}
	big_endian += len > EI_DATA && image[EI_DATA] == ELFDATA2MSB;
	modules++;
	kmod_module_versions_free_list(kv);
	kmod_module_info_free_list(info);
	kmod_module_unref(mod);
	klpelf_image_close(img);
}

static int is_module(const char *path)
{
	size_t n = strlen(path);
	return (n > 3 && strcmp(path + n - 3, ".ko") == 0) ||
	       (n > 6 && strcmp(path + n - 6, ".ko.xz") == 0);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && is_module(path)) {
		if (!first[0])
			snprintf(first, sizeof(first), "%s", path);
		compare_module(path);
	}
	return 0;
}

/* The error paths: each leaves the cursor and the entry as they were. */
static void errors(const char *path)
{
	struct klpelf_image *img = NULL;
	struct klpelf_modinfo_cursor cur = { 0, 0 }, saved;
	struct klpelf_modinfo_entry e, before;
	struct klpelf_version v;
	struct klpelf_versions_cursor vcur = { 0, 0 };
	struct klpelf_vermagic vm;
	unsigned char *copy;
	const void *image;
	size_t len;

	if (!CHECK_EQ_INT(klpelf_image_open(path, &img), 0))
		return;
	image = klpelf_image_data(img);
	len = klpelf_image_size(img);
	memset(&e, 0x5a, sizeof(e));
	before = e;
	CHECK_EQ_INT(klpelf_modinfo_next(NULL, len, &cur, &e), -EINVAL);
	CHECK(strstr(klpelf_last_error(), "image is NULL") != NULL);
	CHECK_EQ_INT(klpelf_modinfo_next(image, len, NULL, &e), -EINVAL);
	CHECK_EQ_INT(klpelf_modinfo_next(image, len, &cur, NULL), -EINVAL);
	/* Not ELF, then a 32-bit class: -ENOEXEC with the reason. */
	CHECK_EQ_INT(klpelf_modinfo_next("not an ELF file, long enough for a header.........", 50,
					 &cur, &e), -ENOEXEC);
	CHECK(strstr(klpelf_last_error(), "not an ELF file") != NULL);
	copy = (unsigned char *)malloc(len);
	if (CHECK(copy != NULL)) {
		memcpy(copy, image, len);
		copy[EI_CLASS] = ELFCLASS32;
		CHECK_EQ_INT(klpelf_modinfo_next(copy, len, &cur, &e), -ENOEXEC);
		CHECK(strstr(klpelf_last_error(), "ELFCLASS64") != NULL);
		copy[EI_CLASS] = ELFCLASS64;
		/* The section table cut off: the file ends inside it. */
		CHECK_EQ_INT(klpelf_modinfo_next(copy, len / 2, &cur, &e), -ENOEXEC);
		free(copy);
	}
	CHECK_MEM_EQ(&e, &before, sizeof(e));
	CHECK_EQ_INT(cur.next, 0);
	CHECK_EQ_INT(cur.end, 0);
	/* A cursor from elsewhere. */
	saved.next = len + 1;
	saved.end = len + 2;
	cur = saved;
	CHECK_EQ_INT(klpelf_modinfo_next(image, len, &cur, &e), -EINVAL);
	CHECK_MEM_EQ(&cur, &saved, sizeof(cur));
	CHECK_MEM_EQ(&e, &before, sizeof(e));
	/* An unknown table, NULL strings. */
	CHECK_EQ_INT(klpelf_versions_next(image, len, 3, &vcur, &v), -EINVAL);
	CHECK(strstr(klpelf_last_error(), "KLPELF_VERSIONS_BASIC") != NULL);
	CHECK_EQ_INT(klpelf_same_magic(NULL, "x", 0), -EINVAL);
	CHECK_EQ_INT(klpelf_vermagic_split(NULL, &vm), -EINVAL);
	/* same_magic(): the release is skipped only with CRCs. */
	CHECK_EQ_INT(klpelf_same_magic("7.2.0-1 SMP mod_unload ", "7.2.0-2 SMP mod_unload ", 1), 1);
	CHECK_EQ_INT(klpelf_same_magic("7.2.0-1 SMP mod_unload ", "7.2.0-2 SMP mod_unload ", 0), 0);
	CHECK_EQ_INT(klpelf_same_magic("7.2.0-1 SMP mod_unload ", "7.2.0-1 SMP ", 1), 0);
	if (CHECK_EQ_INT(klpelf_vermagic_split("7.2.0-1-amd64 SMP preempt ", &vm), 0)) {
		CHECK_EQ_INT(vm.release_len, 13);
		CHECK_EQ_INT(vm.rest_len, 13);
		CHECK(memcmp(vm.rest, " SMP preempt ", 13) == 0);
		CHECK_EQ_INT(vm.has_crcs, 0);
	}
	klpelf_image_close(img);
}

int main(int argc, char **argv)
{
	int i;

	ctx = kmod_new(NULL, NULL);
	if (!CHECK(ctx != NULL))
		return check_summary("test_modinfo");
	for (i = 1; i < argc; i++)
		nftw(argv[i], visit, 16, FTW_PHYS);
	kmod_unref(ctx);
	if (!modules) {
		printf("skipped: no module files (the kbuild modules or the fetched packages)\n");
		return 0;
	}
	printf("%lu modules (%lu big-endian), %lu .modinfo entries, %lu __versions entries: as libkmod "
	       "reads them\n", modules, big_endian, entries, versions);
	errors(first);
	return check_summary("test_modinfo");
}
