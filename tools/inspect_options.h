/*
 * klpelf-inspect's command line: one table of options (inspect_options.c) gives getopt_long its
 * options and --help its text. A new mode is one row of that table, one value of enum
 * inspect_mode, one case in take_option() and one entry of the mode table in klpelf-inspect.c;
 * and its item in the manual, docs/klpelf-inspect.1 (the test inspect_cli_manpage compares the
 * option lists of --help and the manual).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_OPTIONS_H
#define KLPELF_INSPECT_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

/* The start of the x86-64 kernel's module area (MODULES_VADDR without KASLR): --base's default. */
#define INSPECT_DEFAULT_BASE UINT64_C(0xffffffffc0000000)

/* The most --verify options a run takes. */
#define INSPECT_MAX_CERTS 64

/* Exit statuses: the worst over all files is the program's. */
enum inspect_status {
	INSPECT_OK = 0,       /* every module accepted (and every check asked for passed) */
	INSPECT_REJECTED = 1, /* a module rejected, or a symbol or relocation refused */
	INSPECT_USAGE = 2,    /* a usage error, or a file or map that could not be read */
};

/* What the run does with each module. */
enum inspect_mode {
	MODE_INSPECT, /* the report: checks, persisted ELF information, [--resolve [--relocs]] */
	MODE_HELP,    /* -h, --help: usage on standard output */
	MODE_VERSION, /* -V, --version */
	MODE_MODINFO, /* --modinfo, -F FIELD: what kmod's modinfo prints (inspect_modinfo.c) */
	MODE_COUNT
};

struct inspect_options {
	enum inspect_mode mode;
	int json;                   /* --json: one JSON document per module (JSON Lines) */
	int quiet;                  /* -q: no report, exit status only */
	int sample;                 /* --sample: the built-in sample livepatch module */
	int force;                  /* --force: a kernel release mismatch is a warning */
	const char *map_path;       /* --resolve MAP, or NULL */
	const char *kernel_release; /* --kernel-release REL, or NULL (then from MAP's name) */
	int relocs;                 /* --relocs */
	int strict;                 /* --strict */
	uint64_t base;              /* --base ADDR, INSPECT_DEFAULT_BASE without it */
	int base_given;
	const char *verify_certs[INSPECT_MAX_CERTS]; /* --verify CERT, in order */
	int nverify_certs;
	const char *verify_kernel;  /* --verify-kernel IMAGE, or NULL */
	char **files;               /* the module files named ("-": standard input) */
	int nfiles;
	const char *argv0;
	const char *field;          /* -F FIELD: --modinfo prints only FIELD's values */
};

/* Parses argv into `o`. Returns 0, or INSPECT_USAGE after printing why (and a hint) to stderr. */
int parse_options(int argc, char **argv, struct inspect_options *o);

/* The usage text, every option with its help, as --help prints it. */
void print_usage(FILE *out, const char *argv0);

/* Prints "ARGV0: " and the formatted message to stderr, then a line pointing at --help. Returns
 * INSPECT_USAGE. */
int usage_error(const char *argv0, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#endif
