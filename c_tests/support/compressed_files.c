/*
 * Support for the compressed-module tests (compressed_files.h).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include "compressed_files.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int read_stream(FILE *f, struct buffer *b)
{
	size_t cap = 1 << 16, n;
	unsigned char *bigger;

	memset(b, 0, sizeof(*b));
	b->bytes = malloc(cap);
	if (!b->bytes)
		return -1;
	while ((n = fread(b->bytes + b->len, 1, cap - b->len, f)) > 0) {
		b->len += n;
		if (b->len == cap) {
			bigger = realloc(b->bytes, cap *= 2);
			if (!bigger)
				break;
			b->bytes = bigger;
		}
	}
	if (ferror(f) || b->len == cap) {
		buffer_free(b);
		return -1;
	}
	return 0;
}

int write_whole_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(bytes, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* Appends `n` bytes to `p`; 0 or -ENOMEM (then `p` is freed). */
static int append(struct persisted *p, const void *bytes, size_t n)
{
	unsigned char *bigger = realloc(p->bytes, p->len + n + 1);

	if (!bigger) {
		persisted_free(p);
		return -ENOMEM;
	}
	p->bytes = bigger;
	memcpy(p->bytes + p->len, bytes, n);
	p->len += n;
	return 0;
}

static int append_u64(struct persisted *p, uint64_t v)
{
	return append(p, &v, sizeof(v));
}

/* An address into the image as an offset from its start (0 stays 0). */
static uint64_t rel(const void *addr, const void *image)
{
	return addr ? (uint64_t)((uintptr_t)addr - (uintptr_t)image) : 0;
}

static int summarise_info(const struct load_info *info, const void *image, struct persisted *p)
{
	return append_u64(p, rel(info->name, image)) || append_u64(p, rel(info->hdr, image)) ||
	       append_u64(p, info->len) || append_u64(p, rel(info->sechdrs, image)) ||
	       append_u64(p, rel(info->secstrings, image)) ||
	       append_u64(p, rel(info->strtab, image)) || append_u64(p, info->sig_ok) ||
	       append(p, &info->index, sizeof(info->index)) ? -ENOMEM : 0;
}

static int summarise_module(const struct module *mod, const void *image, struct persisted *p)
{
	const struct klp_modinfo *klp = mod->klp_info;
	const Elf64_Shdr *symtab = &klp->sechdrs[klp->symndx];
	size_t i, count = klp->hdr.e_shnum ? klp->hdr.e_shnum : klp->sechdrs[0].sh_size;

	if (append(p, mod->name, strlen(mod->name)) || append_u64(p, (uint64_t)mod->klp) ||
	    append(p, &klp->hdr, sizeof(klp->hdr)) || append_u64(p, klp->symndx))
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		Elf64_Shdr sh = klp->sechdrs[i];
		/* the symbol table's points at klpelf's kallsyms copy; the others into the image */
		sh.sh_addr = i == klp->symndx ? 0 : rel((const void *)(uintptr_t)sh.sh_addr, image);
		if (append(p, &sh, sizeof(sh)))
			return -ENOMEM;
	}
	if (append(p, klp->secstrings, klp->sechdrs[klp->hdr.e_shstrndx].sh_size) ||
	    append_u64(p, mod->core_kallsyms.num_symtab) ||
	    append(p, mod->core_kallsyms.symtab, symtab->sh_size) ||
	    append(p, mod->core_kallsyms.strtab, klp->sechdrs[symtab->sh_link].sh_size))
		return -ENOMEM;
	return 0;
}

int persisted_summary(const struct load_info *info, const struct module *mod, const void *image,
		      struct persisted *out)
{
	out->bytes = NULL;
	out->len = 0;
	if (summarise_info(info, image, out) || summarise_module(mod, image, out))
		return -ENOMEM;
	return 0;
}

int persisted_equal(const struct persisted *a, const struct persisted *b)
{
	return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

void persisted_free(struct persisted *p)
{
	free(p->bytes);
	p->bytes = NULL;
	p->len = 0;
}
