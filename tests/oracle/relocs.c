/*
 * relocs.c: the relocation comparison. klpelf's klpelf_klp_apply_object_relocs() and
 * klpelf_klp_clear_object_relocs() against the kernel's own livepatch relocation code
 * (relocs_kernel.c) on the same module, in the same memory: each side starts from the same bytes
 * and symbols, and must return the same value (for a clear, the first failure of the kernel's
 * __write_relocate_add(), which its clear_relocate_add() drops), write the same bytes into every
 * section, give the symbols the same values, and refuse a relocation with the kernel's words.
 * Where the kernel writes or reads out of bounds (AddressSanitizer ends the process), klpelf must
 * have refused with the error docs/checks.md documents. SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relocs.h"

const struct reloc_module *oracle_reloc_current;

bool oracle_reloc_lookup(const char *objname, const char *name, unsigned long sympos,
			 unsigned long *addr)
{
	const struct reloc_module *m = oracle_reloc_current;

	for (size_t i = 0; m && i < m->n_table; i++) {
		const struct reloc_symbol *s = &m->table[i];

		if (!strcmp(s->objname, objname ? objname : "") && !strcmp(s->name, name) &&
		    s->sympos == sympos) {
			*addr = s->addr;
			return true;
		}
	}
	return false;
}

/* klpelf's resolver: the same table, the kernel's error. */
static int resolve(const char *objname, const char *symname, unsigned long sympos,
		   unsigned long *addr, void *ctx)
{
	(void)ctx;
	return oracle_reloc_lookup(objname, symname, sympos, addr) ? 0 : -EINVAL;
}

/* ---- the module in memory -------------------------------------------------------------------- */

bool reloc_module_alloc(struct reloc_module *m, size_t shnum)
{
	m->shnum = shnum;
	m->bytes = calloc(shnum, sizeof(*m->bytes));
	m->start = calloc(shnum, sizeof(*m->start));
	m->places = calloc(shnum, sizeof(*m->places));
	return m->bytes && m->start && m->places;
}

bool reloc_module_bytes(struct reloc_module *m, unsigned int i, const void *src, size_t size)
{
	free(m->bytes[i]);
	m->bytes[i] = malloc(size ? size : 1);
	if (!m->bytes[i])
		return false;
	if (src)
		memcpy(m->bytes[i], src, size);
	else
		memset(m->bytes[i], 0, size);
	m->info.sechdrs[i].sh_addr = (Elf64_Addr)(uintptr_t)m->bytes[i];
	m->places[i] = (struct klpelf_section_place){ m->info.sechdrs[i].sh_addr, m->bytes[i] };
	return true;
}

static size_t size_of(const struct reloc_module *m, size_t i)
{
	return m->info.sechdrs[i].sh_size;
}

void reloc_module_mark(struct reloc_module *m)
{
	size_t nsyms = m->mod.core_kallsyms.num_symtab * sizeof(Elf64_Sym);

	for (size_t i = 0; i < m->shnum; i++) {
		if (!m->bytes[i])
			continue;
		free(m->start[i]);
		m->start[i] = malloc(size_of(m, i) ? size_of(m, i) : 1);
		memcpy(m->start[i], m->bytes[i], size_of(m, i));
	}
	free(m->start_syms);
	m->start_syms = malloc(nsyms ? nsyms : 1);
	memcpy(m->start_syms, m->syms, nsyms);
}

static void restore(struct reloc_module *m)
{
	for (size_t i = 0; i < m->shnum; i++)
		if (m->bytes[i])
			memcpy(m->bytes[i], m->start[i], size_of(m, i));
	memcpy(m->syms, m->start_syms, m->mod.core_kallsyms.num_symtab * sizeof(Elf64_Sym));
}

void reloc_module_free(struct reloc_module *m)
{
	for (size_t i = 0; i < m->shnum; i++) {
		free(m->bytes[i]);
		free(m->start[i]);
	}
	free(m->bytes);
	free(m->start);
	free(m->places);
	free(m->start_syms);
	free(m->syms);
	free(m->table);
	free(m->info.sechdrs);
	free(m->info.secstrings);
	free(m->mod.core_kallsyms.strtab);
	memset(m, 0, sizeof(*m));
}

/* ---- one comparison -------------------------------------------------------------------------- */

/* What a side left: every section's bytes and the symbols. */
struct outcome_bytes {
	unsigned char **bytes;
	Elf64_Sym *syms;
};

static void keep(const struct reloc_module *m, struct outcome_bytes *o)
{
	size_t nsyms = m->mod.core_kallsyms.num_symtab * sizeof(Elf64_Sym);

	o->bytes = calloc(m->shnum, sizeof(*o->bytes));
	for (size_t i = 0; i < m->shnum; i++)
		if (m->bytes[i]) {
			o->bytes[i] = malloc(size_of(m, i) ? size_of(m, i) : 1);
			memcpy(o->bytes[i], m->bytes[i], size_of(m, i));
		}
	o->syms = malloc(nsyms ? nsyms : 1);
	memcpy(o->syms, m->syms, nsyms);
}

/* The first section whose bytes differ from `o`'s, or -1 when all agree and so do the symbols
 * (-2 when only the symbols differ). */
static long differs(const struct reloc_module *m, struct outcome_bytes *o)
{
	long at = -1;

	for (size_t i = 0; i < m->shnum && at < 0; i++)
		if (m->bytes[i] && memcmp(m->bytes[i], o->bytes[i], size_of(m, i)))
			at = (long)i;
	if (at < 0 && memcmp(m->syms, o->syms, m->mod.core_kallsyms.num_symtab * sizeof(Elf64_Sym)))
		at = -2;
	for (size_t i = 0; i < m->shnum; i++)
		free(o->bytes[i]);
	free(o->bytes);
	free(o->syms);
	return at;
}

static int run_klpelf(struct reloc_module *m, const char *objname, bool clear)
{
	struct klpelf_layout layout = { m->places, m->shnum, NULL, NULL, NULL };

	if (clear)
		return klpelf_klp_clear_object_relocs(&m->mod, objname, &layout);
	return klpelf_klp_apply_object_relocs(&m->mod, objname, &layout, resolve, NULL);
}

/* Makes the applied state what the next comparison starts from; `tamper` (non-zero) changes a
 * byte of the target of the first relocation for `objname`. False when apply fails. */
static bool applied_start(struct reloc_module *m, const char *objname, unsigned char tamper)
{
	restore(m);
	if (run_klpelf(m, objname, false))
		return false;
	for (size_t i = 1; tamper && i < m->shnum; i++) {
		const Elf64_Shdr *s = &m->info.sechdrs[i];
		const Elf64_Rela *r = (const Elf64_Rela *)(uintptr_t)s->sh_addr;
		unsigned int t = s->sh_info;
		char obj[MODULE_NAME_LEN];

		if (!(s->sh_flags & SHF_RELA_LIVEPATCH) || s->sh_size < sizeof(*r) || t >= m->shnum ||
		    !m->bytes[t] || r->r_offset >= size_of(m, t) ||
		    klpelf_parse_klp_rela_name(m->info.secstrings + s->sh_name, obj) ||
		    strcmp(obj, objname ? objname : "vmlinux"))
			continue;
		m->bytes[t][r->r_offset] ^= tamper;
		break;
	}
	reloc_module_mark(m);
	return true;
}

/* The kernel's first message, without its level and its newline. */
static void first_message(const char *log, char *out, size_t size)
{
	const char *text = strstr(log, ": ");
	size_t len;

	text = text ? text + 2 : log;
	len = strcspn(text, "\n" ORACLE_LOG_END);
	snprintf(out, size, "%.*s", (int)len, text);
}

static struct finding verdict(enum outcome outcome, const char *kind)
{
	struct finding f = { outcome, "" };

	snprintf(f.kind, sizeof(f.kind), "%s", kind);
	return f;
}

/* The x86-64 refusals carry the kernel's words: klpelf's message starts with its first one. */
static bool same_words(const struct record *rec)
{
	const char *k = rec->kernel.message;
	char kernel[256];

	if (rec->klpelf.ret != -ENOEXEC ||
	    !(strstr(k, "x86/modules") || strstr(k, "overflow in relocation") ||
	      strstr(k, "Unknown rela relocation")))
		return true;
	first_message(k, kernel, sizeof(kernel));
	return !strncmp(rec->klpelf.message, kernel, strlen(kernel));
}

struct finding compare_reloc_object(struct reloc_module *m, const char *objname,
				    enum reloc_step step, unsigned char tamper, struct record *rec)
{
	bool clear = step == RELOC_CLEAR;
	struct outcome_bytes l;
	const char *message;
	int clear_ret = 0, ret;
	long at;

	oracle_reloc_current = m;
	if (step != RELOC_APPLY && !applied_start(m, objname, tamper))
		return verdict(SKIPPED, "");
	restore(m);
	rec->phase = PHASE_RELOCS_KLPELF;
	rec->klpelf.ret = run_klpelf(m, objname, clear);
	message = rec->klpelf.ret ? klpelf_last_error() : NULL;
	snprintf(rec->klpelf.message, sizeof(rec->klpelf.message), "%s", message ? message : "");
	keep(m, &l);
	restore(m);
	rec->phase = PHASE_RELOCS_KERNEL;
	rec->kernel.message[0] = 0;
	oracle_log = (struct oracle_log){ rec->kernel.message, sizeof(rec->kernel.message), 0 };
	ret = kernel_reloc_write_object(m, objname, !clear, &clear_ret);
	rec->kernel.ret = clear && !ret ? clear_ret : ret;
	oracle_log = (struct oracle_log){ 0 };
	rec->phase = PHASE_DONE;
	at = differs(m, &l);
	if (rec->klpelf.ret != rec->kernel.ret)
		return verdict(UNDOCUMENTED, clear ? "relocs: clear's return value"
						   : "relocs: apply's return value");
	if (at == -2)
		return verdict(UNDOCUMENTED, "relocs: the symbols' values");
	if (at >= 0)
		return verdict(UNDOCUMENTED, "relocs: the bytes written");
	if (!same_words(rec))
		return verdict(UNDOCUMENTED, "relocs: the kernel's words");
	return verdict(AGREE, "");
}

/* The documented errors of klpelf where the kernel writes or reads out of bounds. */
static const struct {
	const char *words;
	const char *kind;
} bounds[] = {
	{ "outside the section", "kernel writes out of bounds: relocation target" },
	{ "but the module keeps", "kernel reads out of bounds: relocation symbol" },
	{ "is not a section", "kernel reads out of bounds: relocation section's sh_info" },
	{ "its place has no mem", "kernel writes out of bounds: target section not placed" },
};

struct finding classify_relocs_crash(const struct record *rec)
{
	if (rec->phase != PHASE_RELOCS_KERNEL)
		return verdict(UNDOCUMENTED, "relocs: klpelf crashes");
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		if (rec->klpelf.ret && strstr(rec->klpelf.message, bounds[i].words))
			return verdict(DOCUMENTED, bounds[i].kind);
	return verdict(UNDOCUMENTED, "relocs: the kernel's code crashes where klpelf has no check");
}

struct finding compare_reloc_case(uint64_t n, struct record *rec)
{
	struct reloc_module m;
	const char *objname;
	unsigned char tamper;
	bool clear;
	struct finding f;

	if (!reloc_case_build(n, &m, &objname, &clear, &tamper, rec->input, sizeof(rec->input))) {
		reloc_module_free(&m);
		return verdict(SKIPPED, "");
	}
	f = compare_reloc_object(&m, objname, clear ? RELOC_CLEAR : RELOC_APPLY, tamper, rec);
	reloc_module_free(&m);
	return f;
}
