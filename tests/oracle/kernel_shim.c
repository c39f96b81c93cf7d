/*
 * kernel_shim.c: what shim/kernel_shim.h declares: memory with fault injection, the message
 * buffer, the read witness, symbol resolution. SPDX-License-Identifier: GPL-2.0-only
 */

#include "kernel_shim.h"

#include "oracle.h"

struct oracle_kalloc oracle_kalloc;
struct oracle_witness oracle_witness;
struct oracle_log oracle_log;

void *oracle_kmalloc(size_t size)
{
	void *p;

	oracle_kalloc.count++;
	if (oracle_kalloc.fail_at && oracle_kalloc.count == oracle_kalloc.fail_at)
		return NULL;
	if (size == 0)
		return ZERO_SIZE_PTR;
	p = malloc(size);
	if (p)
		oracle_kalloc.live++;
	return p;
}

void *oracle_kmemdup(const void *src, size_t size)
{
	void *p = oracle_kmalloc(size);

	if (p && size)
		memcpy(p, src, size);
	return p;
}

void oracle_kfree(const void *ptr)
{
	if (!ptr || ptr == ZERO_SIZE_PTR)
		return;
	oracle_kalloc.live--;
	free((void *)ptr);
}

void oracle_printk(const char *level, const char *fmt, ...)
{
	struct oracle_log *log = &oracle_log;
	va_list ap;
	int n;

	if (!log->buf || log->used + 1 >= log->size)
		return;
	n = snprintf(log->buf + log->used, log->size - log->used, "%s: ", level);
	if (n > 0)
		log->used += (size_t)n;
	if (log->used + 1 >= log->size) {
		log->used = log->size - 1;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(log->buf + log->used, log->size - log->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		log->used += (size_t)n;
	if (log->used >= log->size - 1)
		log->used = log->size - 2;
	log->buf[log->used++] = ORACLE_LOG_END[0];
	log->buf[log->used] = 0;
}

/* Records the first read of `p` outside [lo, hi) (offsets relative to the image). */
static void witness(const char *fn, const char *p, const char *lo, const char *hi,
		    const char *table)
{
	const char *image = (const char *)oracle_witness.info->hdr;

	if ((p >= lo && p < hi) || !oracle_witness.what || oracle_witness.what[0])
		return;
	snprintf(oracle_witness.what, oracle_witness.what_size,
		 "%s() reads offset %td of the file, outside %s [%td, %td)", fn, p - image, table,
		 lo - image, hi - image);
}

/* The ELF part of the file: [hdr, hdr + len). */
static void file_bounds(const char **lo, const char **hi)
{
	const struct load_info *info = oracle_witness.info;

	*lo = (const char *)info->hdr;
	*hi = *lo + info->len;
}

/* Narrows [*lo, *hi) to section `index`'s contents. */
static void section_bounds(unsigned int index, const char **lo, const char **hi)
{
	const struct load_info *info = oracle_witness.info;
	const Elf64_Shdr *shdr = &info->sechdrs[index];
	const char *start = (const char *)info->hdr + shdr->sh_offset;
	const char *end = start + shdr->sh_size;

	if (start > *lo)
		*lo = start;
	if (end < *hi)
		*hi = end;
}

/* strncmp(), each byte of `a` witnessed against section `section` of the image under check. */
static int witnessed_compare(const char *fn, const char *table, unsigned int section,
			     const char *a, const char *b, size_t n)
{
	const char *lo = NULL, *hi = NULL;

	if (oracle_witness.info) {
		file_bounds(&lo, &hi);
		section_bounds(section, &lo, &hi);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char x, y;

		if (oracle_witness.info)
			witness(fn, a + i, lo, hi, table);
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (x != y || !x)
			return x - y;
	}
	return 0;
}

int oracle_strcmp(const char *a, const char *b)
{
	const struct load_info *info = oracle_witness.info;

	return witnessed_compare("strcmp", "the section-name table",
				 info ? info->hdr->e_shstrndx : 0, a, b, SIZE_MAX);
}

int oracle_strncmp(const char *a, const char *b, size_t n)
{
	const struct load_info *info = oracle_witness.info;

	return witnessed_compare("strncmp", "the .modinfo section", info ? info->index.info : 0, a,
				 b, n);
}

size_t oracle_strnlen(const char *s, size_t n)
{
	const char *lo = NULL, *hi = NULL;
	size_t i;

	if (oracle_witness.info)
		file_bounds(&lo, &hi);
	for (i = 0; i < n; i++) {
		if (oracle_witness.info)
			witness("strnlen", s + i, lo, hi, "the file");
		if (!s[i])
			break;
	}
	return i;
}

static const struct kernel_symbol oracle_resolved = { ORACLE_SYMBOL_ADDRESS };

const struct kernel_symbol *resolve_symbol_wait(struct module *mod, const struct load_info *info,
						const char *name)
{
	(void)mod, (void)info, (void)name;
	return &oracle_resolved;
}

void *oracle_percpu_area;

void *oracle_mod_percpu(struct module *mod)
{
	(void)mod;
	return oracle_percpu_area;
}
