/*
 * copy.c: copy_module_elf() and free_module_elf() of the kernel (kernel/module/livepatch.c) and of
 * klpelf on an image both sides' checks accept, on the same buffer at the same address, so that
 * what they persist can be compared byte for byte. SPDX-License-Identifier: GPL-2.0-only
 *
 * klpelf's side is what a loader does with it: klpelf_setup_load_info(), klpelf_prepare_module()
 * (which rewrites the section headers in the image as the kernel's rewrite_section_headers() does
 * and copies the symbol table), copy_module_elf(). The kernel's side, on the buffer restored to the
 * input's bytes: its own checks, its rewrite_section_headers(), and its copy_module_elf() with
 * core_kallsyms.symtab set to klpelf's (the copy's only pointer from elsewhere). When prepare
 * refuses the module (no .modinfo name, or one too long for struct module), both copy the image
 * as it is, with the same made-up symtab address. Then each side's copy runs again with each of
 * its allocations failing in turn: both must return -ENOMEM and leak nothing.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "run.h"

/* A symtab address for copies made without klpelf_prepare_module(): only compared, never used. */
#define MADE_UP_SYMTAB ((Elf64_Sym *)0x5a5a5000UL)

struct counting {
	unsigned long count, fail_at;
	long live;
};
static struct counting counting;

static void *counting_alloc(size_t size, void *ctx)
{
	struct counting *c = ctx;
	void *p;

	if (++c->count == c->fail_at)
		return NULL;
	p = malloc(size);
	c->live += p != NULL;
	return p;
}

static void counting_free(void *ptr, size_t size, void *ctx)
{
	struct counting *c = ctx;

	(void)size;
	c->live--;
	free(ptr);
}

static void use_counting_allocator(void)
{
	static bool set;
	static const struct klpelf_allocator a = { counting_alloc, counting_free, &counting };

	if (!set && klpelf_set_allocator(&a) == 0)
		set = true;
}

/* What a copy_module_elf() persisted, copied out of its block. */
struct persisted {
	Elf64_Ehdr hdr;
	unsigned char *sechdrs;
	unsigned char *secstrings;
	unsigned int symndx;
};

static void keep(struct persisted *p, const struct klp_modinfo *ki, size_t table, size_t names)
{
	p->hdr = ki->hdr;
	p->sechdrs = malloc(table);
	p->secstrings = malloc(names ? names : 1);
	memcpy(p->sechdrs, ki->sechdrs, table);
	memcpy(p->secstrings, ki->secstrings, names);
	p->symndx = ki->symndx;
}

static const char *differ(const struct persisted *a, const struct klp_modinfo *b, size_t table,
			  size_t names)
{
	if (memcmp(&a->hdr, &b->hdr, sizeof(a->hdr)))
		return "the persisted ELF header differs";
	if (memcmp(a->sechdrs, b->sechdrs, table))
		return "the persisted section headers differ";
	if (memcmp(a->secstrings, b->secstrings, names))
		return "the persisted section names differ";
	if (a->symndx != b->symndx)
		return "the persisted symndx differs";
	return NULL;
}

/* klpelf's copy of `info`; then each of its allocations failing in turn. */
static const char *klpelf_copy(struct module *mod, struct load_info *info, struct persisted *out,
			       size_t table, size_t names)
{
	unsigned long allocations;

	counting.count = counting.fail_at = 0;
	if (copy_module_elf(mod, info))
		return "klpelf's copy_module_elf() fails";
	allocations = counting.count;
	keep(out, mod->klp_info, table, names);
	free_module_elf(mod);
	for (unsigned long k = 1; k <= allocations; k++) {
		long live = counting.live;

		counting.count = 0;
		counting.fail_at = k;
		if (copy_module_elf(mod, info) != -ENOMEM || mod->klp_info || counting.live != live)
			return "klpelf's copy_module_elf() under a failing allocation";
		oracle_stats->klpelf_faults++;
	}
	counting.fail_at = 0;
	return NULL;
}

/* The kernel's copy, compared with klpelf's; then each of its allocations failing in turn. */
static const char *kernel_copy(struct load_info *info, Elf64_Sym *symtab,
			       const struct persisted *klpelf, size_t table, size_t names)
{
	struct module mod = { 0 };
	const char *what;
	unsigned long allocations;

	mod.core_kallsyms.symtab = symtab;
	oracle_kalloc = (struct oracle_kalloc){ 0 };
	if (kernel_copy_module_elf(&mod, info))
		return "the kernel's copy_module_elf() fails";
	allocations = oracle_kalloc.count;
	what = differ(klpelf, mod.klp_info, table, names);
	kernel_free_module_elf(&mod);
	if (what || oracle_kalloc.live)
		return what ? what : "the kernel's free_module_elf() leaks";
	for (unsigned long k = 1; k <= allocations; k++) {
		oracle_kalloc = (struct oracle_kalloc){ .fail_at = k };
		if (kernel_copy_module_elf(&mod, info) != -ENOMEM || oracle_kalloc.live)
			return "the kernel's copy_module_elf() under a failing allocation";
		oracle_stats->kernel_faults++;
	}
	return NULL;
}

/* klpelf's side on `buf`: fills `out` and the section headers after prepare. */
static const char *klpelf_side(struct image *buf, struct persisted *out, unsigned char *after,
			       Elf64_Sym **symtab, bool *prepared)
{
	struct load_info info;
	struct module mod = { 0 };
	const char *what;
	size_t table, names;

	if (klpelf_setup_load_info(&info, buf->bytes, buf->len, 0))
		return "klpelf rejects the image the second time";
	table = (size_t)info.hdr->e_shnum * sizeof(Elf64_Shdr);
	names = info.sechdrs[info.hdr->e_shstrndx].sh_size;
	*prepared = klpelf_prepare_module(&mod, &info) == 0;
	if (!*prepared)
		mod.core_kallsyms.symtab = MADE_UP_SYMTAB;
	*symtab = mod.core_kallsyms.symtab;
	memcpy(after, info.sechdrs, table);
	what = klpelf_copy(&mod, &info, out, table, names);
	if (!*prepared)
		mod.core_kallsyms.symtab = NULL;
	klpelf_release_module(&mod);
	if (!what && counting.live)
		what = "klpelf_release_module() leaks";
	return what;
}

bool compare_copy(const struct image *img, struct record *rec, char *kind, size_t kind_size)
{
	struct persisted mine = { 0 };
	struct load_info info = { 0 };
	struct image buf;
	unsigned char *after;
	Elf64_Sym *symtab = NULL;
	bool prepared = false;
	const char *what;
	size_t table = (size_t)((const Elf64_Ehdr *)img->bytes)->e_shnum * sizeof(Elf64_Shdr);

	(void)rec;
	use_counting_allocator();
	image_copy(&buf, img);
	after = malloc(table);
	what = klpelf_side(&buf, &mine, after, &symtab, &prepared);
	memcpy(buf.bytes, img->bytes, img->len);
	info.hdr = (Elf64_Ehdr *)buf.bytes;
	info.len = buf.len;
	oracle_log = (struct oracle_log){ NULL, 0, 0 };
	if (!what && kernel_check_image(&info, 0))
		what = "the kernel rejects the image the second time";
	if (!what && prepared)
		kernel_rewrite_section_headers(&info);
	if (!what && memcmp(after, info.sechdrs, table))
		what = "klpelf_prepare_module() and rewrite_section_headers() differ";
	if (!what)
		what = kernel_copy(&info, symtab, &mine, table,
				   info.sechdrs[info.hdr->e_shstrndx].sh_size);
	if (!what) {
		oracle_stats->copies++;
		oracle_stats->copies_prepared += prepared;
	}
	snprintf(kind, kind_size, "%s", what ? what : "");
	free(mine.sechdrs);
	free(mine.secstrings);
	free(after);
	image_free(&buf);
	return !what;
}
