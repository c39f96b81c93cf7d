/*
 * test_threads.c: 4 threads x 10,000 copy/free cycles on one real object (loaded once, shared
 * read-only), each thread with its own struct module, every copy compared with the oracle's; the
 * last error is per thread; blocks may be freed by another thread; the allocator's atomic
 * accounting ends at zero. Usage: test_threads OBJECT
 * SPDX-License-Identifier: GPL-2.0-only
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "counting_alloc.h"
#include "fixture.h"
#include "oracle.h"

#define THREADS 4
#define CYCLES 10000

/* What every thread reads: the object, its module, and the oracle's copy of it. */
struct shared {
	struct loaded_object obj;
	struct module mod;
	struct module oracle;
	pthread_barrier_t phase[2];
};

struct worker {
	struct shared *sh;
	unsigned id;
	struct module mod; /* holds the thread's last copy when it returns */
};

/* One copy: compared with the oracle's; freed unless `keep`. Returns 1 when all checks passed. */
static int cycle(struct worker *w, struct load_info *info, int keep)
{
	const struct shared *sh = w->sh;
	const struct klp_modinfo *k;
	int ok;

	if (!CHECK_EQ_INT(copy_module_elf(&w->mod, info), 0))
		return 0;
	k = w->mod.klp_info;
	ok = CHECK_EQ_PTR(klpelf_last_error(), NULL);
	ok &= CHECK_EQ_INT(compare_klp_info(k, sh->oracle.klp_info, sh->obj.shnum,
					    info->sechdrs[sh->obj.shstrndx].sh_size),
			   0);
	ok &= CHECK_EQ_U64(k->sechdrs[k->symndx].sh_addr, (uintptr_t)sh->mod.core_kallsyms.symtab);
	if (!keep) {
		free_module_elf(&w->mod);
		ok &= CHECK_EQ_PTR(w->mod.klp_info, NULL);
	}
	return ok;
}

static int cycles(struct worker *w, struct load_info *info, unsigned n)
{
	while (n-- > 0)
		if (!cycle(w, info, 0))
			return 0;
	return 1;
}

/*
 * Even threads fail a call, then wait while odd threads succeed half their cycles: the error must
 * still be theirs. Then all run concurrently; the last copy is kept for the main thread to free.
 */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct load_info info = w->sh->obj.info; /* own struct, shared tables */
	unsigned mine = w->id % 2 == 0 ? CYCLES : CYCLES / 2;
	const char *err;

	memcpy(&w->mod, &w->sh->mod, sizeof(w->mod));
	if (w->id % 2 == 0)
		CHECK_EQ_INT(copy_module_elf(NULL, &info), -EINVAL);
	pthread_barrier_wait(&w->sh->phase[0]);
	if (w->id % 2 == 1)
		cycles(w, &info, CYCLES / 2);
	pthread_barrier_wait(&w->sh->phase[1]);
	err = klpelf_last_error();
	if (w->id % 2 == 0)
		CHECK(err != NULL && strstr(err, "mod") != NULL);
	if (cycles(w, &info, mine - 1))
		cycle(w, &info, 1);
	return NULL;
}

static void run_threads(struct shared *sh)
{
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	unsigned i;

	for (i = 0; i < THREADS; i++) {
		w[i].sh = sh;
		w[i].id = i;
		CHECK_EQ_INT(pthread_create(&tid[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		CHECK_EQ_INT(pthread_join(tid[i], NULL), 0);
	for (i = 0; i < THREADS; i++) {
		free_module_elf(&w[i].mod); /* made by another thread */
		CHECK_EQ_PTR(w[i].mod.klp_info, NULL);
	}
}

int main(int argc, char **argv)
{
	struct counting_alloc c;
	struct shared sh;
	unsigned i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT\n", argv[0]);
		return 2;
	}
	if (!fixture_open(argv[1], &sh.obj, &sh.mod))
		return check_summary("test_threads");
	memcpy(&sh.oracle, &sh.mod, sizeof(sh.oracle));
	if (counting_alloc_install(&c) &&
	    CHECK_EQ_INT(oracle_copy_module_elf(&sh.oracle, &sh.obj.info), 0)) {
		for (i = 0; i < 2; i++)
			CHECK_EQ_INT(pthread_barrier_init(&sh.phase[i], NULL, THREADS), 0);
		run_threads(&sh);
		for (i = 0; i < 2; i++)
			pthread_barrier_destroy(&sh.phase[i]);
		oracle_free_module_elf(&sh.oracle);
	}
	printf("%d threads: %lu allocations, %lu frees, %lu live blocks, %lu size mismatches\n",
	       THREADS, c.allocs, c.frees, c.live_blocks, c.size_mismatches);
	CHECK(c.allocs >= (unsigned long)THREADS * CYCLES);
	CHECK_EQ_U64(c.frees, c.allocs);
	counting_alloc_uninstall(&c);
	fixture_close(&sh.obj, &sh.mod);
	return check_summary("test_threads");
}
