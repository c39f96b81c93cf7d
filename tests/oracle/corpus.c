/*
 * corpus.c: the oracle's inputs: module files found under directories, read into exact-size
 * buffers, and the bases chosen for mutation. SPDX-License-Identifier: GPL-2.0-only
 */

#define _GNU_SOURCE /* DT_DIR, DT_REG */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oracle.h"
#include "run.h"

bool image_read(const char *path, struct image *out)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	bool ok = false;

	out->bytes = NULL;
	out->len = 0;
	if (!f)
		return false;
	if (!fstat(fileno(f), &st) && st.st_size > 0) {
		out->len = (size_t)st.st_size;
		out->bytes = malloc(out->len);
		ok = out->bytes && fread(out->bytes, 1, out->len, f) == out->len;
	}
	fclose(f);
	if (!ok)
		image_free(out);
	return ok;
}

void image_copy(struct image *dst, const struct image *src)
{
	dst->len = src->len;
	dst->bytes = malloc(src->len ? src->len : 1);
	if (!dst->bytes) {
		perror("oracle: malloc");
		exit(2);
	}
	memcpy(dst->bytes, src->bytes, src->len);
}

void image_free(struct image *img)
{
	free(img->bytes);
	img->bytes = NULL;
	img->len = 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct source *)a)->path, ((const struct source *)b)->path);
}

static void add_source(struct plan *plan, const char *path, enum origin origin, int group)
{
	struct source *s;

	if (plan->n_sources % 1024 == 0) {
		plan->sources = realloc(plan->sources, (plan->n_sources + 1024) * sizeof(*s));
		if (!plan->sources) {
			perror("oracle: realloc");
			exit(2);
		}
	}
	s = &plan->sources[plan->n_sources++];
	*s = (struct source){ strdup(path), origin, group, false };
}

/* Every regular file under `dir` (or `dir` itself) whose name ends with `suffix` ("" for any). */
static void walk(struct plan *plan, const char *dir, const char *suffix, enum origin origin,
		 int group)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];

	if (!d) {
		struct stat st;

		if (!stat(dir, &st) && S_ISREG(st.st_mode))
			add_source(plan, dir, origin, group);
		return;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), k = strlen(suffix);

		/* Hidden files and the corpora's README.md files are no inputs. */
		if (e->d_name[0] == '.' || (n > 3 && !strcmp(e->d_name + n - 3, ".md")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			walk(plan, path, suffix, origin, group);
		else if (e->d_type == DT_REG && n >= k && !strcmp(e->d_name + n - k, suffix))
			add_source(plan, path, origin, group);
	}
	closedir(d);
}

void plan_add(struct plan *plan, const char *dir, enum origin origin)
{
	size_t first = plan->n_sources;
	const char *suffix = origin == FROM_FUZZ || origin == FROM_EXTRA ? "" : ".ko";

	walk(plan, dir, suffix, origin, plan->groups++);
	qsort(plan->sources + first, plan->n_sources - first, sizeof(*plan->sources), by_path);
}

/* What makes a module worth mutating: each feature's smallest module of each group is a base. */
enum { FEATURE_ANY, FEATURE_PCPU, FEATURE_VERSIONS, FEATURE_EXT_VERSIONS, FEATURE_KLP,
       FEATURES };

static unsigned features_of(const struct image *img)
{
	struct load_info info;
	unsigned f = 1u << FEATURE_ANY;

	if (klpelf_setup_load_info(&info, img->bytes, img->len, 0))
		return 0;
	if (info.index.pcpu)
		f |= 1u << FEATURE_PCPU;
	if (info.index.vers)
		f |= 1u << FEATURE_VERSIONS;
	if (info.index.vers_ext_crc)
		f |= 1u << FEATURE_EXT_VERSIONS;
	for (unsigned i = 1; i < info.hdr->e_shnum; i++)
		if (info.sechdrs[i].sh_flags & SHF_RELA_LIVEPATCH)
			f |= 1u << FEATURE_KLP;
	return f;
}

void plan_choose_bases(struct plan *plan)
{
	size_t best[64][FEATURES];
	size_t best_len[64][FEATURES] = { { 0 } };

	for (size_t i = 0; i < plan->n_sources; i++) {
		struct source *s = &plan->sources[i];
		struct image img;
		unsigned f;

		if (s->group >= 64 || !image_read(s->path, &img))
			continue;
		f = features_of(&img);
		/* Every kbuild module and extra file klpelf accepts is a base of its own; of the fuzz
		 * inputs, only those with what no real module has (extended versions, livepatch
		 * relocations) are candidates. */
		s->base = f && (s->origin == FROM_KBUILD || s->origin == FROM_EXTRA);
		if (s->origin == FROM_FUZZ)
			f &= 1u << FEATURE_EXT_VERSIONS | 1u << FEATURE_KLP;
		for (int k = 0; k < FEATURES && (s->origin == FROM_REAL || s->origin == FROM_FUZZ); k++)
			if ((f & (1u << k)) &&
			    (!best_len[s->group][k] || img.len < best_len[s->group][k])) {
				best[s->group][k] = i;
				best_len[s->group][k] = img.len;
			}
		image_free(&img);
	}
	for (int g = 0; g < plan->groups && g < 64; g++)
		for (int k = 0; k < FEATURES; k++)
			if (best_len[g][k])
				plan->sources[best[g][k]].base = true;
}
