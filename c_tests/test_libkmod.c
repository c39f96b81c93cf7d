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
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(int ok, const char *what, const char *detail)
{
	if (!ok) {
		fprintf(stderr, "test_libkmod: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
		failures++;
	}
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = (unsigned char *)malloc((size_t)size);
		if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)size;
	}
	fclose(f);
	return buf;
}

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

	expect(ctx != NULL, "kmod_new", NULL);
	if (!ctx)
		return 0;
	expect(kmod_module_new_from_path(ctx, path, &kmod) == 0, "kmod_module_new_from_path", path);
	if (kmod && kmod_module_get_info(kmod, &list) > 0) {
		kmod_list_foreach(entry, list) {
			const char *key = kmod_module_info_get_key(entry);
			const char *value = kmod_module_info_get_value(entry);
			const char *ours = klpelf_get_modinfo(info, key);

			if (!first_of_key(list, entry, key))
				continue;
			expect(ours && value && strcmp(ours, value) == 0, "klpelf and libkmod differ on",
			       key);
			tags++;
		}
		kmod_module_info_free_list(list);
	}
	expect(tags > 0, "libkmod read no .modinfo tags", path);
	kmod_module_unref(kmod);
	kmod_unref(ctx);
	return tags;
}

int main(int argc, char **argv)
{
	struct load_info info;
	struct module mod;
	unsigned char *image;
	size_t len = 0;
	int tags = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODULE.o\n", argv[0]);
		return 2;
	}
	image = read_file(argv[1], &len);
	if (!image) {
		perror(argv[1]);
		return 1;
	}
	memset(&mod, 0, sizeof(mod));
	expect(klpelf_setup_load_info(&info, image, len, 0) == 0, "klpelf_setup_load_info",
	       klpelf_last_error());
	if (failures == 0) {
		tags = compare_modinfo(argv[1], &info);
		expect(klpelf_prepare_module(&mod, &info) == 0, "klpelf_prepare_module",
		       klpelf_last_error());
		expect(copy_module_elf(&mod, &info) == 0, "copy_module_elf", klpelf_last_error());
		expect(mod.klp_info && mod.klp_info->hdr.e_machine == info.hdr->e_machine &&
			       mod.klp_info->sechdrs[0].sh_type == SHT_NULL,
		       "the persisted header and section 0", NULL);
		klpelf_release_module(&mod);
	}
	free(image);
	printf("test_libkmod: %d tags agree with libkmod; %s\n", tags, failures ? "FAILED" : "passed");
	return failures ? 1 : 0;
}
