/*
 * klpelf-inspect's output: names for ELF values, JSON strings, and the report of what a loader
 * persisted (text or JSON) or of why klpelf rejected the module.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_OUTPUT_H
#define KLPELF_INSPECT_OUTPUT_H

#include <stddef.h>

#include <klpelf.h>

#include "inspect_json.h"

struct resolution;
struct release_check;

/* What was persisted, read back from mod->klp_info. */
struct report {
	const char *file;
	size_t file_len;                         /* the module image's bytes (decompressed) */
	enum klpelf_compression compression;     /* how the file stored them */
	const struct load_info *info;
	const struct module *mod;
	const struct klpelf_signature *sig; /* NULL when unsigned */
	size_t count;
	const struct release_check *release; /* with --resolve: the vermagic comparison */
};

void print_text(const struct report *r);
/* `res` is the --resolve result, NULL without --resolve. */
void print_json(const struct report *r, const struct resolution *res);
/* The version of the JSON documents' layout (docs/json.md), their "schema" member: raised when a
 * member changes meaning or goes away (members may be added without it). */
#define INSPECT_JSON_SCHEMA 1

/* Why `step` failed with `err`, from klpelf_last_error() and klpelf_last_error_check(). */
void print_rejection(const char *file, const char *step, int err, int json);
/* The same with the check's name (NULL for none) and the message given. */
void print_rejection_why(const char *file, const char *step, int err, const char *check,
			 const char *why, int json);

#endif
