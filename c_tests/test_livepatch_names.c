/*
 * test_livepatch_names.c: klpelf's parsers of the livepatch name formats through the C interface:
 * relocation section names (.klp.rela.<object>.<section>) and symbol names
 * (.klp.sym.<object>.<symbol>,<position>): every rule, the kernel's quirks (what its sscanf()
 * formats cut, skip or wrap), outputs unchanged on failure with a message that names the rejected
 * name, and NULL arguments. Usage: test_livepatch_names
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

struct rela_case {
	const char *name;
	int rc;
	const char *objname;
};

struct sym_case {
	const char *name;
	int rc;
	const char *objname, *symname;
	unsigned long sympos;
};

static char *repeat(char c, size_t n, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	char *out = malloc(p + n + s + 1);

	if (!CHECK(out != NULL))
		exit(1);
	memcpy(out, prefix, p);
	memset(out + p, c, n);
	memcpy(out + p + n, suffix, s + 1);
	return out;
}

static void check_rela_case(const struct rela_case *c)
{
	char objname[MODULE_NAME_LEN];
	char before[MODULE_NAME_LEN];
	int rc;

	memset(objname, 0x5a, sizeof(objname));
	memcpy(before, objname, sizeof(before));
	rc = klpelf_parse_klp_rela_name(c->name, objname);
	if (!CHECK_EQ_INT(rc, c->rc))
		fprintf(stderr, "  rela name '%.80s'\n", c->name);
	if (c->rc == 0) {
		CHECK_EQ_STR(objname, c->objname);
		CHECK(klpelf_last_error() == NULL);
	} else {
		CHECK_MEM_EQ(objname, before, sizeof(objname));
		CHECK(strncmp(klpelf_last_error(), "section ", 8) == 0 &&
		      contains(klpelf_last_error(), "incorrectly formatted name"));
	}
}

static void check_sym_case(const struct sym_case *c)
{
	char objname[MODULE_NAME_LEN], symname[KSYM_NAME_LEN];
	char obj_before[MODULE_NAME_LEN], sym_before[KSYM_NAME_LEN];
	unsigned long sympos = 12345;
	int rc;

	memset(objname, 0x5a, sizeof(objname));
	memset(symname, 0x5b, sizeof(symname));
	memcpy(obj_before, objname, sizeof(objname));
	memcpy(sym_before, symname, sizeof(symname));
	rc = klpelf_parse_klp_sym_name(c->name, objname, symname, &sympos);
	if (!CHECK_EQ_INT(rc, c->rc))
		fprintf(stderr, "  sym name '%.80s'\n", c->name);
	if (c->rc == 0) {
		CHECK_EQ_STR(objname, c->objname);
		CHECK_EQ_STR(symname, c->symname);
		CHECK_EQ_U64(sympos, c->sympos);
		CHECK(klpelf_last_error() == NULL);
	} else {
		CHECK_MEM_EQ(objname, obj_before, sizeof(objname));
		CHECK_MEM_EQ(symname, sym_before, sizeof(symname));
		CHECK_EQ_U64(sympos, 12345);
		/* the message starts with the name; a very long name cuts the reason off the message */
		if (!CHECK(strncmp(klpelf_last_error(), "symbol ", 7) == 0 &&
			   (strlen(c->name) > 200 ||
			    contains(klpelf_last_error(), "incorrectly formatted name"))))
			fprintf(stderr, "  '%.60s...': %s\n", c->name, klpelf_last_error());
	}
}

static void test_rela_names(void)
{
	char *o55 = repeat('m', 55, ".klp.rela.", "..text");
	char *o56 = repeat('m', 56, ".klp.rela.", "..text");
	char *o56_nodot = repeat('m', 56, ".klp.rela.", "");
	char *m55 = repeat('m', 55, "", "");
	const struct rela_case cases[] = {
		{ ".klp.rela.vmlinux..text", 0, "vmlinux" },
		{ ".klp.rela.vmlinux..rodata.klp_refs", 0, "vmlinux" },
		{ ".klp.rela.ext4.text.ext4_fill_super", 0, "ext4" },
		{ ".klp.rela.vmlinux", 0, "vmlinux" }, /* nothing after the object is checked */
		{ ".klp.rela.a", 0, "a" },
		{ o55, 0, m55 },
		/* The kernel reads at most 55 characters (%55[^.]) and checks nothing after them: a
		 * 56-character object name is cut to 55, not rejected (klpelf_parse_klp_rela_name's
		 * documented behaviour). */
		{ o56, 0, m55 },
		{ o56_nodot, 0, m55 },
		{ ".klp.rela..text", -EINVAL, NULL },
		{ ".klp.rela.", -EINVAL, NULL },
		{ ".klp.rela", -EINVAL, NULL },
		{ ".rela.text", -EINVAL, NULL },
		{ ".klp.rel.vmlinux..text", -EINVAL, NULL },
		{ ".KLP.rela.vmlinux..text", -EINVAL, NULL },
		{ " .klp.rela.vmlinux..text", -EINVAL, NULL },
		{ ".klp.sym.vmlinux.f,0", -EINVAL, NULL },
		{ "", -EINVAL, NULL },
	};
	char objname[MODULE_NAME_LEN];
	size_t i;

	printf("relocation section names: %zu cases\n", sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_rela_case(&cases[i]);
	check_failure("rela: NULL name", klpelf_parse_klp_rela_name(NULL, objname), -EINVAL, "name");
	check_failure("rela: NULL objname",
		      klpelf_parse_klp_rela_name(".klp.rela.vmlinux..text", NULL), -EINVAL, "objname");
	free(o55);
	free(o56);
	free(o56_nodot);
	free(m55);
}

static void test_sym_names(void)
{
	char *o55 = repeat('m', 55, ".klp.sym.", ".f,0");
	char *o56 = repeat('m', 56, ".klp.sym.", ".f,0");
	char *s511 = repeat('s', 511, ".klp.sym.vmlinux.", ",3");
	char *s512 = repeat('s', 512, ".klp.sym.vmlinux.", ",3");
	char *m55 = repeat('m', 55, "", "");
	char *ss511 = repeat('s', 511, "", "");
	const struct sym_case cases[] = {
		{ ".klp.sym.vmlinux.printk,0", 0, "vmlinux", "printk", 0 },
		{ ".klp.sym.vmlinux.foo.isra.0,0", 0, "vmlinux", "foo.isra.0", 0 },
		{ ".klp.sym.vmlinux.foo.isra.0,2", 0, "vmlinux", "foo.isra.0", 2 },
		{ ".klp.sym.btrfs.bar,1", 0, "btrfs", "bar", 1 },
		{ ".klp.sym.vm.linux.f,0", 0, "vm", "linux.f", 0 }, /* '.' ends the object name */
		{ ".klp.sym.vmlinux.f,1,2", 0, "vmlinux", "f", 1 },  /* ',' ends the symbol name */
		{ o55, 0, m55, "f", 0 },
		{ o56, -EINVAL, NULL, NULL, 0 },
		{ s511, 0, "vmlinux", ss511, 3 },
		{ s512, -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f,-1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f,+1", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f,0xyz", 0, "vmlinux", "f", 0 },
		{ ".klp.sym.vmlinux.f,12abc", 0, "vmlinux", "f", 12 },
		{ ".klp.sym.vmlinux.f, 7", 0, "vmlinux", "f", 7 },
		{ ".klp.sym.vmlinux.f,\t\n 8", 0, "vmlinux", "f", 8 },
		{ ".klp.sym.vmlinux.f,007", 0, "vmlinux", "f", 7 },
		{ ".klp.sym.vmlinux.f,18446744073709551617", 0, "vmlinux", "f", 1 }, /* wraps */
		{ ".klp.sym.vmlinux.f,x", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f,", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f, ", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.f", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.,0", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym..f,0", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.vmlinux.", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym.", -EINVAL, NULL, NULL, 0 },
		{ ".klp.sym", -EINVAL, NULL, NULL, 0 },
		{ ".klp.rela.vmlinux.f,0", -EINVAL, NULL, NULL, 0 },
		{ "klp.sym.vmlinux.f,0", -EINVAL, NULL, NULL, 0 },
		{ "", -EINVAL, NULL, NULL, 0 },
	};
	char objname[MODULE_NAME_LEN], symname[KSYM_NAME_LEN];
	unsigned long sympos;
	const char *ok = ".klp.sym.vmlinux.f,1";
	size_t i;

	printf("symbol names: %zu cases\n", sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_sym_case(&cases[i]);
	check_failure("sym: NULL name", klpelf_parse_klp_sym_name(NULL, objname, symname, &sympos),
		      -EINVAL, "name");
	check_failure("sym: NULL objname", klpelf_parse_klp_sym_name(ok, NULL, symname, &sympos),
		      -EINVAL, "objname");
	check_failure("sym: NULL symname", klpelf_parse_klp_sym_name(ok, objname, NULL, &sympos),
		      -EINVAL, "symname");
	check_failure("sym: NULL sympos", klpelf_parse_klp_sym_name(ok, objname, symname, NULL),
		      -EINVAL, "sympos");
	free(o55);
	free(o56);
	free(s511);
	free(s512);
	free(m55);
	free(ss511);
}

static int run(char **args)
{
	(void)args;
	test_rela_names();
	test_sym_names();
	return 0;
}

int main(int argc, char **argv)
{
	return lp_test_main(argc, argv, 0, "", run);
}
