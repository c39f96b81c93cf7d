/*
 * compare.c: one input through klpelf_setup_load_info() and through the kernel's own checks, on
 * the same bytes, and what the two verdicts say together. SPDX-License-Identifier: GPL-2.0-only
 *
 * A finding is AGREE, DOCUMENTED (a difference docs/checks.md or include/klpelf.h describes: the
 * kind says which), UNDOCUMENTED (the test fails) or SKIPPED (not compared). The documented kinds
 * are (docs/oracle.md has the table):
 * - "kernel reads out of bounds: CHECK": klpelf rejects with its own check CHECK, and the kernel
 *   reads outside the file or outside the table it means to read (AddressSanitizer, the alignment
 *   sanitizer, or the shim's read witness caught it) in its checks or its later loading steps;
 * - "own check first: CHECK": both reject, klpelf with its own check CHECK, which runs (where the
 *   kernel makes the read it guards) no later than the kernel's check that rejects;
 * - "kernel rejects later: CHECK": the kernel's later steps refuse the module before the read;
 * - two corners of relocation_symbol's rule: the partial symbol after sh_size / 24, and the
 *   livepatch relocation sections of a module that is no livepatch;
 * - "ehdr_arch checks EI_CLASS and EI_DATA": x86-64's elf_check_arch() tests only e_machine;
 * - "name: no fallback to struct module": without a .modinfo name the kernel names the module
 *   from the image's struct module; klpelf leaves info->name NULL (and info->mod NULL);
 * - "modinfo: read past the section": the kernel compares a .modinfo entry that runs to the end
 *   of the section by reading past it; klpelf never matches such an entry.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oracle.h"
#include "relocs.h"

static struct finding found(enum outcome outcome, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct finding found(enum outcome outcome, const char *fmt, ...)
{
	struct finding f = { outcome, "" };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f.kind, sizeof(f.kind), fmt, ap);
	va_end(ap);
	return f;
}

static const char *name_of(int check)
{
	const char *name = check > 0 ? klpelf_check_name(check) : NULL;

	return name ? name : "none";
}

static void run_klpelf(const struct image *img, struct record *rec)
{
	struct side *l = &rec->klpelf;
	const char *message;

	rec->phase = PHASE_KLPELF;
	memset(&l->info, 0, sizeof(l->info));
	l->ret = klpelf_setup_load_info(&l->info, img->bytes, img->len, 0);
	l->check = klpelf_last_error_check();
	message = l->ret ? klpelf_last_error() : NULL;
	snprintf(l->message, sizeof(l->message), "%s", message ? message : "");
}

static void run_kernel(const struct image *img, struct record *rec)
{
	struct side *k = &rec->kernel;

	rec->phase = PHASE_KERNEL_CHECKS;
	memset(&k->info, 0, sizeof(k->info));
	k->info.hdr = (Elf64_Ehdr *)img->bytes;
	k->info.len = img->len;
	k->message[0] = 0;
	oracle_log = (struct oracle_log){ k->message, sizeof(k->message), 0 };
	oracle_witness = (struct oracle_witness){ &k->info, rec->witness, sizeof(rec->witness) };
	k->ret = kernel_check_image(&k->info, 0);
	oracle_witness.info = NULL;
	k->check = check_of_message(k->message);
}

/* The first section named `name` whose name and header lie in the file, or NULL. Read with
 * bounds checks of its own, since either side may reject the image. */
static const Elf64_Shdr *named_section(const struct image *img, const char *name)
{
	const Elf64_Ehdr *hdr = (const Elf64_Ehdr *)img->bytes;
	const Elf64_Shdr *sechdrs, *names;
	size_t len = img->len, size = strlen(name) + 1;

	if (len < sizeof(*hdr) || hdr->e_shoff % 8 || hdr->e_shoff > len ||
	    (len - hdr->e_shoff) / sizeof(Elf64_Shdr) < hdr->e_shnum ||
	    hdr->e_shstrndx >= hdr->e_shnum)
		return NULL;
	sechdrs = (const Elf64_Shdr *)(img->bytes + hdr->e_shoff);
	names = &sechdrs[hdr->e_shstrndx];
	if (names->sh_offset > len || names->sh_size > len - names->sh_offset)
		return NULL;
	for (unsigned i = 1; i < hdr->e_shnum; i++) {
		const Elf64_Shdr *s = &sechdrs[i];

		if (s->sh_name < names->sh_size && names->sh_size - s->sh_name >= size &&
		    !memcmp(img->bytes + names->sh_offset + s->sh_name, name, size))
			return s;
	}
	return NULL;
}

/* .modinfo lies in the file and is empty or its last entry has no NUL: there the kernel's walk
 * reads past the section and klpelf matches nothing. */
static bool modinfo_open(const struct image *img)
{
	const Elf64_Shdr *s = named_section(img, ".modinfo");
	size_t len = img->len;

	return s && s->sh_offset <= len && s->sh_size <= len - s->sh_offset &&
	       (s->sh_size == 0 || img->bytes[s->sh_offset + s->sh_size - 1] != 0);
}

/* Without a .modinfo name the kernel names the module from its struct module in the image
 * (info->mod->name), a member access through a misaligned pointer when the section is: the
 * alignment sanitizer stops there, although nothing is read. */
static bool this_module_misaligned(const struct image *img)
{
	const Elf64_Shdr *s = named_section(img, ".gnu.linkonce.this_module");

	return s && s->sh_offset % 8;
}

static bool witness_on_modinfo(const struct record *rec)
{
	return !strncmp(rec->witness, "strncmp", 7);
}

#define SAME(field) (k->field == l->field)

static struct finding compare_names(const struct record *rec)
{
	const struct load_info *k = &rec->kernel.info, *l = &rec->klpelf.info;

	if (SAME(name))
		return found(AGREE, "%s", "");
	if (!l->name && k->name == (const char *)k->mod)
		return found(DOCUMENTED, "name: no fallback to struct module");
	if (rec->modinfo_open)
		return found(DOCUMENTED, "modinfo: read past the section");
	return found(UNDOCUMENTED, "load_info.name differs");
}

static struct finding compare_accepted(const struct image *img, struct record *rec,
				       const struct options *o)
{
	const struct load_info *k = &rec->kernel.info, *l = &rec->klpelf.info;
	struct finding f;
	char what[96];

	if (!SAME(hdr) || !SAME(len) || !SAME(sechdrs) || !SAME(secstrings) || !SAME(strtab) ||
	    !SAME(sig_ok) || memcmp(&k->index, &l->index, sizeof(k->index)))
		return found(UNDOCUMENTED, "load_info differs");
	f = compare_names(rec);
	if (f.outcome == UNDOCUMENTED)
		return f;
	if (rec->witness[0] && !(witness_on_modinfo(rec) && rec->modinfo_open))
		return found(UNDOCUMENTED, "the kernel reads outside its table; klpelf accepts");
	if (rec->witness[0] && f.outcome == AGREE)
		f = found(DOCUMENTED, "modinfo: read past the section");
	if (o->copy) {
		rec->phase = PHASE_COPY;
		what[0] = 0;
		if (!compare_copy(img, rec, what, sizeof(what)))
			return found(UNDOCUMENTED, "copy: %s", what);
	}
	return f;
}

/* klpelf rejects with its own check: the kernel makes the read it guards (or rejects first). */
static struct finding own_check(const struct record *rec)
{
	const char *own = name_of(rec->klpelf.check);
	int kernel_check = rec->kernel.check;

	if (rec->witness[0])
		return found(DOCUMENTED, "kernel reads out of bounds: %s", own);
	if (rec->kernel.ret == 0)
		return found(UNDOCUMENTED, "klpelf rejects (%s); the kernel accepts", own);
	if (kernel_check > 0 && check_stage(rec->klpelf.check) <= check_stage(kernel_check))
		return found(DOCUMENTED, "own check first: %s", own);
	return found(UNDOCUMENTED, "klpelf rejects (%s) where the kernel rejects earlier (%s)", own,
		     name_of(kernel_check));
}

/* klpelf's ehdr_arch rejects for EI_CLASS or EI_DATA, which x86-64's elf_check_arch() leaves
 * alone: the kernel goes on to its later checks. */
static bool class_or_data_only(const struct image *img, const struct record *rec)
{
	const Elf64_Ehdr *hdr = (const Elf64_Ehdr *)img->bytes;

	return rec->klpelf.check == KLPELF_CHECK_EHDR_ARCH && hdr->e_machine == EM_X86_64 &&
	       (hdr->e_ident[EI_CLASS] != ELFCLASS64 || hdr->e_ident[EI_DATA] != ELFDATA2LSB);
}

static struct finding both_reject(const struct image *img, struct record *rec)
{
	const struct side *k = &rec->kernel, *l = &rec->klpelf;

	if (l->ret != -ENOEXEC)
		return l->check == KLPELF_CHECK_NONE ? found(AGREE, "%s", "")
						     : found(UNDOCUMENTED, "check for errno %d", l->ret);
	if (is_own_check(l->check))
		return own_check(rec);
	if (rec->witness[0] && !(witness_on_modinfo(rec) && rec->modinfo_open))
		return found(UNDOCUMENTED, "the kernel reads outside its table before rejecting");
	if (rec->witness[0] && k->check == l->check)
		return found(DOCUMENTED, "modinfo: read past the section");
	if (k->check == l->check)
		return found(AGREE, "%s", "");
	if (class_or_data_only(img, rec) && check_stage(k->check) > check_stage(l->check))
		return found(DOCUMENTED, "ehdr_arch checks EI_CLASS and EI_DATA");
	return found(UNDOCUMENTED, "different check");
}

/* The symbol table's size is not a whole number of symbols: the kernel counts sh_size / 24 of
 * them, but reads a relocation's symbol wherever its bytes lie. */
static bool partial_last_symbol(const struct record *rec)
{
	const struct load_info *k = &rec->kernel.info;

	return k->sechdrs[k->index.sym].sh_size % sizeof(Elf64_Sym) != 0;
}

/* Section `i` is one klpelf's check `check` proves in the file. */
static bool guarded_by(int check, const struct load_info *k, unsigned int i)
{
	const Elf64_Shdr *s = &k->sechdrs[i];

	if (check == KLPELF_CHECK_NULL_ALLOC_IN_FILE)
		return s->sh_type == SHT_NULL && (s->sh_flags & SHF_ALLOC);
	return i == k->index.pcpu || i == k->index.vers || i == k->index.vers_ext_crc ||
	       i == k->index.vers_ext_name || i == k->index.info;
}

/* Every section that klpelf's check finds outside the file is empty, so the kernel, which copies
 * or walks sh_size bytes of it, reads none. */
static bool only_empty_past_end(const struct record *rec)
{
	const struct load_info *k = &rec->kernel.info;
	bool any = false;

	if (rec->klpelf.check != KLPELF_CHECK_NULL_ALLOC_IN_FILE &&
	    rec->klpelf.check != KLPELF_CHECK_INDEXED_IN_FILE)
		return false;
	for (unsigned int i = 1; i < k->hdr->e_shnum; i++) {
		const Elf64_Shdr *s = &k->sechdrs[i];

		if (!guarded_by(rec->klpelf.check, k, i) ||
		    (s->sh_offset <= k->len && s->sh_size <= k->len - s->sh_offset))
			continue;
		if (s->sh_size || i == k->index.info)
			return false;
		any = true;
	}
	return any;
}

/* klpelf rejects with its own check what the kernel's checks accept; the kernel's later steps
 * ran (loader.c) without reading out of bounds where the sanitizers could see it. */
static struct finding after_loading(const struct record *rec)
{
	const char *own = name_of(rec->klpelf.check);

	if (rec->witness[0])
		return found(DOCUMENTED, "kernel reads out of bounds: %s", own);
	/*
	 * The kernel refuses the module before it makes the read: simplify_symbols() checks
	 * st_shndx itself (since 6.x), x86-64 applies no SHT_REL section, the relocation code
	 * refuses a target that is not zero, module memory cannot be that large... The overflow of
	 * a relocation's value is left out: there the model's addresses decide, not the module.
	 */
	if (rec->loader_ret && !strstr(rec->loader, "overflow in relocation"))
		return found(DOCUMENTED, "kernel rejects later: %s", own);
	if (rec->klpelf.check == KLPELF_CHECK_RELOCATION_SYMBOL && partial_last_symbol(rec))
		return found(DOCUMENTED, "relocation_symbol: the partial symbol after sh_size / 24");
	/* A SHF_RELA_LIVEPATCH section of a module that is no livepatch is never applied. */
	if (rec->klpelf.check == KLPELF_CHECK_RELOCATION_SYMBOL && !rec->livepatch && !rec->loader_ret)
		return found(DOCUMENTED, "relocation_symbol: livepatch relocations of no livepatch");
	if (only_empty_past_end(rec))
		return found(UNDOCUMENTED, "klpelf rejects an empty section past the end (%s)", own);
	return found(UNDOCUMENTED, "klpelf rejects (%s); the kernel accepts and loads it", own);
}

/* The kernel's checks accept what klpelf rejects. */
static struct finding klpelf_rejects(const struct image *img, struct record *rec)
{
	if (class_or_data_only(img, rec))
		return found(DOCUMENTED, "ehdr_arch checks EI_CLASS and EI_DATA");
	if (!is_own_check(rec->klpelf.check))
		return found(UNDOCUMENTED, "klpelf rejects (%s); the kernel accepts",
			     name_of(rec->klpelf.check));
	if (rec->witness[0])
		return own_check(rec);
	rec->phase = PHASE_KERNEL_LOADER;
	rec->loader_ret = kernel_loader_steps(img, rec);
	return after_loading(rec);
}

struct finding compare_image(const struct image *img, struct record *rec, const struct options *o)
{
	struct finding f;

	rec->witness[0] = rec->loader[0] = rec->crash[0] = 0;
	rec->loader_ret = 0;
	run_klpelf(img, rec);
	rec->modinfo_open = modinfo_open(img);
	rec->class_or_data = class_or_data_only(img, rec);
	rec->this_module_misaligned = this_module_misaligned(img);
	/* Comparing copies only: the checks' comparison reports the images either side rejects. */
	if (!o->checks && rec->klpelf.ret)
		return found(SKIPPED, "%s", "");
	if (o->in_process && (rec->modinfo_open || rec->class_or_data || rec->this_module_misaligned ||
			      (rec->klpelf.ret == -ENOEXEC && is_own_check(rec->klpelf.check))))
		return found(SKIPPED, "%s", "");
	run_kernel(img, rec);
	if (!o->checks && rec->kernel.ret)
		f = found(SKIPPED, "%s", "");
	else if (rec->kernel.ret == 0 && rec->klpelf.ret == 0)
		f = compare_accepted(img, rec, o);
	else if (rec->kernel.ret == rec->klpelf.ret)
		f = both_reject(img, rec);
	else if (rec->kernel.ret == 0 && rec->klpelf.ret == -ENOEXEC)
		f = klpelf_rejects(img, rec);
	else
		f = found(UNDOCUMENTED, "verdicts differ");
	rec->phase = PHASE_DONE;
	return f;
}

struct finding classify_crash(const struct record *rec)
{
	const char *own = name_of(rec->klpelf.check);

	switch (rec->phase) {
	case PHASE_KERNEL_CHECKS:
		if (rec->klpelf.ret == -ENOEXEC && is_own_check(rec->klpelf.check))
			return found(DOCUMENTED, "kernel reads out of bounds: %s", own);
		if (rec->modinfo_open && witness_on_modinfo(rec))
			return found(DOCUMENTED, "modinfo: read past the section");
		if (rec->class_or_data)
			return found(DOCUMENTED, "ehdr_arch checks EI_CLASS and EI_DATA");
		if (rec->this_module_misaligned && strstr(rec->crash, "type 'struct module'"))
			return found(DOCUMENTED, "name: no fallback to struct module");
		return found(UNDOCUMENTED, "the kernel's checks crash where klpelf has no check");
	case PHASE_KERNEL_LOADER:
		return found(DOCUMENTED, "kernel reads out of bounds: %s", own);
	case PHASE_RELOCS_KLPELF:
	case PHASE_RELOCS_KERNEL:
		return classify_relocs_crash(rec);
	default:
		return found(UNDOCUMENTED, "crash");
	}
}
