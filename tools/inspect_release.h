/*
 * klpelf-inspect --kernel-release: the kernel a symbol map belongs to, and whether a module was
 * built for it (the first word of its .modinfo vermagic, which is the kernel release it was built
 * against). The kernel refuses a module whose vermagic is not its own (-ENOEXEC) unless forced.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_RELEASE_H
#define KLPELF_INSPECT_RELEASE_H

#include <stddef.h>

#include <klpelf.h>

#include "inspect_options.h"

/* What the comparison found, for the report. */
struct release_check {
	const char *expected;   /* the map's kernel release, NULL when it is not known */
	const char *source;     /* where it came from: "--kernel-release", "map file name", "uname -r" */
	char vermagic[256];     /* the module's vermagic, "" when it has none */
	char release[256];      /* its first word: the release the module was built for */
	int matches;            /* release == expected */
	int forced;             /* --force: a mismatch is a warning */
	char why[1024];         /* the mismatch, in words, when !matches */
};

/* The kernel release a run's map belongs to, into out (size bytes): --kernel-release, else the
 * REL of a map named System.map-REL, else `uname -r` when the map is /proc/kallsyms, else "".
 * *source names which. */
void release_of_map(const struct inspect_options *o, char *out, size_t size, const char **source);

/* Compares the module's vermagic with `expected` (nothing to compare when it is NULL or ""): 0, or
 * -ENOEXEC when they differ and `force` is 0; c->why says why. */
int release_check(const struct load_info *info, const char *expected, const char *source,
		  int force, struct release_check *c);

#endif
