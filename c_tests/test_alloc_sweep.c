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
#include <string.h>

#include "buffer.h"
#include "check.h"
#include "counting_alloc.h"
#include "failure.h"

/* A module file in memory (8-aligned), with a pristine copy to restore between runs (prepare
 * rewrites the section headers in the image, as the kernel's loader does). */
struct file {
	const char *path;
	struct buffer image, pristine;
};

static int read_file(const char *path, struct file *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->path = path;
	err = buffer_read_file(&f->image, path, 0);
	if (err)
		return err;
	err = buffer_copy(&f->pristine, f->image.bytes, f->image.len, 0);
	if (err)
		buffer_free(&f->image);
	return err;
}

static void free_file(struct file *f)
{
	buffer_free(&f->image);
	buffer_free(&f->pristine);
}

/* The steps of the pipeline, in order. */
enum step { SETUP = 1, PREPARE, COPY };

static const char *const step_names[] = { "", "klpelf_setup_load_info", "klpelf_prepare_module",
					  "copy_module_elf" };

static int call_step(int step, struct load_info *info, struct module *mod, const struct file *f,
		     unsigned flags)
{
	switch (step) {
	case SETUP:
		return klpelf_setup_load_info(info, f->image.bytes, f->image.len, flags);
	case PREPARE:
		return klpelf_prepare_module(mod, info);
	default:
		return copy_module_elf(mod, info);
	}
}

/* What a run did: the step that failed (0: none), its return code, allocations made. */
struct outcome {
	int failed_step;
	int rc;
	unsigned long allocs;
};

/* Saved copies of everything the caller owns, taken before each call. */
struct saved {
	struct load_info info;
	struct module mod;
	struct buffer image;
};

static void save(struct saved *s, const struct load_info *info, const struct module *mod,
		 const struct file *f)
{
	memcpy(&s->info, info, sizeof(*info));
	memcpy(&s->mod, mod, sizeof(*mod));
	memcpy(s->image.bytes, f->image.bytes, f->image.len);
}

/* After a failed call: the code, a message, and nothing of the caller's changed. */
static void check_untouched(const char *step, int rc, const struct saved *s,
			    const struct load_info *info, const struct module *mod,
			    const struct file *f)
{
	char what[300];

	snprintf(what, sizeof(what), "%s: %s", f->path, step);
	check_failure(what, rc, -ENOMEM, "allocation");
	CHECK(memcmp(info, &s->info, sizeof(*info)) == 0);
	CHECK(memcmp(mod, &s->mod, sizeof(*mod)) == 0);
	CHECK(memcmp(f->image.bytes, s->image.bytes, f->image.len) == 0);
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
	int step, rc;

	memcpy(f->image.bytes, f->pristine.bytes, f->image.len);
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

	for (step = SETUP; step <= COPY; step++) {
		if (step == PREPARE && !prepare)
			continue;
		save(s, &info, &mod, f);
		rc = call_step(step, &info, &mod, f, flags);
		if (rc) {
			o = (struct outcome){ step, rc, c->allocs };
			check_untouched(step_names[step], rc, s, &info, &mod, f);
			goto release;
		}
	}
	o.allocs = c->allocs;
	CHECK(mod.klp_info != NULL);
	CHECK_EQ_U64(mod.klp_info->sechdrs[mod.klp_info->symndx].sh_addr,
		     (uintptr_t)mod.core_kallsyms.symtab);
release:
	klpelf_release_module(&mod);
	CHECK(mod.klp_info == NULL && mod.core_kallsyms.symtab == NULL);
	counting_alloc_check_empty(c);
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

	if (!CHECK_EQ_INT(buffer_copy(&s.image, f->image.bytes, f->image.len, 0), 0))
		return 0;
	/* Which flags the file needs, and whether it has a name for prepare. */
	if (klpelf_setup_load_info(&probe, f->image.bytes, f->image.len, 0) == -ENOEXEC)
		flags = KLPELF_SETUP_ALLOW_XNUM;
	if (!CHECK_EQ_INT(klpelf_setup_load_info(&probe, f->image.bytes, f->image.len, flags), 0)) {
		fprintf(stderr, "%s: rejected: %s\n", f->path, klpelf_last_error());
		buffer_free(&s.image);
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
	buffer_free(&s.image);
	return clean.allocs;
}

int main(int argc, char **argv)
{
	struct counting_alloc c;
	int i, swept = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	if (!counting_alloc_install(&c))
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
		free_file(&f);
	}
	counting_alloc_uninstall(&c);
	if (swept == 0 && check_failures() == 0) {
		printf("skipped: none of the files exists\n");
		return 0;
	}
	return check_summary("test_alloc_sweep");
}
