/*
 * test_livepatch_relocs_errors.c: every way applying, clearing or describing livepatch relocations
 * can fail, on the compiler-made module fixtures/klp_relocs.c with one thing broken at a time (an
 * argument, the placement, the persisted section headers or names, a relocation entry in the
 * image): the code and the message, what is written (nothing before the first relocation that
 * fails; what the kernel would have written before it otherwise), and the layout and the persisted
 * info left as they were. Describe reports each broken relocation's status.
 * Usage: test_livepatch_relocs_errors KLP_RELOCS_O
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "failure.h"
#include "klpelf.h"
#include "lp_module.h"
#include "lp_relocs.h"
#include "test_map.h"

#define TYPES_SECTION ".klp.rela.vmlinux..rodata.klp_types"

static const char *const none[] = { NULL };

struct fixture {
	struct lp_module lp;
	struct lp_layout l;
	struct klpelf_symbol_map *map;
	unsigned int types;        /* the section with every type */
	Elf64_Rela *types_relas;   /* its entries, in the image, where klpelf reads them */
	size_t types_count;
};

static int fixture_open(struct fixture *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	if (!lp_open(path, &f->lp))
		return 0;
	f->map = map_from(test_map);
	if (!CHECK(f->map != NULL) || !CHECK(lp_layout_init(&f->l, &f->lp, LP_MODULE_AREA))) {
		klpelf_symbol_map_free(f->map);
		lp_close(&f->lp);
		return 0;
	}
	f->types = lp_find_section(&f->lp, TYPES_SECTION);
	f->types_relas = (Elf64_Rela *)lp_relas(&f->lp, f->types, &f->types_count);
	return CHECK(f->types != 0 && f->types_count == 7);
}

static void fixture_close(struct fixture *f)
{
	lp_layout_free(&f->l);
	klpelf_symbol_map_free(f->map);
	lp_close(&f->lp);
}

static int apply(struct fixture *f)
{
	return klpelf_klp_apply_object_relocs(&f->lp.mod, NULL, &f->l.layout,
					      klpelf_symbol_map_resolve, f->map);
}

/* Applies the section with every type alone, with `layout`: the other sections, which come before
 * or after it depending on the compiler, stay out of the way. */
static int apply_types_in(struct fixture *f, const struct klpelf_layout *layout)
{
	return klpelf_klp_apply_section_relocs(&f->lp.mod, f->types, NULL, layout,
					       klpelf_symbol_map_resolve, f->map);
}

static int apply_types(struct fixture *f)
{
	return apply_types_in(f, &f->l.layout);
}

static int clear(struct fixture *f)
{
	return klpelf_klp_clear_object_relocs(&f->lp.mod, NULL, &f->l.layout);
}

/* Records the status describe gives relocation `want`. */
struct status_of {
	unsigned int want;
	int status;
};

static int record_status(const struct klpelf_reloc *r, void *ctx)
{
	struct status_of *s = ctx;

	if (r->index == s->want)
		s->status = r->status;
	return 0;
}

static int status_of(struct fixture *f, unsigned int r)
{
	struct status_of s = { r, -1 };

	CHECK_EQ_INT(klpelf_klp_describe_relocs(&f->lp.mod, f->types, &f->l.layout, record_status,
						&s), 0);
	return s.status;
}

/* NULL arguments and a module that was not prepared: -EINVAL, nothing written. */
static void test_arguments(struct fixture *f)
{
	struct module bare;
	struct klpelf_layout no_places = f->l.layout;
	struct klpelf_layout before = f->l.layout;

	printf("arguments\n");
	memset(&bare, 0, sizeof(bare));
	no_places.places = NULL;
	check_failure("mod NULL", klpelf_klp_apply_object_relocs(NULL, NULL, &f->l.layout,
					klpelf_symbol_map_resolve, f->map), -EINVAL, "mod is NULL");
	check_failure("layout NULL", klpelf_klp_apply_object_relocs(&f->lp.mod, NULL, NULL,
					klpelf_symbol_map_resolve, f->map), -EINVAL, "layout is NULL");
	check_failure("resolve NULL", klpelf_klp_apply_object_relocs(&f->lp.mod, NULL, &f->l.layout,
					NULL, f->map), -EINVAL, "resolve is NULL");
	check_failure("places NULL", klpelf_klp_clear_object_relocs(&f->lp.mod, NULL, &no_places),
		      -EINVAL, "layout->places is NULL");
	check_failure("no klp_info", klpelf_klp_clear_object_relocs(&bare, NULL, &f->l.layout), -EINVAL,
		      "copy_module_elf");
	check_failure("fn NULL", klpelf_klp_describe_relocs(&f->lp.mod, f->types, &f->l.layout, NULL,
							    NULL), -EINVAL, "fn is NULL");
	check_failure("secndx past the sections",
		      klpelf_klp_apply_section_relocs(&f->lp.mod, f->l.count, NULL, &f->l.layout,
						      klpelf_symbol_map_resolve, f->map),
		      -EINVAL, "is not a section");
	check_failure("describe: secndx past the sections",
		      klpelf_klp_describe_relocs(&f->lp.mod, 70000, &f->l.layout, record_status, NULL),
		      -EINVAL, "is not a section");
	CHECK_MEM_EQ(&f->l.layout, &before, sizeof(before));
	lp_check_placed(&f->lp, &f->l, none, test_map_address, NULL);
}

/* A target section without a place, or without memory: -EINVAL before anything is written. */
static void test_placement(struct fixture *f)
{
	unsigned int target = f->lp.mod.klp_info->sechdrs[f->types].sh_info;
	struct klpelf_layout short_layout = f->l.layout;
	void *mem = f->l.places[target].mem;

	printf("placement\n");
	short_layout.num_places = target;
	check_failure("the target is not placed", apply_types_in(f, &short_layout), -EINVAL,
		      "is not placed: the layout has");
	f->l.places[target].mem = NULL;
	check_failure("the target has no mem", apply_types(f), -EINVAL, "its place has no mem");
	f->l.places[target].mem = mem;
	lp_check_placed(&f->lp, &f->l, none, test_map_address, NULL);
}

/* The persisted info: another machine, a malformed name, a target index past the sections. */
static void test_persisted(struct fixture *f)
{
	struct klp_modinfo *klp = f->lp.mod.klp_info;
	char *name = klp->secstrings + klp->sechdrs[f->types].sh_name;
	Elf64_Word sh_info = klp->sechdrs[f->types].sh_info;

	printf("the persisted info\n");
	klp->hdr.e_machine = EM_AARCH64;
	check_failure("an aarch64 module", apply(f), -ENOEXEC, "x86-64 relocations only");
	check_failure("describe an aarch64 module",
		      klpelf_klp_describe_relocs(&f->lp.mod, f->types, &f->l.layout, record_status, NULL),
		      -ENOEXEC, "x86-64 relocations only");
	klp->hdr.e_machine = EM_X86_64;

	/* ".klp.rela_vmlinux...": the kernel's "incorrectly formatted name" stops the walk there,
	 * in apply and in clear; the sections before it (if any) were applied. */
	name[9] = '_';
	check_failure("a malformed section name", apply(f), -EINVAL, "incorrectly formatted name");
	check_failure("apply it alone", apply_types(f), -EINVAL, "incorrectly formatted name");
	lp_layout_reset(&f->l, &f->lp);
	check_failure("clear: a malformed section name", clear(f), -EINVAL,
		      "incorrectly formatted name");
	name[9] = '.';

	klp->sechdrs[f->types].sh_info = (Elf64_Word)f->l.count;
	check_failure("sh_info past the sections", apply_types(f), -ENOEXEC, "is not a section");
	klp->sechdrs[f->types].sh_info = sh_info;
	lp_check_placed(&f->lp, &f->l, none, test_map_address, NULL);
}

/*
 * Relocation `r` of the types section changed to `broken` makes apply fail with `rc` and `words`
 * and describe report `status`. A relocation the kernel refuses (-ENOEXEC) stops apply after the
 * relocations before it were written, as in the kernel; a symbol past the table (-EINVAL) is
 * found while resolving, before anything is written.
 */
static void broken_entry(struct fixture *f, const char *what, size_t r, Elf64_Rela broken, int rc,
			 const char *words, int status)
{
	Elf64_Rela saved = f->types_relas[r];
	unsigned int target = f->lp.mod.klp_info->sechdrs[f->types].sh_info;
	const unsigned char *mem = f->l.places[target].mem;
	unsigned char zeros[8] = { 0 };

	f->types_relas[r] = broken;
	check_failure(what, apply_types(f), rc, words);
	CHECK_EQ_INT(status_of(f, (unsigned int)r), status);
	/* relocation 0, R_X86_64_64 at offset 0, comes before */
	CHECK_EQ_INT(memcmp(mem, zeros, 8) != 0, rc == -ENOEXEC && r > 0);
	f->types_relas[r] = saved;
	lp_layout_reset(&f->l, &f->lp);
}

static void test_entries(struct fixture *f)
{
	Elf64_Rela r;
	unsigned int target = f->lp.mod.klp_info->sechdrs[f->types].sh_info;
	uint64_t size = f->lp.mod.klp_info->sechdrs[target].sh_size;

	printf("relocation entries\n");
	r = f->types_relas[2]; /* R_X86_64_32 of cmdline_proc_show + 0x80000000 */
	r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), R_X86_64_GOTPCREL);
	broken_entry(f, "an unknown type", 2, r, -ENOEXEC, "Unknown rela relocation: 9",
		     KLPELF_RELOC_STATUS_UNKNOWN_TYPE);
	r = f->types_relas[2];
	r.r_addend = 0;
	broken_entry(f, "R_X86_64_32 overflows", 2, r, -ENOEXEC, "overflow in relocation type 10",
		     KLPELF_RELOC_STATUS_OVERFLOW);
	r = f->types_relas[5]; /* R_X86_64_32S of load_elf_binary,2 */
	r.r_addend = -0x80000000LL;
	broken_entry(f, "R_X86_64_32S overflows", 5, r, -ENOEXEC, "overflow in relocation type 11",
		     KLPELF_RELOC_STATUS_OVERFLOW);
	r = f->types_relas[3];
	r.r_offset = size - 2;
	broken_entry(f, "a target past the section's end", 3, r, -ENOEXEC, "outside the section",
		     KLPELF_RELOC_STATUS_OUTSIDE);
	r.r_offset = UINT64_MAX - 1;
	broken_entry(f, "a target offset that wraps", 3, r, -ENOEXEC, "outside the section",
		     KLPELF_RELOC_STATUS_OUTSIDE);
	r = f->types_relas[1];
	r.r_info = ELF64_R_INFO(f->lp.mod.core_kallsyms.num_symtab, R_X86_64_PC64);
	broken_entry(f, "a symbol past the table", 1, r, -EINVAL, "but the module keeps",
		     KLPELF_RELOC_STATUS_BAD_SYMBOL);
}

/* Clearing reads each relocation's symbol again without resolving: a bad index is caught there,
 * and stops that section only. */
static void test_clear_symbol_index(struct fixture *f)
{
	Elf64_Rela saved = f->types_relas[6];
	unsigned int target = f->lp.mod.klp_info->sechdrs[f->types].sh_info;
	unsigned char *mem = f->l.places[target].mem;
	unsigned char applied[4], zeros[8] = { 0 };

	printf("clear: a symbol past the table\n");
	CHECK_EQ_INT(apply(f), 0);
	memcpy(applied, mem + saved.r_offset, 4);
	f->types_relas[6].r_info = ELF64_R_INFO(0xffffffffU, R_X86_64_PLT32);
	check_failure("clear: a symbol past the table", clear(f), -EINVAL, "uses symbol 4294967295");
	f->types_relas[6] = saved;
	CHECK_MEM_EQ(mem, zeros, 8);                         /* relocation 0: cleared */
	CHECK_MEM_EQ(mem + saved.r_offset, applied, 4);      /* relocation 6: not reached */
	memset(mem + saved.r_offset, 0, 4);
	lp_check_placed(&f->lp, &f->l, none, test_map_address, NULL); /* all else: cleared */
}

/* A symbol that does not resolve: the resolver's error, and nothing written. */
static void test_unresolved(struct fixture *f)
{
	struct klpelf_symbol_map *sparse = map_from("ffffffff81785530 t cmdline_proc_show\n");

	printf("a symbol that does not resolve\n");
	check_failure("load_elf_binary is not in the map",
		      klpelf_klp_apply_object_relocs(&f->lp.mod, NULL, &f->l.layout,
						     klpelf_symbol_map_resolve, sparse),
		      -EINVAL, "symbol 'load_elf_binary' not found in symbol table");
	lp_check_placed(&f->lp, &f->l, none, test_map_address, NULL);
	klpelf_symbol_map_free(sparse);
}

static int run(char **args)
{
	struct fixture f;
	struct klp_modinfo before;

	if (!fixture_open(&f, args[0]))
		return 1;
	before = *f.lp.mod.klp_info;
	test_arguments(&f);
	test_placement(&f);
	test_persisted(&f);
	test_entries(&f);
	test_clear_symbol_index(&f);
	test_unresolved(&f);
	CHECK_MEM_EQ(f.lp.mod.klp_info, &before, sizeof(before));
	fixture_close(&f);
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 1, "KLP_RELOCS_O", run);
}
