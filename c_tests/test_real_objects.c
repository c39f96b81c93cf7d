/*
 * test_real_objects.c: copy_module_elf() / free_module_elf() on real objects made by the compiler
 * at build time. Usage: test_real_objects module|many|xnum OBJECT
 *
 * module, many: klpelf and the oracle persist the object into two modules sharing one
 * core_kallsyms.symtab; the results must be byte-for-byte equal and faithful, with the symbol
 * table section's sh_addr redirected. xnum (extended numbering, which the oracle cannot read, like
 * the kernel): klpelf's copy is checked against the file directly. In every mode the image itself
 * must be left untouched, klp_info must be NULL after free_module_elf(), and klpelf's blocks (from a
 * counting, poisoning allocator) must all come back with the sizes they were asked for.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "check.h"
#include "counting_alloc.h"
#include "expect.h"
#include "fixture.h"

/* The fixture module.c: the module-shaped sections were found, the name read from .modinfo. */
static void check_module_fixture(const struct loaded_object *obj)
{
	const struct load_info *info = &obj->info;

	CHECK_EQ_STR(info->name, "sample");
	CHECK(info->index.info != 0 && info->index.mod != 0 && info->index.vers != 0);
	CHECK(info->sechdrs[info->index.mod].sh_flags & SHF_ALLOC);
	CHECK_EQ_INT(info->hdr->e_shnum, obj->shnum);
}

/* many_sections.c: thousands of sections, plain numbering. */
static void check_many_fixture(const struct loaded_object *obj)
{
	CHECK(obj->shnum >= 4000);
	CHECK_EQ_INT(obj->info.hdr->e_shnum, obj->shnum);
}

/* xnum.s: extended numbering, with the section-name and symbol tables above SHN_LORESERVE. */
static void check_xnum_fixture(const struct loaded_object *obj)
{
	const struct load_info *info = &obj->info;

	CHECK_EQ_INT(info->hdr->e_shnum, 0);
	CHECK_EQ_INT(info->hdr->e_shstrndx, SHN_XINDEX);
	CHECK(obj->shnum > SHN_LORESERVE);
	CHECK_EQ_U64(info->sechdrs[0].sh_size, obj->shnum);
	CHECK_EQ_U64(info->sechdrs[0].sh_link, obj->shstrndx);
	CHECK(obj->shstrndx >= SHN_LORESERVE && info->index.sym >= SHN_LORESERVE);
}

static void persist_plain(struct loaded_object *obj, const struct module *mod)
{
	check_against_oracle(mod, &obj->info);
}

/* The oracle reads e_shnum (0) like the kernel: the file itself is the reference. */
static void persist_xnum(struct loaded_object *obj, const struct module *mod)
{
	check_klpelf_alone(mod, &obj->info);
}

struct mode {
	const char *name;
	void (*check_fixture)(const struct loaded_object *obj);
	void (*persist)(struct loaded_object *obj, const struct module *mod);
};

static const struct mode modes[] = {
	{ "module", check_module_fixture, persist_plain },
	{ "many", check_many_fixture, persist_plain },
	{ "xnum", check_xnum_fixture, persist_xnum },
};

static const struct mode *find_mode(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, name) == 0)
			return &modes[i];
	return NULL;
}

/* mode->persist with klpelf's blocks from a counting allocator. Returns 0 if it could not be set. */
static int persist_counted(const struct mode *mode, struct loaded_object *obj,
			   const struct module *mod)
{
	struct counting_alloc c;

	if (!counting_alloc_install(&c))
		return 0;
	mode->persist(obj, mod);
	CHECK(c.allocs > 0);
	CHECK_EQ_U64(c.frees, c.allocs);
	return counting_alloc_uninstall(&c);
}

static void run(const struct mode *mode, const char *path)
{
	struct loaded_object obj;
	struct module mod;
	struct buffer pristine;

	if (!fixture_open(path, &obj, &mod))
		return;
	printf("%s: %u sections, section names at %u, symbols at %u, e_shnum %u\n", path,
	       obj.shnum, obj.shstrndx, obj.info.index.sym, obj.info.hdr->e_shnum);
	mode->check_fixture(&obj);
	if (CHECK_EQ_INT(buffer_copy(&pristine, obj.image, obj.len, 0), 0) &&
	    persist_counted(mode, &obj, &mod))
		CHECK_MEM_EQ(obj.image, pristine.bytes, obj.len);
	buffer_free(&pristine);
	fixture_close(&obj, &mod);
}

int main(int argc, char **argv)
{
	const struct mode *mode = argc == 3 ? find_mode(argv[1]) : NULL;

	if (!mode) {
		fprintf(stderr, "usage: %s module|many|xnum OBJECT\n", argv[0]);
		return 2;
	}
	run(mode, argv[2]);
	return check_summary("test_real_objects");
}
