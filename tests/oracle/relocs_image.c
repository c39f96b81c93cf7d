/*
 * relocs_image.c: the relocation comparison (relocs.c) of a module file: a livepatch module
 * persisted by klpelf's loader pipeline (klpelf_setup_load_info(), klpelf_prepare_module(),
 * copy_module_elf(), which oracle_copy compares with the kernel's), every section with bytes placed
 * in an exact-size block, and every livepatch symbol given an address of its own. Each object the
 * module patches (vmlinux first, as the kernel applies its relocations when the livepatch loads,
 * then each module) is applied, applied again (the kernel's refusal of a target that is not
 * zero), cleared, and cleared after a target changed. SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relocs.h"

/* Copies of the persisted tables and kept symbols of `mod` into `m`. */
static bool copy_tables(const struct module *mod, struct reloc_module *m)
{
	const struct klp_modinfo *klp = mod->klp_info;
	size_t shnum = klp->hdr.e_shnum, names = klp->sechdrs[klp->hdr.e_shstrndx].sh_size;
	size_t nsyms = mod->core_kallsyms.num_symtab;
	size_t strtab = klp->sechdrs[klp->sechdrs[klp->symndx].sh_link].sh_size;

	m->info = *klp;
	m->info.sechdrs = malloc(shnum * sizeof(Elf64_Shdr));
	m->info.secstrings = malloc(names);
	m->syms = malloc(nsyms * sizeof(Elf64_Sym));
	m->mod.core_kallsyms = (struct mod_kallsyms){ m->syms, (unsigned int)nsyms, malloc(strtab),
						      NULL };
	if (!m->info.sechdrs || !m->info.secstrings || !m->syms || !m->mod.core_kallsyms.strtab)
		return false;
	memcpy(m->info.sechdrs, klp->sechdrs, shnum * sizeof(Elf64_Shdr));
	memcpy(m->info.secstrings, klp->secstrings, names);
	memcpy(m->syms, mod->core_kallsyms.symtab, nsyms * sizeof(Elf64_Sym));
	memcpy(m->mod.core_kallsyms.strtab, mod->core_kallsyms.strtab, strtab);
	memcpy(m->mod.name, mod->name, sizeof(m->mod.name));
	m->mod.klp = true;
	m->mod.klp_info = &m->info;
	return reloc_module_alloc(m, shnum);
}

/* Every SHF_ALLOC section with bytes (targets) and every livepatch relocation section in a block
 * of its own; the others have no address. */
static bool place(const struct image *img, struct reloc_module *m)
{
	for (unsigned int i = 1; i < m->shnum; i++) {
		Elf64_Shdr *s = &m->info.sechdrs[i];
		bool placed = s->sh_size && (s->sh_flags & (SHF_ALLOC | SHF_RELA_LIVEPATCH));

		s->sh_addr = 0;
		if (i == m->info.symndx)
			s->sh_addr = (Elf64_Addr)(uintptr_t)m->syms;
		else if (placed &&
			 !reloc_module_bytes(m, i, s->sh_type == SHT_NOBITS ? NULL : img->bytes + s->sh_offset,
					     s->sh_size))
			return false;
	}
	return true;
}

/* Each livepatch symbol resolves to an address of its own: vmlinux's in the kernel's text, a
 * module's in the module area. */
static bool resolver_table(struct reloc_module *m)
{
	m->table = calloc(m->mod.core_kallsyms.num_symtab, sizeof(*m->table));
	if (!m->table)
		return false;
	for (unsigned int k = 0; k < m->mod.core_kallsyms.num_symtab; k++) {
		struct reloc_symbol *s = &m->table[m->n_table];
		char obj[MODULE_NAME_LEN];

		if (m->syms[k].st_shndx != KLPELF_SHN_LIVEPATCH ||
		    klpelf_parse_klp_sym_name(m->mod.core_kallsyms.strtab + m->syms[k].st_name, obj,
					      s->name, &s->sympos))
			continue;
		snprintf(s->objname, sizeof(s->objname), "%s", strcmp(obj, "vmlinux") ? obj : "");
		s->addr = (s->objname[0] ? 0xffffffffc1000000ULL : 0xffffffff81000000ULL) + 0x40 * k;
		m->n_table++;
	}
	return true;
}

/* The module of a livepatch file with livepatch relocations, or false. */
static bool module_of_image(const struct image *img, struct reloc_module *m)
{
	struct image copy;
	struct load_info info;
	struct module mod;
	bool ok = false, any = false;

	memset(m, 0, sizeof(*m));
	memset(&mod, 0, sizeof(mod));
	image_copy(&copy, img);
	if (!klpelf_setup_load_info(&info, copy.bytes, copy.len, 0) &&
	    !klpelf_prepare_module(&mod, &info) && !copy_module_elf(&mod, &info) && mod.klp &&
	    mod.klp_info->hdr.e_shnum) {
		for (unsigned int i = 1; i < mod.klp_info->hdr.e_shnum; i++)
			any |= (mod.klp_info->sechdrs[i].sh_flags & SHF_RELA_LIVEPATCH) != 0;
		ok = any && copy_tables(&mod, m) && place(img, m) && resolver_table(m);
	}
	klpelf_release_module(&mod);
	image_free(&copy);
	if (ok)
		reloc_module_mark(m);
	return ok;
}

/* The objects the module patches, vmlinux first: each name once, in `out` (NULL: vmlinux). */
static size_t objects(const struct reloc_module *m, char names[][MODULE_NAME_LEN], size_t max)
{
	size_t n = 1;

	names[0][0] = 0;
	for (unsigned int i = 1; i < m->shnum && n < max; i++) {
		char obj[MODULE_NAME_LEN];
		size_t k;

		if (!(m->info.sechdrs[i].sh_flags & SHF_RELA_LIVEPATCH) ||
		    klpelf_parse_klp_rela_name(m->info.secstrings + m->info.sechdrs[i].sh_name, obj) ||
		    !strcmp(obj, "vmlinux"))
			continue;
		for (k = 1; k < n && strcmp(names[k], obj); k++)
			;
		if (k == n)
			snprintf(names[n++], MODULE_NAME_LEN, "%s", obj);
	}
	return n;
}

struct finding compare_relocs_image(const struct image *img, struct record *rec)
{
	static const struct {
		enum reloc_step step;
		unsigned char tamper;
	} steps[] = { { RELOC_APPLY, 0 }, { RELOC_APPLY_AGAIN, 0 }, { RELOC_CLEAR, 0 },
		      { RELOC_CLEAR, 0x40 } };
	char names[16][MODULE_NAME_LEN];
	struct finding f = { SKIPPED, "" };
	struct reloc_module m;
	size_t n;

	if (!module_of_image(img, &m))
		return f;
	n = objects(&m, names, 16);
	reloc_module_free(&m);
	for (size_t o = 0; o < n; o++) {
		for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct finding one;

			if (!module_of_image(img, &m))
				return f;
			one = compare_reloc_object(&m, names[o][0] ? names[o] : NULL, steps[k].step,
						   steps[k].tamper, rec);
			reloc_module_free(&m);
			if (one.outcome == UNDOCUMENTED || one.outcome == DOCUMENTED)
				return one;
			if (one.outcome == AGREE)
				f = one;
		}
	}
	return f;
}
