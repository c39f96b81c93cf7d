/*
 * test_livepatch_walk.c: klpelf_for_each_klp_rela() on a compiler-made livepatch module
 * (fixtures/livepatch.c converted by klp_convert) taken through klpelf_setup_load_info() ->
 * klpelf_prepare_module() -> copy_module_elf(): every livepatch relocation section, in index
 * order, with the object it patches, as this test finds them in the image's own section headers;
 * the persisted section addresses; a non-zero return stops the walk and is returned; NULL
 * arguments. Usage: test_livepatch_walk LIVEPATCH_O
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

/* The livepatch relocation sections, found by this test from the image's own section headers. */
struct expected_sections {
	unsigned int count;
	unsigned int secndx[MAX_VISITS];
	char objname[MAX_VISITS][MODULE_NAME_LEN];
};

static void expected_klp_sections(const struct lp_module *lp, struct expected_sections *out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)lp->image.bytes;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(lp->image.bytes + eh->e_shoff);
	const char *names = (const char *)lp->image.bytes + sh[eh->e_shstrndx].sh_offset;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 1; i < eh->e_shnum; i++) {
		const char *name = names + sh[i].sh_name, *obj;
		size_t len;

		if (!(sh[i].sh_flags & KLP_SHF_RELA_LIVEPATCH))
			continue;
		CHECK(strncmp(name, ".klp.rela.", 10) == 0);
		CHECK_EQ_INT(sh[i].sh_type, SHT_RELA);
		obj = name + 10;
		len = strcspn(obj, ".");
		if (out->count < MAX_VISITS && CHECK(len > 0 && len < MODULE_NAME_LEN)) {
			out->secndx[out->count] = i;
			memcpy(out->objname[out->count], obj, len);
			out->objname[out->count][len] = '\0';
		}
		out->count++;
	}
}

static void test_for_each(const struct lp_module *lp)
{
	struct expected_sections want;
	struct visits v;
	unsigned int i, vmlinux = 0, ext4 = 0;
	const struct klp_modinfo *klp = lp->mod.klp_info;

	printf("klpelf_for_each_klp_rela\n");
	expected_klp_sections(lp, &want);
	if (!CHECK_EQ_INT(want.count, 3))
		return;
	CHECK(lp_find_section(lp, ".klp.rela.vmlinux..rodata.klp_vmlinux") != 0);
	CHECK(lp_find_section(lp, ".klp.rela.vmlinux..rodata.klp_vmlinux2") != 0);
	CHECK(lp_find_section(lp, ".klp.rela.ext4..rodata.klp_ext4") != 0);

	visits_init(&v, &lp->mod);
	CHECK_EQ_INT(klpelf_for_each_klp_rela(&lp->mod, record_visit, &v), 0);
	CHECK(klpelf_last_error() == NULL);
	if (!CHECK_EQ_INT(v.count, want.count))
		return;
	for (i = 0; i < v.count; i++) {
		const Elf64_Shdr *sh = &klp->sechdrs[v.secndx[i]];
		CHECK_EQ_INT(v.secndx[i], want.secndx[i]);
		CHECK_EQ_STR(v.objname[i], want.objname[i]);
		if (i > 0)
			CHECK(v.secndx[i] > v.secndx[i - 1]);
		vmlinux += strcmp(v.objname[i], "vmlinux") == 0;
		ext4 += strcmp(v.objname[i], "ext4") == 0;
		/* prepare's rewrite_section_headers(): the persisted sh_addr is the section's place in
		 * the held image, where the relocations are. */
		CHECK_EQ_U64(sh->sh_addr, (uintptr_t)lp->image.bytes + sh->sh_offset);
		CHECK_EQ_U64(sh->sh_entsize, sizeof(Elf64_Rela));
		CHECK(sh->sh_size > 0 && sh->sh_size % sizeof(Elf64_Rela) == 0);
		printf("  section %u patches %s\n", v.secndx[i], v.objname[i]);
	}
	CHECK_EQ_INT(vmlinux, 2);
	CHECK_EQ_INT(ext4, 1);
	CHECK_EQ_U64(klp->sechdrs[klp->symndx].sh_addr, (uintptr_t)lp->mod.core_kallsyms.symtab);

	/* a non-zero return stops the walk and is returned */
	visits_init(&v, &lp->mod);
	v.stop_at = 2;
	v.stop_rc = 42;
	check_failure("for_each: callback returns 42 at visit 2",
		      klpelf_for_each_klp_rela(&lp->mod, record_visit, &v), 42, NULL);
	CHECK_EQ_INT(v.count, 2);
	visits_init(&v, &lp->mod);
	v.stop_at = 1;
	v.stop_rc = -ENOENT;
	check_failure("for_each: callback returns -ENOENT at visit 1",
		      klpelf_for_each_klp_rela(&lp->mod, record_visit, &v), -ENOENT, NULL);
	CHECK_EQ_INT(v.count, 1);

	check_failure("for_each: NULL mod", klpelf_for_each_klp_rela(NULL, record_visit, &v), -EINVAL,
		      "mod");
	check_failure("for_each: NULL fn", klpelf_for_each_klp_rela(&lp->mod, NULL, &v), -EINVAL,
		      "fn");
}

static int run(char **args)
{
	struct lp_module lp;

	if (lp_open(args[0], &lp)) {
		test_for_each(&lp);
		lp_close(&lp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 1, "LIVEPATCH_O", run);
}
