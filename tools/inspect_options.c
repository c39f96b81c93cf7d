/*
 * klpelf-inspect's command line, parsed with getopt_long: see inspect_options.h.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _GNU_SOURCE /* getopt_long */
#include "inspect_options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Long-only options get values past any character. */
enum {
	OPT_JSON = 0x100,
	OPT_SAMPLE,
	OPT_RESOLVE,
	OPT_KERNEL_RELEASE,
	OPT_RELOCS,
	OPT_BASE,
	OPT_STRICT,
	OPT_VERIFY,
	OPT_VERIFY_KERNEL,
	OPT_MODINFO,
};

/* One option: getopt_long's fields, and its line in --help. */
struct option_row {
	const char *name;
	int has_arg;
	int val;           /* the short option's character, or an OPT_ value */
	const char *arg;   /* the argument's name in --help, NULL without one */
	const char *help;
};

static const struct option_row rows[] = {
	{ "help", no_argument, 'h', NULL, "print this help and exit" },
	{ "version", no_argument, 'V', NULL, "print the program's and klpelf's version and exit" },
	{ "json", no_argument, OPT_JSON, NULL,
	  "one JSON document per module, one per line (docs/json.md)" },
	{ "quiet", no_argument, 'q', NULL, "print no report: the exit status only" },
	{ "sample", no_argument, OPT_SAMPLE, NULL,
	  "inspect the sample livepatch module built into the program" },
	{ "resolve", required_argument, OPT_RESOLVE, "MAP",
	  "resolve every .klp.sym symbol against MAP (a System.map or /proc/kallsyms)" },
	{ "kernel-release", required_argument, OPT_KERNEL_RELEASE, "REL",
	  "the kernel MAP belongs to (default: from MAP's name System.map-REL, or uname -r for "
	  "/proc/kallsyms); a module whose vermagic names another is rejected" },
	{ "force", no_argument, 'f', NULL,
	  "a kernel release that differs from the module's vermagic is only a warning" },
	{ "relocs", no_argument, OPT_RELOCS, NULL,
	  "with --resolve: lay the sections out and apply every livepatch relocation" },
	{ "base", required_argument, OPT_BASE, "ADDR",
	  "with --relocs: place the sections from ADDR (default 0xffffffffc0000000, the module area)" },
	{ "strict", no_argument, OPT_STRICT, NULL,
	  "with --relocs: a relocation the kernel would truncate is a failure" },
	{ "verify", required_argument, OPT_VERIFY, "CERT",
	  "verify each module's signature as the kernel does, trusting the X.509 certificates in "
	  "CERT (PEM or DER); may be given several times" },
	{ "verify-kernel", required_argument, OPT_VERIFY_KERNEL, "IMAGE",
	  "verify each module's signature against the certificates built into the kernel IMAGE "
	  "(vmlinux or vmlinuz)" },
	{ "modinfo", no_argument, OPT_MODINFO, NULL,
	  "print what kmod's modinfo prints for each FILE (any 64-bit architecture), or with --json "
	  "its .modinfo, version tables, vermagic and signature" },
	{ "field", required_argument, 'F', "FIELD",
	  "with --modinfo (implied): print only FIELD's values, as modinfo -F" },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* Prints `text` from column `indent` (where the cursor is), wrapped at words before `width`. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
	int at = indent, first = 1;

	while (*text) {
		int len = (int)strcspn(text, " ");
		if (!first && at + 1 + len > width) {
			fprintf(out, "\n%*s", indent, "");
			at = indent;
		} else if (!first) {
			fputc(' ', out);
			at++;
		}
		fprintf(out, "%.*s", len, text);
		first = 0;
		at += len;
		text += len;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

void print_usage(FILE *out, const char *argv0)
{
	size_t i;

	fprintf(out,
		"usage: %s [OPTION]... FILE...\n"
		"       %s [OPTION]... --sample\n"
		"Checks each kernel module FILE (.ko, .ko.xz, .ko.zst, .ko.gz; - for standard input) as\n"
		"the kernel's loader does, persists its ELF information with copy_module_elf() and\n"
		"reports it.\n\nOptions:\n",
		argv0, argv0);
	for (i = 0; i < NROWS; i++) {
		char left[64];
		if (rows[i].val < 0x100)
			snprintf(left, sizeof(left), "-%c, --%s", rows[i].val, rows[i].name);
		else
			snprintf(left, sizeof(left), "    --%s", rows[i].name);
		if (rows[i].arg) {
			strcat(left, " ");
			strcat(left, rows[i].arg);
		}
		if (strlen(left) > 22)
			fprintf(out, "  %s\n%26s", left, "");
		else
			fprintf(out, "  %-24s", left);
		print_wrapped(out, rows[i].help, 26, 96);
	}
	fprintf(out,
		"\nExit status: 0 every module accepted, 1 a module rejected (or a symbol or relocation\n"
		"refused, or a kernel release mismatch without --force, or with --verify or --verify-kernel\n"
		"a signature that is not valid: unsigned, unknown key, bad signature), 2 a usage error or\n"
		"a file that could not be read. With several files, the worst of them.\n");
}

int usage_error(const char *argv0, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", argv0);
	return INSPECT_USAGE;
}

/* getopt_long's table and short-option string, from rows[]. */
static void build_tables(struct option longs[NROWS + 1], char shorts[2 * NROWS + 2])
{
	size_t i, n = 0;

	shorts[n++] = ':'; /* a missing argument is reported as ':' */
	for (i = 0; i < NROWS; i++) {
		longs[i].name = rows[i].name;
		longs[i].has_arg = rows[i].has_arg;
		longs[i].flag = NULL;
		longs[i].val = rows[i].val;
		if (rows[i].val < 0x100) {
			shorts[n++] = (char)rows[i].val;
			if (rows[i].has_arg == required_argument)
				shorts[n++] = ':';
		}
	}
	shorts[n] = '\0';
	memset(&longs[NROWS], 0, sizeof(longs[NROWS]));
}

/* An address: decimal, or hexadecimal with 0x. */
static int parse_address(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text[0] == '-' || text[0] == '\0')
		return -1;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* The option getopt_long stopped at, as the user spelled it, for messages: a short option's
 * letter (within a cluster such as -qx), else the argument it read. */
static const char *spelled(char **argv, int before, char buf[3])
{
	if (optopt > 0 && optopt < 0x100 && argv[before][1] != '-') {
		buf[0] = '-';
		buf[1] = (char)optopt;
		buf[2] = '\0';
		return buf;
	}
	return argv[optind > before ? optind - 1 : before];
}

/* Applies one option getopt_long returned. Returns 0 or INSPECT_USAGE. */
static int take_option(int c, const char *arg, const char *spelled, struct inspect_options *o)
{
	switch (c) {
	case 'h': o->mode = MODE_HELP; return 0;
	case 'V': o->mode = MODE_VERSION; return 0;
	case 'q': o->quiet = 1; return 0;
	case 'f': o->force = 1; return 0;
	case OPT_JSON: o->json = 1; return 0;
	case OPT_SAMPLE: o->sample = 1; return 0;
	case OPT_RESOLVE: o->map_path = arg; return 0;
	case OPT_KERNEL_RELEASE: o->kernel_release = arg; return 0;
	case OPT_RELOCS: o->relocs = 1; return 0;
	case OPT_STRICT: o->strict = 1; return 0;
	case OPT_VERIFY:
		if (o->nverify_certs == INSPECT_MAX_CERTS)
			return usage_error(o->argv0, "more than %d --verify options",
					   INSPECT_MAX_CERTS);
		o->verify_certs[o->nverify_certs++] = arg;
		return 0;
	case OPT_VERIFY_KERNEL: o->verify_kernel = arg; return 0;
	case OPT_MODINFO: o->mode = MODE_MODINFO; return 0;
	case 'F': o->mode = MODE_MODINFO; o->field = arg; return 0;
	case OPT_BASE:
		if (parse_address(arg, &o->base))
			return usage_error(o->argv0, "--base '%s' is not an address (decimal, or 0x...)",
					   arg);
		o->base_given = 1;
		return 0;
	case ':':
		return usage_error(o->argv0, "option '%s' needs an argument", spelled);
	default:
		return usage_error(o->argv0, "unknown or ambiguous option '%s'", spelled);
	}
}

/* What the options ask for must make sense together. */
static int check_combination(struct inspect_options *o)
{
	if (o->mode == MODE_HELP || o->mode == MODE_VERSION)
		return 0;
	if ((o->relocs || o->strict || o->base_given) && !o->map_path)
		return usage_error(o->argv0, "--relocs, --base and --strict need --resolve MAP");
	if ((o->strict || o->base_given) && !o->relocs)
		return usage_error(o->argv0, "--base and --strict need --relocs");
	if ((o->kernel_release || o->force) && !o->map_path)
		return usage_error(o->argv0, "--kernel-release and --force need --resolve MAP");
	if (o->mode == MODE_MODINFO && (o->map_path || o->sample))
		return usage_error(o->argv0, "--modinfo takes module FILEs, without --resolve or "
					     "--sample");
	if (o->sample && o->nfiles)
		return usage_error(o->argv0, "--sample takes no FILE; give one or the other");
	if (!o->sample && !o->nfiles)
		return usage_error(o->argv0, "no module FILE given (--sample inspects the built-in "
					     "sample)");
	return 0;
}

int parse_options(int argc, char **argv, struct inspect_options *o)
{
	struct option longs[NROWS + 1];
	char shorts[2 * NROWS + 2];
	char buf[3];
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->argv0 = argv[0];
	o->base = INSPECT_DEFAULT_BASE;
	build_tables(longs, shorts);
	opterr = 0; /* usage_error() words the messages */
	optind = 1;
	for (;;) {
		int before = optind;
		c = getopt_long(argc, argv, shorts, longs, NULL);
		if (c == -1)
			break;
		rc = take_option(c, optarg, spelled(argv, before, buf), o);
		if (rc)
			return rc;
	}
	o->files = argv + optind;
	o->nfiles = argc - optind;
	return check_combination(o);
}
