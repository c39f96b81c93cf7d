/*
 * klpelf-inspect --relocs: see inspect_relocs.h. SPDX-License-Identifier: GPL-2.0-only
 */
#include "inspect_relocs.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect_errors.h"
#include "inspect_output.h"
#include "inspect_resolve.h"

#define SHN_LIVEPATCH_INDEX 0xff20

static size_t section_count(const struct klp_modinfo *klp)
{
	return klp->hdr.e_shnum ? klp->hdr.e_shnum : (size_t)klp->sechdrs[0].sh_size;
}

/*
 * Places every SHF_ALLOC section from p->base in index order, each at the next multiple of its
 * sh_addralign, in a copy of its bytes (zeros for SHT_NOBITS), as a loader would before it
 * applies the relocations.
 */
static int place_sections(struct preflight *p, const struct module *mod,
			  const struct load_info *info, const unsigned char *image)
{
	const struct klp_modinfo *klp = mod->klp_info;
	uint64_t next = p->base;
	size_t i;

	p->count = section_count(klp);
	p->places = calloc(p->count, sizeof(*p->places));
	p->sizes = calloc(p->count, sizeof(*p->sizes));
	if (!p->places || !p->sizes)
		return -ENOMEM;
	for (i = 1; i < p->count; i++) {
		const Elf64_Shdr *s = &info->sechdrs[i];
		uint64_t align = s->sh_addralign ? s->sh_addralign : 1;

		if (!(s->sh_flags & SHF_ALLOC) || s->sh_size == 0)
			continue;
		p->places[i].mem = calloc(1, s->sh_size);
		if (!p->places[i].mem)
			return -ENOMEM;
		p->sizes[i] = s->sh_size;
		if (s->sh_type != SHT_NOBITS)
			memcpy(p->places[i].mem, image + s->sh_offset, s->sh_size);
		next = (next + align - 1) / align * align;
		p->places[i].addr = next;
		next += s->sh_size;
	}
	return 0;
}

/* The kernel's resolution writes each livepatch symbol's address to its st_value: here, the
 * address --resolve listed for it, so that every relocation can be described. */
static void set_resolved_values(struct module *mod, const struct resolution *res)
{
	Elf64_Sym *syms = mod->core_kallsyms.symtab;
	size_t i, r;

	for (i = 0; i < mod->core_kallsyms.num_symtab; i++)
		for (r = 0; r < res->count; r++)
			if (syms[i].st_shndx == SHN_LIVEPATCH_INDEX && res->refs[r].ok &&
			    res->refs[r].symbol == mod->core_kallsyms.strtab + syms[i].st_name)
				syms[i].st_value = res->refs[r].addr;
}

/* What describing one section needs. */
struct describing {
	struct preflight *p;
	const struct module *mod;
	const struct resolution *res;
	unsigned int secndx;
};

static int add_row(const struct klpelf_reloc *r, void *ctx)
{
	struct describing *d = ctx;
	struct preflight *p = d->p;
	struct reloc_row *row;
	size_t k;

	if (p->nrows == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct reloc_row *bigger = realloc(p->rows, cap * sizeof(*bigger));
		if (!bigger)
			return -ENOMEM;
		p->rows = bigger;
		p->cap = cap;
	}
	row = &p->rows[p->nrows++];
	memset(row, 0, sizeof(*row));
	row->secndx = d->secndx;
	row->r = *r;
	if (r->status != KLPELF_RELOC_STATUS_BAD_SYMBOL)
		row->symbol = d->mod->core_kallsyms.strtab +
			      d->mod->core_kallsyms.symtab[r->symndx].st_name;
	for (k = 0; k < d->res->count; k++)
		if (d->res->refs[k].symbol == row->symbol)
			row->resolved = d->res->refs[k].ok;
	p->warnings += r->status == KLPELF_RELOC_STATUS_TRUNCATED;
	return 0;
}

/* Adds `objname` to the objects, once, vmlinux first (the kernel applies its relocations when the
 * livepatch module loads, and a module's when that module loads). */
static int add_object(struct preflight *p, const char *objname)
{
	size_t i;

	for (i = 0; i < p->nobjects; i++)
		if (strcmp(p->objects[i].name, objname) == 0)
			return 0;
	i = p->nobjects++;
	if (strcmp(objname, "vmlinux") == 0 && i > 0) {
		memmove(&p->objects[1], &p->objects[0], i * sizeof(p->objects[0]));
		i = 0;
	}
	memset(&p->objects[i], 0, sizeof(p->objects[i]));
	snprintf(p->objects[i].name, sizeof(p->objects[i].name), "%s", objname);
	return 0;
}

static int describe_section(const struct module *mod, unsigned int secndx, const char *objname,
			    void *ctx)
{
	struct describing *d = ctx;
	struct klpelf_layout layout = { d->p->places, d->p->count, NULL, NULL, NULL };
	int err;

	d->secndx = secndx;
	d->p->sections++;
	err = add_object(d->p, objname);
	if (!err)
		err = klpelf_klp_describe_relocs(mod, secndx, &layout, add_row, d);
	if (err && !d->p->err) {
		const char *why = klpelf_last_error();
		d->p->err = err;
		snprintf(d->p->why, sizeof(d->p->why), "section %u: %s", secndx, why ? why : "");
	}
	return 0;
}

/* Applies each object's relocations into the copies; the first failure, in the kernel's order,
 * is the pre-flight's verdict. */
static void apply_objects(struct preflight *p, struct module *mod, const struct resolution *res)
{
	struct klpelf_layout layout = { p->places, p->count, NULL, NULL, NULL };
	size_t i;

	for (i = 0; i < p->nobjects; i++) {
		struct object_result *o = &p->objects[i];
		const char *objname = strcmp(o->name, "vmlinux") == 0 ? NULL : o->name;
		const char *why;

		o->err = klpelf_klp_apply_object_relocs(mod, objname, &layout,
							klpelf_symbol_map_resolve, res->map);
		why = klpelf_last_error();
		snprintf(o->why, sizeof(o->why), "%s", o->err && why ? why : "");
		if (o->err && !p->err) {
			p->err = o->err;
			snprintf(p->why, sizeof(p->why), "%s: %s", o->name, o->why);
		}
	}
}

int preflight_run(struct module *mod, const struct load_info *info, const unsigned char *image,
		  const struct resolution *res, struct preflight *p)
{
	struct describing d = { p, mod, res, 0 };
	size_t n = section_count(mod->klp_info);

	p->mod = mod;
	if (place_sections(p, mod, info, image))
		return -ENOMEM;
	p->objects = calloc(n, sizeof(*p->objects));
	if (!p->objects)
		return -ENOMEM;
	set_resolved_values(mod, res);
	klpelf_for_each_klp_rela(mod, describe_section, &d);
	apply_objects(p, mod, res);
	return 0;
}

int preflight_failed(const struct preflight *p)
{
	return p->err != 0 || (p->strict && p->warnings > 0);
}

void preflight_free(struct preflight *p)
{
	size_t i;

	for (i = 0; p->places && i < p->count; i++)
		free(p->places[i].mem);
	free(p->places);
	free(p->sizes);
	free(p->rows);
	free(p->objects);
}

/* ---- output ------------------------------------------------------------------------------- */

static const char *type_name(unsigned int type, char buf[16])
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	default:
		snprintf(buf, 16, "type %u", type);
		return buf;
	}
}

/* Stable short names of the statuses (the JSON's "status"). */
static const char *status_name(int status)
{
	static const char *const names[] = { "ok", "none", "truncated", "overflow", "unknown_type",
					     "outside", "bad_symbol" };
	return status >= 0 && status < 7 ? names[status] : "?";
}

/* What the status means, for the text report. */
static const char *status_words(int status)
{
	static const char *const words[] = {
		"ok",
		"nothing to write",
		"WARNING: does not fit in 32 signed bits; the kernel writes the low 4 bytes unchecked",
		"REFUSED: overflow (the kernel's check)",
		"REFUSED: unknown relocation type",
		"REFUSED: outside its target section (the kernel would write out of bounds)",
		"REFUSED: symbol index past the symbol table",
	};
	return status >= 0 && status < 7 ? words[status] : "?";
}

/* The bytes the kernel writes, as the number they make (the value's low `size` bytes). */
static unsigned long long written(const struct klpelf_reloc *r)
{
	return r->size == 4 ? (unsigned long long)(uint32_t)r->value : (unsigned long long)r->value;
}

static const char *secname(const struct module *mod, unsigned int i)
{
	return mod->klp_info->secstrings + mod->klp_info->sechdrs[i].sh_name;
}

static void print_row_text(const struct reloc_row *row)
{
	const struct klpelf_reloc *r = &row->r;
	char buf[16];

	printf("    %3u  0x%06llx  %-14s %-44s ", r->index, (unsigned long long)r->r_offset,
	       type_name(r->r_type, buf), row->symbol ? row->symbol : "(none)");
	if (!row->resolved && r->status != KLPELF_RELOC_STATUS_BAD_SYMBOL)
		printf("unresolved\n");
	else if (r->size)
		printf("%#018llx -> %#0*llx  %s\n", (unsigned long long)r->st_value,
		       r->size == 4 ? 10 : 18, written(r), status_words(r->status));
	else
		printf("%#018llx  %s\n", (unsigned long long)r->st_value, status_words(r->status));
}

void print_preflight_text(const struct preflight *p)
{
	const struct module *mod = p->mod;
	unsigned int last = 0;
	size_t i;

	printf("\nlivepatch relocations, SHF_ALLOC sections placed from %#llx:\n",
	       (unsigned long long)p->base);
	printf("    %3s  %8s  %-14s %-44s %-18s -> %s\n", "idx", "offset", "type", "symbol",
	       "symbol address", "written, verdict");
	for (i = 0; i < p->nrows; i++) {
		const struct reloc_row *row = &p->rows[i];
		unsigned int target = mod->klp_info->sechdrs[row->secndx].sh_info;
		if (row->secndx != last)
			printf("  [%u] %s -> [%u] %s at %#llx\n", row->secndx, secname(mod, row->secndx),
			       target, secname(mod, target), (unsigned long long)p->places[target].addr);
		last = row->secndx;
		print_row_text(row);
	}
	printf("%zu relocation(s) in %zu section(s), %zu warning(s)\n", p->nrows, p->sections,
	       p->warnings);
	for (i = 0; i < p->nobjects; i++)
		printf("applying for %s: %s\n", p->objects[i].name,
		       p->objects[i].err ? p->objects[i].why : "ok");
	if (p->err)
		printf("the kernel would refuse this patch: %s\n", p->why);
	else if (p->strict && p->warnings)
		printf("refused with --strict: %zu relocation(s) would be truncated\n", p->warnings);
	else
		printf("every relocation would apply\n");
}

static void print_row_json(const struct reloc_row *row, int first)
{
	const struct klpelf_reloc *r = &row->r;
	char buf[16];

	printf("%s{\"section\":%u,\"index\":%u,\"offset\":%llu,\"type\":%u,\"type_name\":\"%s\","
	       "\"symbol\":",
	       first ? "" : ",", row->secndx, r->index, (unsigned long long)r->r_offset, r->r_type,
	       type_name(r->r_type, buf));
	if (row->symbol)
		json_string(row->symbol);
	else
		printf("null");
	printf(",\"resolved\":%s,\"symbol_value\":\"%#llx\",\"addend\":%lld,\"loc\":\"%#llx\","
	       "\"value\":\"%#llx\",\"size\":%u,\"written\":\"%#llx\",\"status\":\"%s\"}",
	       row->resolved ? "true" : "false", (unsigned long long)r->st_value,
	       (long long)r->r_addend, (unsigned long long)r->loc, (unsigned long long)r->value,
	       r->size, written(r), status_name(r->status));
}

void print_preflight_json(const struct preflight *p)
{
	const struct module *mod = p->mod;
	size_t i;
	const char *sep = "";

	printf(",\"relocs\":{\"base\":\"%#llx\",\"strict\":%s,\"placed\":[",
	       (unsigned long long)p->base, p->strict ? "true" : "false");
	for (i = 1; i < p->count; i++) {
		if (!p->places[i].mem)
			continue;
		printf("%s{\"index\":%zu,\"name\":", sep, i);
		json_string(secname(mod, (unsigned int)i));
		printf(",\"addr\":\"%#llx\",\"size\":%zu}", (unsigned long long)p->places[i].addr,
		       p->sizes[i]);
		sep = ",";
	}
	printf("],\"relocations\":[");
	for (i = 0; i < p->nrows; i++)
		print_row_json(&p->rows[i], i == 0);
	printf("],\"sections\":%zu,\"warnings\":%zu,\"objects\":[", p->sections, p->warnings);
	for (i = 0; i < p->nobjects; i++) {
		printf("%s{\"object\":", i ? "," : "");
		json_string(p->objects[i].name);
		printf(",\"error\":%d,\"message\":", p->objects[i].err);
		if (p->objects[i].err)
			json_string(p->objects[i].why);
		else
			printf("null");
		printf("}");
	}
	printf("],\"refused\":%s,\"error\":%d,\"error_name\":", preflight_failed(p) ? "true" : "false",
	       p->err);
	if (p->err) {
		printf("\"%s\",\"message\":", errno_name(p->err));
		json_string(p->why);
	} else {
		printf("null,\"message\":null");
	}
	printf("}");
}
