/*
 * run.c: runs the plan in child processes. The kernel's code is expected to read out of bounds on
 * some inputs (AddressSanitizer then ends the process), so a child runs items one after another
 * and records the item in flight in shared memory; when it dies, the parent classifies that item
 * from the record and starts a new child after it. SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oracle.h"
#include "relocs.h"
#include "run.h"

struct shared {
	struct stats stats;
	struct record rec;
	size_t progress;
};

/* The child's current base: its image and mutations, kept while its items run. */
struct cache {
	long source;
	struct image img;
	struct mutation *mutations;
	size_t count;
};

#define MAX_MUTATIONS 200000

static const char *const outcome_names[] = { "agree", "documented", "UNDOCUMENTED", "skipped",
					     "known" };

/* The number of field mutations of each base (0 for the others). */
static size_t *field_counts(const struct plan *plan, size_t *total, size_t *bases)
{
	struct mutation *m = malloc(MAX_MUTATIONS * sizeof(*m));
	size_t *fields = calloc(plan->n_sources, sizeof(*fields));

	*total = *bases = 0;
	for (size_t s = 0; s < plan->n_sources; s++) {
		struct image img = { 0 };

		if (plan->sources[s].base && image_read(plan->sources[s].path, &img))
			fields[s] = mutations_of(&img, m, MAX_MUTATIONS);
		image_free(&img);
		*total += fields[s];
		*bases += fields[s] != 0;
	}
	free(m);
	return fields;
}

/* The relocation comparison's items: every file as it is, then the generated tables. */
static void relocs_items(struct plan *plan)
{
	plan->items = malloc((plan->n_sources + plan->reloc_tables) * sizeof(*plan->items));
	for (size_t s = 0; s < plan->n_sources; s++)
		plan->items[plan->n_items++] = (struct item){ (uint32_t)s, ITEM_FILE, 0 };
	for (uint64_t n = 0; n < plan->reloc_tables; n++)
		plan->items[plan->n_items++] = (struct item){ 0, ITEM_RELOC_TABLE, n };
}

void plan_items(struct plan *plan)
{
	size_t total, bases, cap;

	if (plan->options.relocs) {
		relocs_items(plan);
		return;
	}
	size_t *fields = field_counts(plan, &total, &bases);
	uint64_t flips = plan->flips;

	/* Enough flips for the minimum of mutated inputs, with a margin. */
	if (bases && plan->min_mutated * 21 / 20 > total + flips * bases)
		flips = (plan->min_mutated * 21 / 20 - total + bases - 1) / bases;
	plan->flips = flips;
	cap = plan->n_sources + total + flips * bases;
	plan->items = malloc(cap * sizeof(*plan->items));
	for (size_t s = 0; s < plan->n_sources; s++) {
		plan->items[plan->n_items++] = (struct item){ (uint32_t)s, ITEM_FILE, 0 };
		for (size_t k = 0; k < fields[s]; k++)
			plan->items[plan->n_items++] = (struct item){ (uint32_t)s, ITEM_FIELD, k };
		for (uint64_t k = 0; fields[s] && k < flips; k++)
			plan->items[plan->n_items++] = (struct item){ (uint32_t)s, ITEM_FLIP, k };
	}
	free(fields);
}

/* The input of item `it` into `out`, described in `label`; false if the file cannot be read. */
static bool item_input(const struct plan *plan, const struct item *it, struct cache *c,
		       struct image *out, char *label, size_t size)
{
	const struct source *s = &plan->sources[it->source];
	struct mutation flip, *m = NULL;

	if (c->source != (long)it->source) {
		image_free(&c->img);
		c->count = 0;
		c->source = -1;
		if (!image_read(s->path, &c->img))
			return false;
		c->source = it->source;
		if (s->base)
			c->count = mutations_of(&c->img, c->mutations, MAX_MUTATIONS);
	}
	image_copy(out, &c->img);
	if (it->kind == ITEM_FIELD && it->n < c->count)
		m = &c->mutations[it->n];
	if (it->kind == ITEM_FLIP) {
		flip_of(&c->img, plan->seed, it->n, &flip);
		m = &flip;
	}
	if (m)
		mutation_apply(out, m);
	snprintf(label, size, m ? "%s [%s]" : "%s", s->path, m ? m->what : "");
	return true;
}

struct stats *oracle_stats;

static void count_kind(struct stats *st, const struct finding *f)
{
	int i;

	for (i = 0; i < MAX_KINDS - 1 && st->kinds[i].kind[0]; i++)
		if (!strcmp(st->kinds[i].kind, f->kind) && st->kinds[i].outcome == f->outcome)
			break;
	if (!st->kinds[i].kind[0]) {
		snprintf(st->kinds[i].kind, sizeof(st->kinds[i].kind), "%s", f->kind);
		st->kinds[i].outcome = f->outcome;
	}
	st->kinds[i].count++;
}

/* One line of text: the kernel's messages separated by " | ", newlines inside one as "\n". */
static void flat(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == ORACLE_LOG_END[0])
			fputs(s[1] ? " | " : "", out);
		else if (*s == '\n')
			fputs(s[1] && s[1] != ORACLE_LOG_END[0] ? "\\n" : "", out);
		else
			fputc(*s == '\t' ? ' ' : *s, out);
	}
}

static void print_side(const char *who, const struct side *side)
{
	const char *check = side->check > 0 ? klpelf_check_name(side->check) : NULL;

	printf("  %s: %d (%s): ", who, side->ret, check ? check : "no check");
	flat(stdout, side->message);
	putchar('\n');
}

void print_record(const struct record *rec, const struct finding *f)
{
	printf("%s: %s\n  input: %s\n",
	       f->outcome == UNDOCUMENTED ? "UNDOCUMENTED DIFFERENCE"
	       : f->outcome == KNOWN	  ? "KNOWN DIFFERENCE (known-differences.txt; first input)"
					  : outcome_names[f->outcome],
	       f->kind, rec->input);
	print_side("klpelf", &rec->klpelf);
	print_side("kernel", &rec->kernel);
	if (rec->witness[0])
		printf("  witness: %s\n", rec->witness);
	if (rec->loader[0] || rec->loader_ret)
		printf("  kernel's later steps: %d: %s\n", rec->loader_ret, rec->loader);
	if (rec->crash[0])
		printf("  crash: %s\n", rec->crash);
	fflush(stdout);
}

static void report(const struct plan *plan, const struct record *rec, const struct finding *f)
{
	if (f->outcome == UNDOCUMENTED)
		print_record(rec, f);
	if (!plan->log)
		return;
	fprintf(plan->log, "%s\t%s\t%s\t%d\t%s\t", rec->input, outcome_names[f->outcome], f->kind,
		rec->klpelf.ret, rec->klpelf.check > 0 ? klpelf_check_name(rec->klpelf.check) : "");
	flat(plan->log, rec->klpelf.message);
	fprintf(plan->log, "\t%d\t", rec->kernel.ret);
	flat(plan->log, rec->kernel.message);
	fprintf(plan->log, "\t%s\t%s\t", rec->witness, rec->crash);
	flat(plan->log, rec->loader);
	fputc('\n', plan->log);
	fflush(plan->log);
}

static bool is_known(const struct plan *plan, const char *kind)
{
	for (size_t i = 0; i < plan->n_known; i++)
		if (!strcmp(plan->known[i], kind))
			return true;
	return false;
}

static unsigned long kind_count(const struct stats *st, const char *kind, enum outcome outcome)
{
	for (int i = 0; i < MAX_KINDS && st->kinds[i].kind[0]; i++)
		if (st->kinds[i].outcome == outcome && !strcmp(st->kinds[i].kind, kind))
			return st->kinds[i].count;
	return 0;
}

static void account(const struct plan *plan, struct stats *st, const struct item *it,
		    const struct record *rec, const struct finding *found)
{
	struct finding known = *found, *f = &known;

	if (f->outcome == UNDOCUMENTED && is_known(plan, f->kind))
		f->outcome = KNOWN;
	st->inputs++;
	if (it->kind == ITEM_FILE)
		st->by_origin[plan->sources[it->source].origin]++;
	else if (it->kind == ITEM_RELOC_TABLE)
		st->tables++;
	else
		st->mutated++;
	if (f->outcome == AGREE)
		st->agree++;
	else if (f->outcome == DOCUMENTED)
		st->documented++;
	else if (f->outcome == UNDOCUMENTED)
		st->undocumented++;
	else if (f->outcome == KNOWN)
		st->known++;
	else
		st->skipped++;
	if (f->outcome == DOCUMENTED || f->outcome == UNDOCUMENTED || f->outcome == KNOWN)
		count_kind(st, f);
	/* A known difference is shown once, as an example. */
	if (f->outcome == KNOWN && kind_count(st, f->kind, KNOWN) == 1)
		print_record(rec, f);
	report(plan, rec, f);
}

static void child(const struct plan *plan, struct shared *sh, size_t first)
{
	struct cache c = { -1, { 0 }, malloc(MAX_MUTATIONS * sizeof(struct mutation)), 0 };

	oracle_stats = &sh->stats;
	for (size_t i = first; i < plan->n_items; i++) {
		const struct item *it = &plan->items[i];
		struct finding f;
		struct image img;

		sh->progress = i;
		memset(&sh->rec, 0, sizeof(sh->rec));
		if (it->kind == ITEM_RELOC_TABLE) {
			f = compare_reloc_case(it->n, &sh->rec);
			account(plan, &sh->stats, it, &sh->rec, &f);
			continue;
		}
		if (!item_input(plan, it, &c, &img, sh->rec.input, sizeof(sh->rec.input))) {
			fprintf(stdout, "oracle: cannot read %s\n", plan->sources[it->source].path);
			_exit(3);
		}
		f = plan->options.relocs ? compare_relocs_image(&img, &sh->rec)
					 : compare_image(&img, &sh->rec, &plan->options);
		image_free(&img);
		account(plan, &sh->stats, it, &sh->rec, &f);
	}
	fflush(stdout);
	_exit(0);
}

/* What the sanitizer (or the signal) said about the child's death, from its stderr. */
static void crash_text(int fd, int status, char *out, size_t size)
{
	static const char *const marks[] = { "ERROR: AddressSanitizer: ", "runtime error: ",
					     "READ of size", "WRITE of size" };
	char buf[16384];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	size_t used = 0;

	buf[n > 0 ? n : 0] = 0;
	out[0] = 0;
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		char *at = strstr(buf, marks[i]);
		size_t len;

		if (!at || used + 2 >= size)
			continue;
		len = strcspn(at, "\n");
		used += (size_t)snprintf(out + used, size - used, "%s%.*s", used ? "; " : "",
					 (int)len, at);
	}
	if (!out[0])
		snprintf(out, size, WIFSIGNALED(status) ? "killed by signal %d" : "exit status %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

void run_plan(const struct plan *plan, struct stats *stats)
{
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char errpath[] = "/tmp/klpelf-oracle-stderr-XXXXXX";
	int errfd = mkstemp(errpath);
	size_t next = 0;

	if (sh == MAP_FAILED || errfd < 0) {
		perror("oracle");
		exit(2);
	}
	unlink(errpath);
	memset(sh, 0, sizeof(*sh));
	while (next < plan->n_items) {
		int status = 0;
		pid_t pid;

		fflush(stdout);
		if (plan->log)
			fflush(plan->log);
		/* The child writes its stderr from the start (it shares the file offset). */
		if (ftruncate(errfd, 0) || lseek(errfd, 0, SEEK_SET))
			perror("oracle: ftruncate");
		pid = fork();
		if (pid == 0) {
			dup2(errfd, 2);
			child(plan, sh, next);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			perror("oracle: fork");
			exit(2);
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
			exit(2);
		crash_text(errfd, status, sh->rec.crash, sizeof(sh->rec.crash));
		struct finding f = classify_crash(&sh->rec);
		account(plan, &sh->stats, &plan->items[sh->progress], &sh->rec, &f);
		next = sh->progress + 1;
	}
	*stats = sh->stats;
	munmap(sh, sizeof(*sh));
	close(errfd);
}

/* "kind: n; kind: n" of the kinds with `outcome`. */
static void print_kinds(const struct stats *st, enum outcome outcome)
{
	const char *sep = " (";

	for (int i = 0; i < MAX_KINDS && st->kinds[i].kind[0]; i++) {
		if (st->kinds[i].outcome != outcome)
			continue;
		printf("%s%s: %lu", sep, st->kinds[i].kind, st->kinds[i].count);
		sep = "; ";
	}
	if (strcmp(sep, " ("))
		putchar(')');
}

void print_summary(const struct plan *plan, const struct stats *st)
{
	printf("oracle%s%s%s: %lu inputs compared (%lu real modules, %lu kbuild modules, "
	       "%lu fuzz inputs, %lu other files, %lu mutated",
	       plan->options.checks ? " checks" : "", plan->options.copy ? " copy" : "",
	       plan->options.relocs ? " relocs" : "", st->inputs, st->by_origin[FROM_REAL],
	       st->by_origin[FROM_KBUILD], st->by_origin[FROM_FUZZ], st->by_origin[FROM_EXTRA],
	       st->mutated);
	if (plan->options.relocs)
		printf(", %lu relocation tables", st->tables);
	printf("): %lu agree, %lu documented differences", st->agree, st->documented);
	print_kinds(st, DOCUMENTED);
	if (plan->options.copy)
		printf(", %lu copies compared (%lu after klpelf_prepare_module) under %lu + %lu "
		       "injected allocation failures (klpelf + kernel)",
		       st->copies, st->copies_prepared, st->klpelf_faults, st->kernel_faults);
	printf(", %lu skipped", st->skipped);
	if (st->known) {
		printf(", %lu known differences awaiting a fix in src/", st->known);
		print_kinds(st, KNOWN);
	}
	printf(", %lu undocumented", st->undocumented);
	print_kinds(st, UNDOCUMENTED);
	putchar('\n');
}

void plan_known(struct plan *plan, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f) {
		perror(path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		plan->known = realloc(plan->known, (plan->n_known + 1) * sizeof(*plan->known));
		plan->known[plan->n_known++] = strdup(line);
	}
	fclose(f);
}

size_t unseen_known(const struct plan *plan, const struct stats *st)
{
	size_t unseen = 0;

	for (size_t i = 0; i < plan->n_known; i++)
		if (!kind_count(st, plan->known[i], KNOWN)) {
			printf("oracle: the known difference \"%s\" no longer occurs: remove it from "
			       "known-differences.txt\n", plan->known[i]);
			unseen++;
		}
	return unseen;
}
