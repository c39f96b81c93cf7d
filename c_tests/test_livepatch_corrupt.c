/*
 * test_livepatch_corrupt.c: malformed persisted livepatch data, made by mutating the held image,
 * core_kallsyms and klp_info of a compiler-made livepatch module (fixtures/livepatch.c converted
 * by klp_convert) after klpelf_setup_load_info() -> klpelf_prepare_module() -> copy_module_elf():
 * each case makes klpelf_resolve_symbols() (and, where the section table is what is broken,
 * klpelf_for_each_klp_rela()) fail with -EINVAL and a message that says what is wrong, without a
 * read out of bounds (the image and klpelf's blocks end against inaccessible pages).
 * Usage: test_livepatch_corrupt LIVEPATCH_O
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "failure.h"
#include "klp_visits.h"
#include "klpelf.h"
#include "lp_module.h"
#include "test_map.h"

/* The first relocation of the fixture's main vmlinux section, in the held image. */
static Elf64_Rela *first_vmlinux_rela(struct lp_module *lp, unsigned int *secndx)
{
	unsigned int i = lp_find_section(lp, ".klp.rela.vmlinux..rodata.klp_vmlinux");
	const Elf64_Shdr *sh;

	if (!CHECK(i != 0))
		return NULL;
	sh = &lp->mod.klp_info->sechdrs[i];
	if (secndx)
		*secndx = i;
	if (!CHECK_EQ_U64(sh->sh_addr, (uintptr_t)lp->image.bytes + sh->sh_offset))
		return NULL;
	return (Elf64_Rela *)(uintptr_t)sh->sh_addr;
}

/* What a corrupt case changes after setup, prepare and copy. */
enum corruption {
	RELA_SYM_AT_COUNT,
	RELA_SYM_HUGE,
	ST_NAME_AT_END,
	ST_NAME_HUGE,
	ST_SHNDX_UNDEF,
	ST_SHNDX_ABS,
	SYM_NAME_MALFORMED,
	SH_ADDR_ZERO,
	SH_ADDR_MISALIGNED,
	SECTION_NAME_MALFORMED,
	SECTION_NAME_OUTSIDE,
	NO_KLP_INFO,
	NO_STRTAB,
};

static const struct {
	enum corruption what;
	const char *description;
	const char *words;
} corrupt_cases[] = {
	{ RELA_SYM_AT_COUNT, "relocation symbol index = num_symtab", "uses symbol" },
	{ RELA_SYM_HUGE, "relocation symbol index 0xffffffff", "uses symbol 4294967295" },
	{ ST_NAME_AT_END, "st_name = string table size", "outside the string table" },
	{ ST_NAME_HUGE, "st_name 0xffffffff", "outside the string table" },
	{ ST_SHNDX_UNDEF, "st_shndx SHN_UNDEF", "is not marked as a livepatch symbol" },
	{ ST_SHNDX_ABS, "st_shndx SHN_ABS", "is not marked as a livepatch symbol" },
	{ SYM_NAME_MALFORMED, ".klp.sym name without its ','", "incorrectly formatted name" },
	{ SH_ADDR_ZERO, "persisted .klp.rela sh_addr 0", "sh_addr" },
	{ SH_ADDR_MISALIGNED, "persisted .klp.rela sh_addr misaligned", "sh_addr" },
	{ SECTION_NAME_MALFORMED, ".klp.rela. with an empty object name", "incorrectly formatted" },
	{ SECTION_NAME_OUTSIDE, ".klp.rela sh_name outside the name table", "outside" },
	{ NO_KLP_INFO, "after free_module_elf()", "klp_info" },
	{ NO_STRTAB, "core_kallsyms.strtab NULL", "core_kallsyms" },
};

static int corrupt(struct lp_module *lp, enum corruption what, char **saved_strtab)
{
	unsigned int secndx = 0, symndx;
	Elf64_Rela *rela = first_vmlinux_rela(lp, &secndx);
	struct klp_modinfo *klp = lp->mod.klp_info;
	Elf64_Sym *sym;
	char *name, *comma;

	if (!rela)
		return 0;
	symndx = (unsigned int)ELF64_R_SYM(rela->r_info);
	if (!CHECK(symndx != 0 && symndx < lp->mod.core_kallsyms.num_symtab))
		return 0;
	sym = &lp->mod.core_kallsyms.symtab[symndx];
	name = lp->mod.core_kallsyms.strtab + sym->st_name;
	CHECK_EQ_STR(name, ".klp.sym.vmlinux.cmdline_proc_show,0");
	switch (what) {
	case RELA_SYM_AT_COUNT:
		rela->r_info = ELF64_R_INFO(lp->mod.core_kallsyms.num_symtab, ELF64_R_TYPE(rela->r_info));
		break;
	case RELA_SYM_HUGE:
		rela->r_info = ELF64_R_INFO(0xffffffffUL, ELF64_R_TYPE(rela->r_info));
		break;
	case ST_NAME_AT_END:
		sym->st_name = (Elf64_Word)klp->sechdrs[klp->sechdrs[klp->symndx].sh_link].sh_size;
		break;
	case ST_NAME_HUGE:
		sym->st_name = 0xffffffffU;
		break;
	case ST_SHNDX_UNDEF:
		sym->st_shndx = SHN_UNDEF;
		break;
	case ST_SHNDX_ABS:
		sym->st_shndx = SHN_ABS;
		break;
	case SYM_NAME_MALFORMED:
		comma = strchr(name, ',');
		if (!CHECK(comma != NULL))
			return 0;
		*comma = '_';
		break;
	case SH_ADDR_ZERO:
		klp->sechdrs[secndx].sh_addr = 0;
		break;
	case SH_ADDR_MISALIGNED:
		klp->sechdrs[secndx].sh_addr += 4;
		break;
	case SECTION_NAME_MALFORMED:
		/* ".klp.rela.vmlinux..rodata.klp_vmlinux" -> ".klp.rela..mlinux..rodata.klp_vmlinux" */
		klp->secstrings[klp->sechdrs[secndx].sh_name + 10] = '.';
		break;
	case SECTION_NAME_OUTSIDE:
		klp->sechdrs[secndx].sh_name =
			(Elf64_Word)klp->sechdrs[klp->hdr.e_shstrndx].sh_size;
		break;
	case NO_KLP_INFO:
		free_module_elf(&lp->mod);
		break;
	case NO_STRTAB:
		*saved_strtab = lp->mod.core_kallsyms.strtab;
		lp->mod.core_kallsyms.strtab = NULL;
		break;
	}
	return 1;
}

static void test_corrupt(const char *path)
{
	struct klpelf_symbol_map *map = map_from(test_map);
	size_t i;

	printf("corrupt inputs\n");
	for (i = 0; map && i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		struct lp_module lp;
		struct visits v;
		char *saved_strtab = NULL;
		enum corruption what = corrupt_cases[i].what;
		int rc;

		if (!lp_open(path, &lp))
			break;
		if (corrupt(&lp, what, &saved_strtab)) {
			rc = klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map);
			check_failure(corrupt_cases[i].description, rc, -EINVAL, corrupt_cases[i].words);
			if (what == SECTION_NAME_MALFORMED || what == SECTION_NAME_OUTSIDE ||
			    what == NO_KLP_INFO) {
				visits_init(&v, &lp.mod);
				check_failure("  ... and klpelf_for_each_klp_rela",
					      klpelf_for_each_klp_rela(&lp.mod, record_visit, &v),
					      -EINVAL, corrupt_cases[i].words);
			}
		}
		if (saved_strtab)
			lp.mod.core_kallsyms.strtab = saved_strtab;
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
}

static int run(char **args)
{
	test_corrupt(args[0]);
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 1, "LIVEPATCH_O", run);
}
