/*
 * test_libkmod.c: klpelf.h beside <elf.h> and libkmod's <libkmod.h>, kernel names on, in one
 * translation unit, compiled as C (test_libkmod) and as C++ (test_libkmod_cpp, the same file).
 * It reads a module's .modinfo with both libraries and checks that they agree on every tag.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Usage: test_libkmod MODULE.o
 */
#include <elf.h>
#include <libkmod.h>
#include <klpelf.h>

#include <stdio.h>
#include <string.h>

/* The test support is C; this file is compiled as C++ too. */
#ifdef __cplusplus
extern "C" {
#endif
#include "buffer.h"
#include "check.h"
#ifdef __cplusplus
}
#endif

/* Whether `entry` is the first in `list` with its key (klpelf, as the kernel's get_modinfo(),
 * gives the first value of a repeated tag). */
static int first_of_key(struct kmod_list *list, struct kmod_list *entry, const char *key)
{
	struct kmod_list *e;

	kmod_list_foreach(e, list) {
		if (e == entry)
			return 1;
		if (strcmp(kmod_module_info_get_key(e), key) == 0)
			return 0;
	}
	return 0;
}

/* Every tag libkmod reads from the file, looked up with klpelf_get_modinfo(). */
static int compare_modinfo(const char *path, const struct load_info *info)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);
	struct kmod_module *kmod = NULL;
	struct kmod_list *list = NULL, *entry;
	int tags = 0;

	if (!CHECK(ctx != NULL))
		return 0;
	CHECK_EQ_INT(kmod_module_new_from_path(ctx, path, &kmod), 0);
	if (kmod && kmod_module_get_info(kmod, &list) > 0) {
		kmod_list_foreach(entry, list) {
			const char *key = kmod_module_info_get_key(entry);
			const char *value = kmod_module_info_get_value(entry);
			const char *ours = klpelf_get_modinfo(info, key);

			if (!first_of_key(list, entry, key))
				continue;
			CHECK_EQ_STR(ours, value);
			tags++;
		}
		kmod_module_info_free_list(list);
	}
	CHECK(tags > 0);
	kmod_module_unref(kmod);
	kmod_unref(ctx);
	return tags;
}

int main(int argc, char **argv)
{
	struct load_info info;
	struct module mod;
	struct buffer image;
	int tags;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE.o\n", argv[0]);
		return 2;
	}
	if (!CHECK_EQ_INT(buffer_read_file(&image, argv[1], 0), 0))
		return check_summary("test_libkmod");
	memset(&mod, 0, sizeof(mod));
	if (CHECK_EQ_INT(klpelf_setup_load_info(&info, image.bytes, image.len, 0), 0)) {
		tags = compare_modinfo(argv[1], &info);
		printf("test_libkmod: %d .modinfo tags read by libkmod\n", tags);
		CHECK_EQ_INT(klpelf_prepare_module(&mod, &info), 0);
		CHECK_EQ_INT(copy_module_elf(&mod, &info), 0);
		if (CHECK(mod.klp_info != NULL)) {
			CHECK_EQ_INT(mod.klp_info->hdr.e_machine, info.hdr->e_machine);
			CHECK_EQ_INT(mod.klp_info->sechdrs[0].sh_type, SHT_NULL);
		}
		klpelf_release_module(&mod);
	}
	buffer_free(&image);
	return check_summary("test_libkmod");
}
