/*
 * main.c: the kernel-source oracle's command line. SPDX-License-Identifier: GPL-2.0-only
 *
 *   oracle [--checks] [--copy] [--real DIR]... [--kbuild DIR]... [--fuzz DIR]... [--extra FILE]...
 *          [--flips N] [--seed N] [--log FILE] [--known FILE] [--min-real N] [--min-mutated N]
 *   oracle --relocs TABLES [--kbuild DIR]... [--extra FILE]... [--log FILE] [--known FILE]
 *
 * Compares klpelf with the kernel's own code (see docs/oracle.md) on every module file under the
 * --real and --kbuild directories, every file under --fuzz, each --extra file, and the mutations of
 * a few of them (the bases: the smallest module of each --real directory with each feature, every
 * kbuild module and extra file): every single-field mutation and N random byte flips each (more when
 * that would not make the minimum of mutated inputs). Prints
 * every undocumented difference and one summary line; exits 1 if there was one, or if fewer real
 * modules or mutated inputs than the minimums were compared. The kinds listed in --known (reported
 * differences awaiting a fix in klpelf) are counted apart and do not fail the run, but one that no
 * longer occurs does: the list must be kept up to date.
 *
 * With --relocs it compares livepatch relocations instead (relocs.c): applying and clearing them
 * on every livepatch module file given, as it is, and on TABLES generated relocation tables.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "run.h"

/* Sanitizer defaults: the kernel's out-of-bounds reads end the child quickly, without
 * symbolizing (ASAN_OPTIONS=symbolize=1 names the functions, slowly). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	/* No quarantine and no allocation stacks: a child that dies costs little to replace. */
	return "detect_leaks=0:symbolize=0:allocator_may_return_null=1:print_summary=1:"
	       "quarantine_size_mb=0:thread_local_quarantine_size_kb=0:malloc_context_size=0";
}
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=0";
}

static unsigned long number(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "oracle: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct plan plan = { .seed = 1, .flips = 1000 };
	unsigned long min_real = 0, min_mutated = 0;
	struct stats stats;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--checks"))
			plan.options.checks = true;
		else if (!strcmp(a, "--copy"))
			plan.options.copy = true;
		else if (!strcmp(a, "--relocs") && v)
			plan.options.relocs = true, plan.reloc_tables = number(v), i++;
		else if (!v)
			goto usage;
		else if (!strcmp(a, "--real"))
			plan_add(&plan, v, FROM_REAL), i++;
		else if (!strcmp(a, "--kbuild"))
			plan_add(&plan, v, FROM_KBUILD), i++;
		else if (!strcmp(a, "--fuzz"))
			plan_add(&plan, v, FROM_FUZZ), i++;
		else if (!strcmp(a, "--extra"))
			plan_add(&plan, v, FROM_EXTRA), i++;
		else if (!strcmp(a, "--flips"))
			plan.flips = number(v), i++;
		else if (!strcmp(a, "--seed"))
			plan.seed = number(v), i++;
		else if (!strcmp(a, "--min-real"))
			min_real = number(v), i++;
		else if (!strcmp(a, "--min-mutated"))
			min_mutated = plan.min_mutated = number(v), i++;
		else if (!strcmp(a, "--log") && (plan.log = fopen(v, "w")))
			i++;
		else if (!strcmp(a, "--known"))
			plan_known(&plan, v), i++;
		else
			goto usage;
	}
	if ((!plan.options.checks && !plan.options.copy && !plan.options.relocs) ||
	    (plan.options.relocs && (plan.options.checks || plan.options.copy)))
		goto usage;
	plan_choose_bases(&plan);
	plan_items(&plan);
	run_plan(&plan, &stats);
	print_summary(&plan, &stats);
	if (stats.tables < plan.reloc_tables) {
		printf("oracle: %lu of %llu relocation tables compared\n", stats.tables,
		       (unsigned long long)plan.reloc_tables);
		return 1;
	}
	if (stats.by_origin[FROM_REAL] < min_real || stats.mutated < min_mutated) {
		printf("oracle: fewer than %lu real modules or %lu mutated inputs\n", min_real,
		       min_mutated);
		return 1;
	}
	/* Only the checks' comparison sees every kind (the copy's skips what either side rejects). */
	if (plan.options.checks && unseen_known(&plan, &stats))
		return 1;
	return stats.undocumented ? 1 : 0;
usage:
	fprintf(stderr, "usage: oracle [--checks] [--copy] | --relocs TABLES [--real DIR] [--kbuild DIR] "
			"[--fuzz DIR] "
			"[--extra FILE] [--flips N] [--seed N] [--log FILE] [--known FILE] [--min-real N] "
			"[--min-mutated N]\n");
	return 2;
}
