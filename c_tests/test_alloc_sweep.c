/*
 * test_alloc_sweep.c: the whole loader pipeline on real module files — klpelf_setup_load_info(),
 * klpelf_prepare_module(), copy_module_elf(), klpelf_release_module() — with the N-th allocation
 * failing, for every N the pipeline makes (counted by a clean run first). Each run must fail with
 * -ENOMEM at exactly that allocation, with a message; the failing call must leave the caller's
 * structs and the image byte-identical to copies saved before it; releasing what the earlier steps
 * made must bring every block back (with the size it was asked for). Then a run without failures
 * must succeed and leak nothing. Modules without a name= tag (which prepare refuses, as the loader
 * would) go straight to copy_module_elf.
 *
 * Usage: test_alloc_sweep FILE...   (a FILE that does not exist is reported as skipped; when every
 * FILE is missing the test prints "skipped:" and passes, for ctest's SKIP_REGULAR_EXPRESSION)
 * SPDX-License-Identifier: GPL-2.0-only
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "counting_alloc.h"

/* A module file in memory: malloc'd (so 8-aligned), with a pristine copy to restore between runs
 * (prepare rewrites the section headers in the image, as the kernel's loader does). */
struct file {
	const char *path;
	unsigned char *image;
	unsigned char *pristine;
	size_t len;
};

static int read_file(const char *path, struct file *f)
{
	FILE *fp = fopen(path, "rb");
	long size;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (!fp)
		return -errno;
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
		fclose(fp);
		return -EIO;
	}
	f->len = (size_t)size;
	f->image = malloc(f->len ? f->len : 1);
	f->pristine = malloc(f->len ? f->len : 1);
	if (!f->image || !f->pristine || fread(f->image, 1, f->len, fp) != f->len) {
		fclose(fp);
		free(f->image);
		free(f->pristine);
		return -EIO;
	}
	fclose(fp);
	memcpy(f->pristine, f->image, f->len);
	return 0;
}

/* What a run did: the step that failed (0: none), its return code, allocations made. */
struct outcome {
	int failed_step; /* 1 setup, 2 prepare, 3 copy */
	int rc;
	unsigned long allocs;
};

/* Saved copies of everything the caller owns, taken before each call. */
struct saved {
	struct load_info info;
	struct module mod;
	unsigned char *image;
};

static void save(struct saved *s, const struct load_info *info, const struct module *mod,
		 const struct file *f)
{
	memcpy(&s->info, info, sizeof(*info));
	memcpy(&s->mod, mod, sizeof(*mod));
	memcpy(s->image, f->image, f->len);
}

/* After a failed call: the code, a message, and nothing of the caller's changed. */
static void check_untouched(const char *step, int rc, const struct saved *s,
			    const struct load_info *info, const struct module *mod,
			    const struct file *f)
{
	const char *msg = klpelf_last_error();

	if (!CHECK_EQ_INT(rc, -ENOMEM))
		fprintf(stderr, "%s: %s failed with %d (%s)\n", f->path, step, rc, msg ? msg : "");
	CHECK(msg != NULL && strstr(msg, "allocation") != NULL);
	CHECK(memcmp(info, &s->info, sizeof(*info)) == 0);
	CHECK(memcmp(mod, &s->mod, sizeof(*mod)) == 0);
	CHECK(memcmp(f->image, s->image, f->len) == 0);
}

/*
 * One pipeline run on a pristine image with the counting allocator failing at allocation `fail_at`
 * (0: never). `prepare` says whether to call klpelf_prepare_module (modules without a name skip it).
 * The module is released at the end whatever happened, and must then hold no block.
 */
static struct outcome run(struct file *f, unsigned flags, int prepare, struct counting_alloc *c,
			  unsigned long fail_at, struct saved *s)
{
	struct outcome o = { 0, 0, 0 };
	struct load_info info;
	struct module mod;
	int rc;

	memcpy(f->image, f->pristine, f->len);
	counting_alloc_reset(c);
	c->fail_at = fail_at;
	/* The caller's structs hold patterns, not zeros, so that any write shows; the pointers
	 * prepare and copy_module_elf require to be NULL are NULL. */
	memset(&info, 0xa5, sizeof(info));
	memset(&mod, 0x5a, sizeof(mod));
	mod.klp = false;
	mod.klp_alive = true;
	mod.core_kallsyms.symtab = NULL;
	mod.core_kallsyms.strtab = NULL;
	mod.core_kallsyms.typetab = NULL;
	mod.klp_info = NULL;

	save(s, &info, &mod, f);
	rc = klpelf_setup_load_info(&info, f->image, f->len, flags);
	if (rc) {
		o = (struct outcome){ 1, rc, c->allocs };
		check_untouched("klpelf_setup_load_info", rc, s, &info, &mod, f);
		goto release;
	}
	if (prepare) {
		save(s, &info, &mod, f);
		rc = klpelf_prepare_module(&mod, &info);
		if (rc) {
			o = (struct outcome){ 2, rc, c->allocs };
			check_untouched("klpelf_prepare_module", rc, s, &info, &mod, f);
			goto release;
		}
	}
	save(s, &info, &mod, f);
	rc = copy_module_elf(&mod, &info);
	if (rc) {
		o = (struct outcome){ 3, rc, c->allocs };
		check_untouched("copy_module_elf", rc, s, &info, &mod, f);
		goto release;
	}
	o.allocs = c->allocs;
	CHECK(mod.klp_info != NULL);
	CHECK_EQ_U64(mod.klp_info->sechdrs[mod.klp_info->symndx].sh_addr,
		     (uintptr_t)mod.core_kallsyms.symtab);
release:
	klpelf_release_module(&mod);
	CHECK(mod.klp_info == NULL && mod.core_kallsyms.symtab == NULL);
	CHECK_EQ_U64(c->live_blocks, 0);
	CHECK_EQ_U64(c->live_bytes, 0);
	CHECK_EQ_U64(c->size_mismatches, 0);
	CHECK_EQ_U64(c->frees, c->allocs - (fail_at && fail_at <= c->allocs ? 1 : 0));
	return o;
}

/* Sweeps one file. Returns the number of failing runs made. */
static unsigned long sweep(struct file *f, struct counting_alloc *c)
{
	struct saved s;
	struct outcome clean;
	struct load_info probe;
	struct module mod = { { 0 }, { NULL, 0, NULL, NULL }, false, false, NULL };
	unsigned flags = 0;
	int prepare = 1;
	unsigned long n;

	s.image = malloc(f->len ? f->len : 1);
	if (!CHECK(s.image != NULL))
		return 0;
	/* Which flags the file needs, and whether it has a name for prepare. */
	if (klpelf_setup_load_info(&probe, f->image, f->len, 0) == -ENOEXEC)
		flags = KLPELF_SETUP_ALLOW_XNUM;
	if (!CHECK_EQ_INT(klpelf_setup_load_info(&probe, f->image, f->len, flags), 0)) {
		fprintf(stderr, "%s: rejected: %s\n", f->path, klpelf_last_error());
		free(s.image);
		return 0;
	}
	if (klpelf_prepare_module(&mod, &probe) == -ENOEXEC)
		prepare = 0;
	klpelf_release_module(&mod);

	clean = run(f, flags, prepare, c, 0, &s);
	CHECK_EQ_INT(clean.failed_step, 0);
	/* One block from prepare (the kallsyms copy), one from copy_module_elf. */
	CHECK_EQ_U64(clean.allocs, prepare ? 2 : 1);
	for (n = 1; n <= clean.allocs; n++) {
		struct outcome o = run(f, flags, prepare, c, n, &s);

		if (!CHECK(o.failed_step != 0))
			fprintf(stderr, "%s: no step failed with allocation %lu failing\n", f->path, n);
		CHECK_EQ_U64(o.allocs, n); /* it failed at exactly that allocation */
	}
	clean = run(f, flags, prepare, c, 0, &s);
	CHECK_EQ_INT(clean.failed_step, 0);
	printf("%s: %lu allocation(s), each failed in turn%s%s\n", f->path, clean.allocs,
	       flags ? " (extended numbering)" : "", prepare ? "" : " (no name: prepare skipped)");
	free(s.image);
	return clean.allocs;
}

int main(int argc, char **argv)
{
	struct counting_alloc c;
	struct klpelf_allocator a = counting_allocator(&c);
	int i, swept = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	counting_alloc_reset(&c);
	if (!CHECK_EQ_INT(klpelf_set_allocator(&a), 0))
		return check_summary("test_alloc_sweep");
	for (i = 1; i < argc; i++) {
		struct file f;
		int err = read_file(argv[i], &f);

		if (err == -ENOENT) {
			printf("%s: missing, skipped\n", argv[i]);
			continue;
		}
		if (!CHECK_EQ_INT(err, 0))
			continue;
		if (sweep(&f, &c) > 0)
			swept++;
		free(f.image);
		free(f.pristine);
	}
	CHECK_EQ_INT(klpelf_set_allocator(NULL), 0);
	if (swept == 0 && check_failures() == 0) {
		printf("skipped: none of the files exists\n");
		return 0;
	}
	return check_summary("test_alloc_sweep");
}
