/*
 * expect.c: see expect.h. SPDX-License-Identifier: GPL-2.0-only
 */

#include "expect.h"

#include <stdint.h>
#include <string.h>

#include "check.h"
#include "oracle.h"

unsigned elf_section_count(const struct load_info *info)
{
	return info->hdr->e_shnum ? info->hdr->e_shnum : (unsigned)info->sechdrs[0].sh_size;
}

unsigned elf_shstrndx(const struct load_info *info)
{
	return info->hdr->e_shstrndx == SHN_XINDEX ? info->sechdrs[0].sh_link
						   : info->hdr->e_shstrndx;
}

/* The copied section headers: the input's, except the redirected sh_addr of section symndx. */
static int check_sechdrs(const Elf64_Shdr *copy, const struct load_info *info, unsigned count,
			 uint64_t symtab)
{
	unsigned sym = info->index.sym;
	Elf64_Shdr expected = info->sechdrs[sym];
	int ok = CHECK_MEM_EQ(copy, info->sechdrs, sym * sizeof(*copy));

	expected.sh_addr = symtab;
	ok &= CHECK_EQ_U64(copy[sym].sh_addr, symtab);
	ok &= CHECK_MEM_EQ(&copy[sym], &expected, sizeof(expected));
	ok &= CHECK_MEM_EQ(copy + sym + 1, info->sechdrs + sym + 1,
			   (count - sym - 1) * sizeof(*copy));
	return ok;
}

int check_persisted_copy(const struct module *mod, const struct load_info *info)
{
	const struct klp_modinfo *k = mod->klp_info;
	unsigned count = elf_section_count(info);
	size_t names = info->sechdrs[elf_shstrndx(info)].sh_size;
	int ok;

	if (!CHECK(k != NULL))
		return 0;
	ok = CHECK_EQ_U64((uintptr_t)k % 8, 0);
	ok &= CHECK_MEM_EQ(&k->hdr, info->hdr, sizeof(k->hdr));
	ok &= CHECK_EQ_INT(k->symndx, info->index.sym);
	ok &= CHECK(k->sechdrs != info->sechdrs && k->secstrings != info->secstrings);
	if (!ok)
		return 0;
	ok &= check_sechdrs(k->sechdrs, info, count, (uintptr_t)mod->core_kallsyms.symtab);
	ok &= CHECK_MEM_EQ(k->secstrings, info->secstrings, names);
	return ok;
}

int check_same_but_klp_info(const struct module *actual, const struct module *expected)
{
	struct module a;

	memcpy(&a, actual, sizeof(a)); /* padding included, unlike an assignment */
	a.klp_info = expected->klp_info;
	return CHECK_MEM_EQ(&a, expected, sizeof(a));
}

int check_against_oracle(const struct module *tmpl, struct load_info *info)
{
	struct module lib, ref;
	int ok, ref_ok;

	memcpy(&lib, tmpl, sizeof(lib));
	memcpy(&ref, tmpl, sizeof(ref));
	lib.klp_info = ref.klp_info = NULL;
	ok = CHECK_EQ_INT(copy_module_elf(&lib, info), 0);
	ok &= CHECK_EQ_PTR(klpelf_last_error(), NULL);
	ref_ok = CHECK_EQ_INT(oracle_copy_module_elf(&ref, info), 0);
	ok &= ref_ok;
	if (ok) {
		ok &= CHECK_EQ_INT(compare_klp_info(lib.klp_info, ref.klp_info, info->hdr->e_shnum,
						    info->sechdrs[info->hdr->e_shstrndx].sh_size),
				   0);
		ok &= check_persisted_copy(&lib, info);
		ok &= check_same_but_klp_info(&lib, tmpl);
	}
	if (ref_ok)
		oracle_free_module_elf(&ref);
	free_module_elf(&lib);
	ok &= CHECK_EQ_PTR(lib.klp_info, NULL);
	return ok;
}

int check_klpelf_alone(const struct module *tmpl, struct load_info *info)
{
	struct module m;
	int ok;

	memcpy(&m, tmpl, sizeof(m));
	ok = CHECK_EQ_INT(copy_module_elf(&m, info), 0);
	ok &= CHECK_EQ_PTR(klpelf_last_error(), NULL);
	if (ok) {
		ok &= check_persisted_copy(&m, info);
		ok &= check_same_but_klp_info(&m, tmpl);
	}
	free_module_elf(&m);
	ok &= CHECK_EQ_PTR(m.klp_info, NULL);
	return ok;
}
