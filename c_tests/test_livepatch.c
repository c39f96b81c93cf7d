/*
 * test_livepatch.c: the livepatch relocation API (issue 6) through its C interface.
 *
 * Usage: test_livepatch names
 *        test_livepatch walk LIVEPATCH_O LIVEPATCH_BAD_O
 *        test_livepatch corrupt LIVEPATCH_O
 *        test_livepatch kallsyms SAMPLE_O
 *        test_livepatch kbuild MODULE_KO KERNEL_VERSION_FILE
 *
 * names     the .klp.rela / .klp.sym parsers (every rule, the kernel's quirks, outputs unchanged on
 *           failure, NULL arguments) and the symbol map's resolver (sympos rules, ambiguity, the
 *           kernel's wording, address 0, [module] lines, malformed maps).
 * walk      a compiler-made livepatch module (fixtures/livepatch.c converted by klp_convert) taken
 *           through klpelf_setup_load_info -> klpelf_prepare_module -> copy_module_elf, then
 *           klpelf_for_each_klp_rela (index order, object names, stopping) and
 *           klpelf_resolve_symbols against a map written here: every .klp.sym symbol's st_value in
 *           core_kallsyms.symtab is the expected address, nothing else changes, one object at a time;
 *           resolution failures in the kernel's words; the module-specific rule (livepatch_bad.o).
 * corrupt   malformed persisted data, made by mutating the held image, core_kallsyms and klp_info
 *           after copy_module_elf: each a clear -EINVAL with a message, and no read out of bounds.
 * kallsyms  the sample livepatch module resolved against /proc/kallsyms of this machine, compared
 *           with the addresses this test finds by scanning /proc/kallsyms itself; exits 77
 *           (skipped, with a "skipped: ..." line) when /proc/kallsyms is unreadable, shows only
 *           zero addresses, or lacks a symbol.
 * kbuild    a real livepatch module built by kbuild and converted by klp_convert (inspect_kbuild
 *           makes it) resolved through the C API against the real System.map of the kernel its
 *           headers belong to: every SHN_LIVEPATCH symbol's st_value is the address the kernel's
 *           rules pick in this test's own scan of the map; exits 77 (skipped) without the module
 *           or without a real System.map (/boot/System.map-<version>, or the -dbg package's path).
 *
 * Every block klpelf allocates comes from a guard allocator (its end is followed by an inaccessible
 * page, and the few bytes between are poisoned), and the module image is held the same way, so a
 * read past the end of the symbol string table or the image faults even in klpelf's own
 * (uninstrumented) code; the C side runs under ASan and UBSan in the sanitizer build.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "klpelf.h"

#define SKIPPED 77
#define KLP_SHN_LIVEPATCH 0xff20
#define KLP_SHF_RELA_LIVEPATCH 0x00100000ULL

/* ---- guarded memory ------------------------------------------------------------------------ */

static size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Bytes of accessible pages for a block of `size` bytes. */
static size_t guarded_span(size_t size)
{
	size_t page = page_size();
	return (size + 8 + page - 1) / page * page;
}

/* `size` bytes, 8-aligned, ending at most 7 poisoned bytes before an inaccessible page. */
static void *guarded_alloc(size_t size)
{
	size_t span = guarded_span(size), page = page_size();
	unsigned char *base, *p;

	base = mmap(NULL, span + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + span, page, PROT_NONE) != 0) {
		munmap(base, span + page);
		return NULL;
	}
	p = (unsigned char *)((uintptr_t)(base + span - size) & ~(uintptr_t)7);
	memset(p, 0xa5, (size_t)(base + span - p)); /* the block and the slack before the guard */
	return p;
}

static void guarded_free(void *ptr, size_t size)
{
	size_t span = guarded_span(size), page = page_size();
	uintptr_t guard = ((uintptr_t)ptr + size + page - 1) / page * page;

	munmap((void *)(guard - span), span + page);
}

struct guard_counts {
	unsigned long allocs, frees, live;
};

static struct guard_counts guard_counts;

static void *guard_alloc_cb(size_t size, void *ctx)
{
	void *p = guarded_alloc(size);
	struct guard_counts *c = ctx;

	c->allocs++;
	c->live += p != NULL;
	return p;
}

static void guard_free_cb(void *ptr, size_t size, void *ctx)
{
	struct guard_counts *c = ctx;

	c->frees++;
	c->live--;
	guarded_free(ptr, size);
}

static int use_guard_allocator(void)
{
	struct klpelf_allocator a = { guard_alloc_cb, guard_free_cb, &guard_counts };

	return CHECK_EQ_INT(klpelf_set_allocator(&a), 0);
}

static void end_guard_allocator(void)
{
	CHECK_EQ_U64(guard_counts.live, 0);
	CHECK_EQ_INT(klpelf_set_allocator(NULL), 0);
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* Checks a failure: the return code, a message, and that it contains `words` (if not NULL). */
static int check_failure(const char *what, int rc, int expected, const char *words)
{
	const char *msg = klpelf_last_error();
	int ok = CHECK_EQ_INT(rc, expected);

	ok &= CHECK(msg != NULL && msg[0] != '\0');
	if (msg && words && !strstr(msg, words)) {
		ok = CHECK(!"the message has the expected words");
		fprintf(stderr, "  %s: message '%s' lacks '%s'\n", what, msg, words);
	}
	printf("  %-52s -> %d: %s\n", what, rc, msg ? msg : "(no message)");
	return ok;
}

static int contains(const char *haystack, const char *needle)
{
	return haystack && strstr(haystack, needle) != NULL;
}

/* A symbol map from text, checked. */
static struct klpelf_symbol_map *map_from(const char *text)
{
	struct klpelf_symbol_map *map = NULL;

	if (!CHECK_EQ_INT(klpelf_symbol_map_load_buffer(text, strlen(text), &map), 0))
		fprintf(stderr, "  map rejected: %s\n", klpelf_last_error());
	return map;
}

/* ---- names: the parsers -------------------------------------------------------------------- */

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

/* ---- names: the symbol map ----------------------------------------------------------------- */

/* System.map lines, /proc/kallsyms lines (tab before [module]), duplicates, an address of 0. The
 * second load_elf_binary has the lower address: positions count in file order. */
static const char test_map[] = "ffffffff81000000 T _stext\n"
			       "ffffffff81785530 t cmdline_proc_show\n"
			       "ffffffff81756450 t load_elf_binary\n"
			       "ffffffff817533a0 t load_elf_binary\n"
			       "ffffffff81004000 t helper.isra.0\n"
			       "ffffffff81001000 t helper\n"
			       "ffffffff82000000 D jiffies\n"
			       "0000000000000000 A zero_addr\n"
			       "\n"
			       "ffffffffc0001000 t helper\t[ext4]\n"
			       "ffffffffc0002000 T ext4_fill_super\t[ext4]\n"
			       "ffffffffc0003000 t helper [ext4]\n"
			       "ffffffffc0004000 t helper\t[btrfs]\n";

static void expect_resolved(struct klpelf_symbol_map *map, const char *obj, const char *name,
			    unsigned long pos, unsigned long want)
{
	unsigned long addr = 1;
	int rc = klpelf_symbol_map_resolve(obj, name, pos, &addr, map);

	if (!CHECK_EQ_INT(rc, 0) || !CHECK_EQ_U64(addr, want))
		fprintf(stderr, "  %s.%s,%lu: %s\n", obj ? obj : "vmlinux", name, pos,
			klpelf_last_error());
}

static void expect_unresolved(struct klpelf_symbol_map *map, const char *obj, const char *name,
			      unsigned long pos, const char *words)
{
	unsigned long addr = 0xfeedface;
	char what[160];
	int rc = klpelf_symbol_map_resolve(obj, name, pos, &addr, map);

	snprintf(what, sizeof(what), "resolve %s.%s,%lu", obj ? obj : "vmlinux", name, pos);
	check_failure(what, rc, -EINVAL, words);
	CHECK_EQ_U64(addr, 0xfeedface);
}

static void test_symbol_map(void)
{
	struct klpelf_symbol_map *map = map_from(test_map), *empty = NULL, *bad = NULL;
	const char *malformed = "ffffffff81000000 T a\nnot-hex T b\n";
	unsigned long addr = 0;

	printf("symbol map\n");
	if (!map)
		return;
	expect_resolved(map, NULL, "cmdline_proc_show", 0, 0xffffffff81785530UL);
	expect_resolved(map, NULL, "cmdline_proc_show", 1, 0xffffffff81785530UL);
	expect_resolved(map, NULL, "_stext", 0, 0xffffffff81000000UL);
	expect_resolved(map, NULL, "helper.isra.0", 0, 0xffffffff81004000UL);
	/* a name twice in vmlinux: position 0 is ambiguous, 1 and 2 are the first and second lines */
	expect_unresolved(map, NULL, "load_elf_binary", 0,
			  "unresolvable ambiguity for symbol 'load_elf_binary' in object 'vmlinux'");
	expect_resolved(map, NULL, "load_elf_binary", 1, 0xffffffff81756450UL);
	expect_resolved(map, NULL, "load_elf_binary", 2, 0xffffffff817533a0UL);
	expect_unresolved(map, NULL, "load_elf_binary", 3,
			  "symbol position 3 for symbol 'load_elf_binary' in object 'vmlinux' not "
			  "found");
	expect_unresolved(map, NULL, "cmdline_proc_show", 2,
			  "symbol position 2 for symbol 'cmdline_proc_show' in object 'vmlinux' not "
			  "found");
	expect_unresolved(map, NULL, "nope", 0, "symbol 'nope' not found in symbol table");
	expect_unresolved(map, NULL, "nope", 1, "symbol 'nope' not found in symbol table");
	expect_unresolved(map, NULL, "cmdline_proc_sho", 0,
			  "symbol 'cmdline_proc_sho' not found in symbol table");
	/* an address of 0 counts as not found, as in the kernel */
	expect_unresolved(map, NULL, "zero_addr", 0, "symbol 'zero_addr' not found in symbol table");
	/* [module] lines belong to their module only; vmlinux lines to vmlinux only */
	expect_resolved(map, NULL, "helper", 0, 0xffffffff81001000UL);
	expect_resolved(map, "ext4", "ext4_fill_super", 0, 0xffffffffc0002000UL);
	expect_unresolved(map, NULL, "ext4_fill_super", 0,
			  "symbol 'ext4_fill_super' not found in symbol table");
	expect_unresolved(map, "btrfs", "ext4_fill_super", 0,
			  "symbol 'ext4_fill_super' not found in symbol table");
	expect_unresolved(map, "ext4", "cmdline_proc_show", 0,
			  "symbol 'cmdline_proc_show' not found in symbol table");
	expect_unresolved(map, "ext4", "helper", 0,
			  "unresolvable ambiguity for symbol 'helper' in object 'ext4'");
	expect_resolved(map, "ext4", "helper", 1, 0xffffffffc0001000UL);
	expect_resolved(map, "ext4", "helper", 2, 0xffffffffc0003000UL);
	expect_unresolved(map, "ext4", "helper", 3,
			  "symbol position 3 for symbol 'helper' in object 'ext4' not found");
	expect_resolved(map, "btrfs", "helper", 0, 0xffffffffc0004000UL);
	expect_unresolved(map, "xfs", "helper", 0, "symbol 'helper' not found in symbol table");
	/* NULL arguments */
	check_failure("resolve: NULL symname",
		      klpelf_symbol_map_resolve(NULL, NULL, 0, &addr, map), -EINVAL, "symname");
	check_failure("resolve: NULL addr",
		      klpelf_symbol_map_resolve(NULL, "_stext", 0, NULL, map), -EINVAL, "addr");
	check_failure("resolve: NULL map",
		      klpelf_symbol_map_resolve(NULL, "_stext", 0, &addr, NULL), -EINVAL, "ctx");
	klpelf_symbol_map_free(map);

	/* loading */
	if (CHECK_EQ_INT(klpelf_symbol_map_load_buffer("", 0, &empty), 0)) {
		expect_unresolved(empty, NULL, "_stext", 0, "not found in symbol table");
		klpelf_symbol_map_free(empty);
	}
	check_failure("map: malformed line 2",
		      klpelf_symbol_map_load_buffer(malformed, strlen(malformed), &bad), -EINVAL,
		      "line 2");
	CHECK(bad == NULL);
	check_failure("map: NULL buffer", klpelf_symbol_map_load_buffer(NULL, 1, &bad), -EINVAL,
		      NULL);
	check_failure("map: NULL out", klpelf_symbol_map_load_buffer("", 0, NULL), -EINVAL, NULL);
	check_failure("map: NULL path", klpelf_symbol_map_load(NULL, &bad), -EINVAL, NULL);
	check_failure("map: missing file",
		      klpelf_symbol_map_load("/nonexistent/klpelf/System.map", &bad), -ENOENT,
		      "/nonexistent/klpelf/System.map");
	CHECK(bad == NULL);
	klpelf_symbol_map_free(NULL);
}

/* ---- the module pipeline ------------------------------------------------------------------- */

/* A livepatch module taken through setup, prepare and copy, its image held in guarded memory. */
struct lp_module {
	unsigned char *image;
	size_t len;
	struct load_info info;
	struct module mod;
};

static int lp_open(const char *path, struct lp_module *lp)
{
	FILE *f = fopen(path, "rb");
	long size = 0;

	memset(lp, 0, sizeof(*lp));
	if (!CHECK(f != NULL)) {
		fprintf(stderr, "  cannot open %s\n", path);
		return 0;
	}
	if (!CHECK(fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0)) {
		fclose(f);
		return 0;
	}
	lp->len = (size_t)size;
	lp->image = guarded_alloc(lp->len);
	if (!CHECK(lp->image != NULL) || !CHECK(fread(lp->image, 1, lp->len, f) == lp->len)) {
		fclose(f);
		if (lp->image)
			guarded_free(lp->image, lp->len);
		lp->image = NULL;
		return 0;
	}
	fclose(f);
	if (!CHECK_EQ_INT(klpelf_setup_load_info(&lp->info, lp->image, lp->len, 0), 0) ||
	    !CHECK_EQ_INT(klpelf_prepare_module(&lp->mod, &lp->info), 0) ||
	    !CHECK_EQ_INT(copy_module_elf(&lp->mod, &lp->info), 0)) {
		fprintf(stderr, "  %s: %s\n", path, klpelf_last_error());
		klpelf_release_module(&lp->mod);
		guarded_free(lp->image, lp->len);
		lp->image = NULL;
		return 0;
	}
	CHECK(lp->mod.klp);
	return 1;
}

static void lp_close(struct lp_module *lp)
{
	klpelf_release_module(&lp->mod);
	CHECK(lp->mod.klp_info == NULL && lp->mod.core_kallsyms.symtab == NULL);
	if (lp->image)
		guarded_free(lp->image, lp->len);
	lp->image = NULL;
}

static const char *sym_name(const struct lp_module *lp, unsigned int i)
{
	return lp->mod.core_kallsyms.strtab + lp->mod.core_kallsyms.symtab[i].st_name;
}

/* The index of the kept symbol with this name (0 when none). */
static unsigned int find_symbol(const struct lp_module *lp, const char *name)
{
	unsigned int i;

	for (i = 1; i < lp->mod.core_kallsyms.num_symtab; i++)
		if (strcmp(sym_name(lp, i), name) == 0)
			return i;
	return 0;
}

/* The index of the persisted section with this name (0 when none). */
static unsigned int find_section(const struct lp_module *lp, const char *name)
{
	const struct klp_modinfo *klp = lp->mod.klp_info;
	unsigned int i;

	for (i = 1; i < klp->hdr.e_shnum; i++)
		if (strcmp(klp->secstrings + klp->sechdrs[i].sh_name, name) == 0)
			return i;
	return 0;
}

/* ---- walk ---------------------------------------------------------------------------------- */

#define MAX_VISITS 16

struct visits {
	const struct module *mod;
	unsigned int count;
	unsigned int secndx[MAX_VISITS];
	char objname[MAX_VISITS][MODULE_NAME_LEN];
	unsigned int stop_at; /* 1-based visit that returns stop_rc; 0: none */
	int stop_rc;
};

static int record_visit(const struct module *mod, unsigned int secndx, const char *objname,
			void *ctx)
{
	struct visits *v = ctx;

	CHECK_EQ_PTR(mod, v->mod);
	if (v->count < MAX_VISITS) {
		v->secndx[v->count] = secndx;
		snprintf(v->objname[v->count], MODULE_NAME_LEN, "%s", objname);
	}
	v->count++;
	return v->count == v->stop_at ? v->stop_rc : 0;
}

/* The livepatch relocation sections, found by this test from the image's own section headers. */
struct expected_sections {
	unsigned int count;
	unsigned int secndx[MAX_VISITS];
	char objname[MAX_VISITS][MODULE_NAME_LEN];
};

static void expected_klp_sections(const struct lp_module *lp, struct expected_sections *out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)lp->image;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(lp->image + eh->e_shoff);
	const char *names = (const char *)lp->image + sh[eh->e_shstrndx].sh_offset;
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
	CHECK(find_section(lp, ".klp.rela.vmlinux..rodata.klp_vmlinux") != 0);
	CHECK(find_section(lp, ".klp.rela.vmlinux..rodata.klp_vmlinux2") != 0);
	CHECK(find_section(lp, ".klp.rela.ext4..rodata.klp_ext4") != 0);

	memset(&v, 0, sizeof(v));
	v.mod = &lp->mod;
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
		CHECK_EQ_U64(sh->sh_addr, (uintptr_t)lp->image + sh->sh_offset);
		CHECK_EQ_U64(sh->sh_entsize, sizeof(Elf64_Rela));
		CHECK(sh->sh_size > 0 && sh->sh_size % sizeof(Elf64_Rela) == 0);
		printf("  section %u patches %s\n", v.secndx[i], v.objname[i]);
	}
	CHECK_EQ_INT(vmlinux, 2);
	CHECK_EQ_INT(ext4, 1);
	CHECK_EQ_U64(klp->sechdrs[klp->symndx].sh_addr, (uintptr_t)lp->mod.core_kallsyms.symtab);

	/* a non-zero return stops the walk and is returned */
	memset(&v, 0, sizeof(v));
	v.mod = &lp->mod;
	v.stop_at = 2;
	v.stop_rc = 42;
	check_failure("for_each: callback returns 42 at visit 2",
		      klpelf_for_each_klp_rela(&lp->mod, record_visit, &v), 42, NULL);
	CHECK_EQ_INT(v.count, 2);
	memset(&v, 0, sizeof(v));
	v.mod = &lp->mod;
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

/* Expected addresses of the fixture's livepatch symbols in test_map. */
struct expected_symbol {
	const char *name;
	unsigned long addr;
	const char *object; /* NULL: vmlinux */
};

static const struct expected_symbol fixture_symbols[] = {
	{ ".klp.sym.vmlinux.cmdline_proc_show,0", 0xffffffff81785530UL, NULL },
	{ ".klp.sym.vmlinux.load_elf_binary,1", 0xffffffff81756450UL, NULL },
	{ ".klp.sym.vmlinux.load_elf_binary,2", 0xffffffff817533a0UL, NULL },
	{ ".klp.sym.vmlinux.helper.isra.0,0", 0xffffffff81004000UL, NULL },
	{ ".klp.sym.vmlinux.jiffies,0", 0xffffffff82000000UL, NULL },
	{ ".klp.sym.ext4.ext4_fill_super,0", 0xffffffffc0002000UL, "ext4" },
	{ ".klp.sym.ext4.helper,2", 0xffffffffc0003000UL, "ext4" },
};
#define FIXTURE_SYMBOLS (sizeof(fixture_symbols) / sizeof(fixture_symbols[0]))

/* Counts the resolver's calls per object while resolving with the symbol map. */
struct counting_resolver {
	struct klpelf_symbol_map *map;
	unsigned int vmlinux_calls, module_calls;
	int fail_rc; /* when non-zero, every call fails with it */
};

static int counting_resolve(const char *objname, const char *symname, unsigned long sympos,
			    unsigned long *addr, void *ctx)
{
	struct counting_resolver *r = ctx;

	CHECK(objname == NULL || strcmp(objname, "vmlinux") != 0); /* vmlinux is NULL */
	if (objname)
		r->module_calls++;
	else
		r->vmlinux_calls++;
	if (r->fail_rc)
		return r->fail_rc;
	return klpelf_symbol_map_resolve(objname, symname, sympos, addr, r->map);
}

/* The values of every symbol, to compare after a resolution. */
static Elf64_Addr *snapshot(const struct lp_module *lp)
{
	unsigned int i, n = lp->mod.core_kallsyms.num_symtab;
	Elf64_Addr *values = calloc(n, sizeof(*values));

	if (CHECK(values != NULL))
		for (i = 0; i < n; i++)
			values[i] = lp->mod.core_kallsyms.symtab[i].st_value;
	return values;
}

/* Every symbol is as in `before`, except the livepatch symbols of the objects resolved so far
 * (`vmlinux`, `ext4`), which have their expected addresses. */
static void check_values(const struct lp_module *lp, const Elf64_Addr *before, int vmlinux,
			 int ext4)
{
	const Elf64_Sym *syms = lp->mod.core_kallsyms.symtab;
	unsigned int i, livepatch = 0;
	size_t k;

	for (i = 0; i < lp->mod.core_kallsyms.num_symtab; i++) {
		const struct expected_symbol *e = NULL;
		for (k = 0; k < FIXTURE_SYMBOLS; k++)
			if (strcmp(sym_name(lp, i), fixture_symbols[k].name) == 0)
				e = &fixture_symbols[k];
		if (syms[i].st_shndx == KLP_SHN_LIVEPATCH) {
			livepatch++;
			if (!CHECK(e != NULL)) {
				fprintf(stderr, "  unexpected livepatch symbol %s\n", sym_name(lp, i));
				continue;
			}
		}
		if (e && ((e->object == NULL && vmlinux) || (e->object != NULL && ext4))) {
			if (!CHECK_EQ_U64(syms[i].st_value, e->addr))
				fprintf(stderr, "  %s\n", e->name);
		} else if (!CHECK_EQ_U64(syms[i].st_value, before[i])) {
			fprintf(stderr, "  symbol %u (%s) changed\n", i, sym_name(lp, i));
		}
	}
	CHECK_EQ_INT(livepatch, FIXTURE_SYMBOLS);
}

static void test_resolve(const char *path)
{
	struct lp_module lp;
	struct klpelf_symbol_map *map = map_from(test_map);
	struct counting_resolver r;
	Elf64_Addr *before;
	unsigned int i;

	printf("klpelf_resolve_symbols\n");
	if (!map || !lp_open(path, &lp)) {
		klpelf_symbol_map_free(map);
		return;
	}
	before = snapshot(&lp);
	if (!before)
		goto out;
	for (i = 0; i < FIXTURE_SYMBOLS; i++) {
		unsigned int ndx = find_symbol(&lp, fixture_symbols[i].name);
		if (CHECK(ndx != 0)) {
			CHECK_EQ_INT(lp.mod.core_kallsyms.symtab[ndx].st_shndx, KLP_SHN_LIVEPATCH);
			CHECK_EQ_U64(lp.mod.core_kallsyms.symtab[ndx].st_value, 0);
		}
	}
	memset(&r, 0, sizeof(r));
	r.map = map;
	/* the module object alone: its section only */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, "ext4", counting_resolve, &r), 0);
	CHECK(klpelf_last_error() == NULL);
	CHECK_EQ_INT(r.module_calls, 2);
	CHECK_EQ_INT(r.vmlinux_calls, 0);
	check_values(&lp, before, 0, 1);
	/* vmlinux: both of its sections (5 + 1 relocations) */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, counting_resolve, &r), 0);
	CHECK_EQ_INT(r.module_calls, 2);
	CHECK_EQ_INT(r.vmlinux_calls, 6);
	check_values(&lp, before, 1, 1);
	/* an object the module does not patch: nothing */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, "btrfs", counting_resolve, &r), 0);
	CHECK_EQ_INT(r.module_calls + r.vmlinux_calls, 8);
	check_values(&lp, before, 1, 1);
	/* again: the same addresses */
	CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map), 0);
	check_values(&lp, before, 1, 1);
	for (i = 0; i < FIXTURE_SYMBOLS; i++)
		printf("  %-40s -> %#lx\n", fixture_symbols[i].name,
		       (unsigned long)lp.mod.core_kallsyms.symtab[find_symbol(&lp, fixture_symbols[i].name)]
			       .st_value);
	lp_close(&lp);

	/* vmlinux first on a fresh module: the module's symbols stay unresolved */
	if (lp_open(path, &lp)) {
		CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map), 0);
		check_values(&lp, before, 1, 0);
		/* a resolver's own error is returned as it is, with the symbol named */
		memset(&r, 0, sizeof(r));
		r.fail_rc = -ENOENT;
		check_failure("resolver fails with -ENOENT",
			      klpelf_resolve_symbols(&lp.mod, "ext4", counting_resolve, &r), -ENOENT,
			      "ext4");
		CHECK_EQ_INT(r.module_calls, 1);
		check_values(&lp, before, 1, 0);
		check_failure("resolve: NULL mod",
			      klpelf_resolve_symbols(NULL, NULL, klpelf_symbol_map_resolve, map),
			      -EINVAL, "mod");
		check_failure("resolve: NULL resolve",
			      klpelf_resolve_symbols(&lp.mod, NULL, NULL, map), -EINVAL, "resolve");
		lp_close(&lp);
	}
out:
	free(before);
	klpelf_symbol_map_free(map);
}

/* Map lines for the fixture's vmlinux symbols other than cmdline_proc_show (and load_elf_binary). */
#define VMLINUX_OTHERS                         \
	"ffffffff81004000 t helper.isra.0\n"   \
	"ffffffff82000000 D jiffies\n"
#define VMLINUX_REST                           \
	"ffffffff81756450 t load_elf_binary\n" \
	"ffffffff817533a0 t load_elf_binary\n" VMLINUX_OTHERS

/* Resolution of the fixture's `objname` symbols against `text` fails with `words`. */
static void expect_walk_failure(const char *path, const char *what, const char *text,
				const char *objname, const char *words)
{
	struct lp_module lp;
	struct klpelf_symbol_map *map = map_from(text);

	if (map && lp_open(path, &lp)) {
		check_failure(what, klpelf_resolve_symbols(&lp.mod, objname, klpelf_symbol_map_resolve,
							   map),
			      -EINVAL, words);
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
}

static void test_resolution_failures(const char *path, const char *bad_path)
{
	struct lp_module lp;
	struct klpelf_symbol_map *map;
	struct counting_resolver r;

	printf("resolution failures\n");
	expect_walk_failure(path, "cmdline_proc_show twice in the map",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81785600 t cmdline_proc_show\n" VMLINUX_REST, NULL,
			    "unresolvable ambiguity for symbol 'cmdline_proc_show' in object "
			    "'vmlinux'");
	expect_walk_failure(path, "load_elf_binary only once in the map",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81756450 t load_elf_binary\n" VMLINUX_OTHERS, NULL,
			    "symbol position 2 for symbol 'load_elf_binary' in object 'vmlinux' not "
			    "found");
	expect_walk_failure(path, "jiffies missing from the map",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81756450 t load_elf_binary\n"
			    "ffffffff817533a0 t load_elf_binary\n"
			    "ffffffff81004000 t helper.isra.0\n",
			    NULL, "symbol 'jiffies' not found in symbol table");
	expect_walk_failure(path, "jiffies at address 0",
			    "ffffffff81785530 t cmdline_proc_show\n"
			    "ffffffff81756450 t load_elf_binary\n"
			    "ffffffff817533a0 t load_elf_binary\n"
			    "ffffffff81004000 t helper.isra.0\n"
			    "0000000000000000 D jiffies\n",
			    NULL, "symbol 'jiffies' not found in symbol table");
	expect_walk_failure(path, "ext4_fill_super only in vmlinux",
			    "ffffffff81785530 t ext4_fill_super\n"
			    "ffffffffc0001000 t helper\t[ext4]\n"
			    "ffffffffc0003000 t helper\t[ext4]\n",
			    "ext4", "symbol 'ext4_fill_super' not found in symbol table");
	expect_walk_failure(path, "ext4_fill_super in another module",
			    "ffffffffc0002000 T ext4_fill_super\t[xfs]\n"
			    "ffffffffc0001000 t helper\t[ext4]\n"
			    "ffffffffc0003000 t helper\t[ext4]\n",
			    "ext4", "symbol 'ext4_fill_super' not found in symbol table");

	/* the module-specific rule: .klp.rela.btrfs.* may not use a vmlinux symbol */
	map = map_from(test_map);
	if (map && lp_open(bad_path, &lp)) {
		CHECK(find_section(&lp, ".klp.rela.btrfs..rodata.klp_bad") != 0);
		memset(&r, 0, sizeof(r));
		r.map = map;
		check_failure("btrfs section uses vmlinux.cmdline_proc_show",
			      klpelf_resolve_symbols(&lp.mod, "btrfs", counting_resolve, &r), -EINVAL,
			      "invalid access to vmlinux symbol 'cmdline_proc_show' from "
			      "module-specific livepatch relocation section");
		CHECK_EQ_INT(r.module_calls + r.vmlinux_calls, 0);
		/* the other objects' sections are fine */
		CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, counting_resolve, &r), 0);
		CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, "ext4", counting_resolve, &r), 0);
		CHECK_EQ_INT(r.vmlinux_calls, 6);
		CHECK_EQ_INT(r.module_calls, 2);
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
}

/* ---- corrupt ------------------------------------------------------------------------------- */

/* The first relocation of the fixture's main vmlinux section, in the held image. */
static Elf64_Rela *first_vmlinux_rela(struct lp_module *lp, unsigned int *secndx)
{
	unsigned int i = find_section(lp, ".klp.rela.vmlinux..rodata.klp_vmlinux");
	const Elf64_Shdr *sh;

	if (!CHECK(i != 0))
		return NULL;
	sh = &lp->mod.klp_info->sechdrs[i];
	if (secndx)
		*secndx = i;
	if (!CHECK_EQ_U64(sh->sh_addr, (uintptr_t)lp->image + sh->sh_offset))
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
				memset(&v, 0, sizeof(v));
				v.mod = &lp.mod;
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

/* ---- kallsyms ------------------------------------------------------------------------------ */

#define MAX_OCCURRENCES 8

/* The vmlinux symbols the sample module uses (tools/sample_livepatch.c). */
static struct {
	const char *klp_name, *name;
	unsigned long sympos;
	unsigned int count;
	unsigned long addrs[MAX_OCCURRENCES];
} sample_symbols[] = {
	{ ".klp.sym.vmlinux.cmdline_proc_show,0", "cmdline_proc_show", 0, 0, { 0 } },
	{ ".klp.sym.vmlinux.load_elf_binary,1", "load_elf_binary", 1, 0, { 0 } },
};
#define SAMPLE_SYMBOLS (sizeof(sample_symbols) / sizeof(sample_symbols[0]))

/* Scans /proc/kallsyms for the sample's symbols (vmlinux lines: no [module]). Returns 0, or
 * prints why the comparison cannot be made and returns SKIPPED. */
static int scan_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[1024];
	unsigned long lines = 0, nonzero = 0;
	size_t k;

	if (!f) {
		printf("skipped: /proc/kallsyms is not readable here (%s)\n", strerror(errno));
		return SKIPPED;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long addr;
		char type, name[600], module[600];
		int fields = sscanf(line, "%lx %c %599s %599s", &addr, &type, name, module);

		if (fields < 3)
			continue;
		lines++;
		nonzero += addr != 0;
		if (fields != 3)
			continue;
		for (k = 0; k < SAMPLE_SYMBOLS; k++)
			if (strcmp(name, sample_symbols[k].name) == 0 &&
			    sample_symbols[k].count < MAX_OCCURRENCES)
				sample_symbols[k].addrs[sample_symbols[k].count++] = addr;
	}
	fclose(f);
	if (lines == 0 || nonzero == 0) {
		printf("skipped: /proc/kallsyms lists %lu symbols, none with a non-zero address "
		       "(kernel.kptr_restrict, or not privileged)\n",
		       lines);
		return SKIPPED;
	}
	for (k = 0; k < SAMPLE_SYMBOLS; k++) {
		unsigned int need = sample_symbols[k].sympos ? (unsigned int)sample_symbols[k].sympos : 1;
		if (sample_symbols[k].count < need ||
		    (sample_symbols[k].sympos == 0 && sample_symbols[k].count != 1)) {
			printf("skipped: the running kernel's /proc/kallsyms lists %s %u time(s); the "
			       "sample needs %s\n",
			       sample_symbols[k].name, sample_symbols[k].count,
			       sample_symbols[k].sympos ? "at least that position" : "exactly one");
			return SKIPPED;
		}
		printf("  /proc/kallsyms: %s occurs %u time(s), first at %#lx\n", sample_symbols[k].name,
		       sample_symbols[k].count, sample_symbols[k].addrs[0]);
	}
	return 0;
}

static int test_kallsyms(const char *sample)
{
	struct klpelf_symbol_map *map = NULL;
	struct lp_module lp;
	int rc = scan_kallsyms();
	size_t k;

	if (rc)
		return rc;
	if (!CHECK_EQ_INT(klpelf_symbol_map_load("/proc/kallsyms", &map), 0)) {
		fprintf(stderr, "  %s\n", klpelf_last_error());
		return 1;
	}
	if (lp_open(sample, &lp)) {
		rc = klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map);
		if (!CHECK_EQ_INT(rc, 0))
			fprintf(stderr, "  %s\n", klpelf_last_error());
		for (k = 0; k < SAMPLE_SYMBOLS; k++) {
			unsigned int ndx = find_symbol(&lp, sample_symbols[k].klp_name);
			unsigned long pos = sample_symbols[k].sympos ? sample_symbols[k].sympos : 1;
			unsigned long want = sample_symbols[k].addrs[pos - 1];
			if (!CHECK(ndx != 0))
				continue;
			CHECK_EQ_INT(lp.mod.core_kallsyms.symtab[ndx].st_shndx, KLP_SHN_LIVEPATCH);
			CHECK_EQ_U64(lp.mod.core_kallsyms.symtab[ndx].st_value, want);
			printf("  %-40s -> %#lx (the scan: %#lx)\n", sample_symbols[k].klp_name,
			       (unsigned long)lp.mod.core_kallsyms.symtab[ndx].st_value, want);
		}
		lp_close(&lp);
	}
	klpelf_symbol_map_free(map);
	return 0;
}

/* ---- kbuild -------------------------------------------------------------------------------- */

/* This test's own reading of a System.map: the address of the `sympos`-th (0: the only) vmlinux
 * symbol `name`, or 0 when the kernel's rules find none. */
static unsigned long scan_map(const char *path, const char *name, unsigned long sympos,
			      unsigned int *count)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned long found = 0;

	*count = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long addr;
		char type, sym[600], module[600];

		if (sscanf(line, "%lx %c %599s %599s", &addr, &type, sym, module) != 3 ||
		    strcmp(sym, name) != 0)
			continue;
		++*count;
		if ((sympos == 0 && *count == 1) || *count == sympos)
			found = addr;
	}
	fclose(f);
	return (sympos == 0 && *count != 1) ? 0 : found;
}

static int real_system_map(const char *path)
{
	unsigned int count;

	return scan_map(path, "_stext", 0, &count) != 0;
}

static int test_kbuild(const char *module, const char *version_file)
{
	FILE *f = fopen(version_file, "r");
	char version[256] = "", candidates[2][400];
	const char *map_path = NULL;
	struct klpelf_symbol_map *map = NULL;
	struct lp_module lp;
	unsigned int i, checked = 0;
	size_t k;

	if (!f || access(module, R_OK) != 0) {
		if (f)
			fclose(f);
		printf("skipped: no converted kbuild livepatch module %s (inspect_kbuild found no "
		       "kernel headers)\n",
		       module);
		return SKIPPED;
	}
	if (!fgets(version, sizeof(version), f))
		version[0] = '\0';
	fclose(f);
	version[strcspn(version, "\n")] = '\0';
	snprintf(candidates[0], sizeof(candidates[0]), "/boot/System.map-%s", version);
	snprintf(candidates[1], sizeof(candidates[1]), "/usr/lib/debug/boot/System.map-%s", version);
	for (k = 0; k < 2 && !map_path; k++)
		if (real_system_map(candidates[k]))
			map_path = candidates[k];
	if (!map_path) {
		printf("skipped: no real System.map for kernel %s (looked for %s and %s)\n", version,
		       candidates[0], candidates[1]);
		return SKIPPED;
	}
	printf("  %s against %s\n", module, map_path);
	if (!CHECK_EQ_INT(klpelf_symbol_map_load(map_path, &map), 0) || !lp_open(module, &lp)) {
		klpelf_symbol_map_free(map);
		return 1;
	}
	if (!CHECK_EQ_INT(klpelf_resolve_symbols(&lp.mod, NULL, klpelf_symbol_map_resolve, map), 0))
		fprintf(stderr, "  %s\n", klpelf_last_error());
	for (i = 1; i < lp.mod.core_kallsyms.num_symtab; i++) {
		const Elf64_Sym *sym = &lp.mod.core_kallsyms.symtab[i];
		char obj[MODULE_NAME_LEN], name[KSYM_NAME_LEN];
		unsigned long sympos, want;
		unsigned int count;

		if (sym->st_shndx != KLP_SHN_LIVEPATCH)
			continue;
		/* the C library's sscanf with the kernel's format: this module's names are plain */
		if (!CHECK_EQ_INT(sscanf(sym_name(&lp, i), ".klp.sym.%55[^.].%511[^,],%lu", obj, name,
					 &sympos),
				  3))
			continue;
		CHECK_EQ_STR(obj, "vmlinux");
		want = scan_map(map_path, name, sympos, &count);
		CHECK(want != 0);
		CHECK_EQ_U64(sym->st_value, want);
		printf("  %-40s -> %#lx (the scan: %#lx, %u occurrence(s))\n", sym_name(&lp, i),
		       (unsigned long)sym->st_value, want, count);
		checked++;
	}
	CHECK_EQ_INT(checked, 3);
	lp_close(&lp);
	klpelf_symbol_map_free(map);
	return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: test_livepatch names | walk LIVEPATCH_O LIVEPATCH_BAD_O | "
			"corrupt LIVEPATCH_O | kallsyms SAMPLE_O | kbuild MODULE_KO VERSION_FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct lp_module lp;
	int rc = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!use_guard_allocator())
		return 1;
	if (strcmp(mode, "names") == 0 && argc == 2) {
		test_rela_names();
		test_sym_names();
		test_symbol_map();
	} else if (strcmp(mode, "walk") == 0 && argc == 4) {
		if (lp_open(argv[2], &lp)) {
			test_for_each(&lp);
			lp_close(&lp);
		}
		test_resolve(argv[2]);
		test_resolution_failures(argv[2], argv[3]);
	} else if (strcmp(mode, "corrupt") == 0 && argc == 3) {
		test_corrupt(argv[2]);
	} else if (strcmp(mode, "kallsyms") == 0 && argc == 3) {
		rc = test_kallsyms(argv[2]);
	} else if (strcmp(mode, "kbuild") == 0 && argc == 4) {
		rc = test_kbuild(argv[2], argv[3]);
	} else {
		return usage();
	}
	end_guard_allocator();
	if (rc == SKIPPED)
		return SKIPPED;
	return check_summary(mode) || rc;
}
