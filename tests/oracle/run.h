/*
 * run.h: what the oracle runs (the plan: files, bases, mutations) and what it counts.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_ORACLE_RUN_H
#define KLPELF_ORACLE_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "oracle.h"

enum origin { FROM_REAL, FROM_KBUILD, FROM_FUZZ, FROM_EXTRA };

struct source {
	char *path;
	enum origin origin;
	int group;  /* which directory argument it came from */
	bool base;  /* mutated too */
};

enum item_kind { ITEM_FILE, ITEM_FIELD, ITEM_FLIP, ITEM_RELOC_TABLE };

/* One input: a file as it is, field mutation / flip number n of a base, or generated relocation
 * table number n (relocs_case.c). */
struct item {
	uint32_t source;
	uint8_t kind;
	uint64_t n;
};

struct plan {
	struct source *sources;
	size_t n_sources;
	int groups;
	struct item *items;
	size_t n_items;
	uint64_t seed;
	uint64_t flips;  /* per base, at least */
	uint64_t min_mutated;
	uint64_t reloc_tables; /* with options.relocs: how many tables to generate */
	struct options options;
	FILE *log;       /* one line per input: both verdicts and messages (may be NULL) */
	char **known;    /* kinds of the undocumented differences already reported */
	size_t n_known;
};

#define MAX_KINDS 48

struct stats {
	unsigned long inputs, by_origin[4], mutated, tables;
	unsigned long agree, documented, undocumented, skipped, known;
	unsigned long copies, copies_prepared, klpelf_faults, kernel_faults;
	struct {
		char kind[96];
		enum outcome outcome;
		unsigned long count;
	} kinds[MAX_KINDS];
};

/* The copy comparison's counters (copy.c adds to them). */
extern struct stats *oracle_stats;

void plan_add(struct plan *plan, const char *dir, enum origin origin);
/* Reads the kinds of known-differences.txt: one a line, "#" starts a comment. */
void plan_known(struct plan *plan, const char *path);
/* Prints the known kinds that no input showed; returns how many. */
size_t unseen_known(const struct plan *plan, const struct stats *stats);
void plan_choose_bases(struct plan *plan);
void plan_items(struct plan *plan);

/* Runs every item in child processes (a crash ends one, the next goes on after the item that
 * crashed), counting into *stats and printing every undocumented difference. */
void run_plan(const struct plan *plan, struct stats *stats);
void print_summary(const struct plan *plan, const struct stats *stats);

#endif /* KLPELF_ORACLE_RUN_H */
