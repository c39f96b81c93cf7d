/*
 * klpelf-inspect: shows what a loader persists for a kernel module. It reads a module file, checks it
 * as the kernel does (klpelf_setup_load_info), prepares a struct module (klpelf_prepare_module),
 * persists the ELF information (copy_module_elf), prints it, and releases everything.
 *
 * Usage: klpelf-inspect [--json] [--resolve MAP [--relocs [--base ADDR] [--strict]]]
 *                       [FILE.ko|FILE.ko.xz|FILE.ko.zst|FILE.ko.gz|-]
 * Without FILE it inspects the sample livepatch module built into it; "-" reads standard input.
 * Compressed modules (xz, zstd, gzip) are told by their first bytes and decompressed by klpelf.
 * With --resolve, it also resolves every .klp.sym symbol of the module against MAP (a System.map or
 * /proc/kallsyms) with the kernel's rules, lists each with its address or why it does not resolve,
 * and then runs the kernel's resolution walk over the livepatch relocation sections
 * (klpelf_resolve_symbols). With --relocs it also places the module's sections from ADDR (the
 * module area by default) and lists and applies every livepatch relocation there, naming the first
 * the kernel would refuse.
 * Exit status: 0 when the module was accepted and persisted (and, with --resolve, every symbol
 * resolved; with --relocs, every relocation would apply), 1 when klpelf rejected it (a corrupt or
 * oversized compressed stream included), a symbol did not resolve or a relocation would be refused
 * (or, with --strict, truncated), 2 on a usage or I/O error. The printing is in inspect_output.c,
 * the --resolve check in inspect_resolve.c, the --relocs pre-flight in inspect_relocs.c.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <klpelf.h>

#include "inspect_output.h"
#include "inspect_relocs.h"
#include "inspect_resolve.h"

extern const unsigned char klpelf_sample_image[];
extern const unsigned char klpelf_sample_image_end[];

#define SAMPLE_NAME "(built-in sample livepatch module)"

/* ---- input --------------------------------------------------------------------------------- */

/*
 * The module image: klpelf opens the file (mapped, or decompressed when it is .ko.xz, .ko.zst or
 * .ko.gz, told by magic), standard input for "-", or a copy of the built-in sample. Returns 0, or
 * klpelf's negative errno with klpelf_last_error() saying why.
 */
static int open_image(const char *file, struct klpelf_image **img, const char **step)
{
	if (!file) {
		*step = "klpelf_image_from_bytes";
		return klpelf_image_from_bytes(klpelf_sample_image,
					       (size_t)(klpelf_sample_image_end - klpelf_sample_image),
					       img);
	}
	if (strcmp(file, "-") == 0) {
		*step = "klpelf_image_from_fd";
		return klpelf_image_from_fd(0, img);
	}
	*step = "klpelf_image_open";
	return klpelf_image_open(file, img);
}

/* Whether an open failure is the input's content (exit 1) rather than reading it (exit 2). */
static int rejected_content(int err)
{
	return err == -ENOEXEC || err == -EFBIG;
}

/* ---- the pipeline ------------------------------------------------------------------------ */

static size_t section_count(const struct klp_modinfo *klp)
{
	return klp->hdr.e_shnum ? klp->hdr.e_shnum : (size_t)klp->sechdrs[0].sh_size;
}

/* setup -> prepare -> copy_module_elf -> [resolve [relocs]] -> print -> release. Returns the exit
 * status. */
static int inspect(const char *file, struct klpelf_image *img, int json, const char *map_path,
		   struct preflight *relocs)
{
	void *bytes = klpelf_image_data(img);
	size_t len = klpelf_image_size(img);
	struct load_info info;
	struct module mod;
	struct klpelf_signature sig;
	struct report r = { file, len, klpelf_image_compression(img), &info, &mod, NULL, 0 };
	struct resolution res;
	const char *step = "klpelf_setup_load_info";
	int err, status = 0;

	memset(&info, 0, sizeof(info));
	memset(&mod, 0, sizeof(mod));
	memset(&res, 0, sizeof(res));
	res.map_path = map_path;
	if (klpelf_module_signature(bytes, len, &sig) == 0)
		r.sig = &sig;
	err = klpelf_setup_load_info(&info, bytes, len, KLPELF_SETUP_ALLOW_XNUM);
	if (!err) {
		step = "klpelf_prepare_module";
		err = klpelf_prepare_module(&mod, &info);
	}
	if (!err) {
		step = "copy_module_elf";
		err = copy_module_elf(&mod, &info);
	}
	if (!err && map_path) {
		step = "klpelf_symbol_map_load";
		err = klpelf_symbol_map_load(map_path, &res.map);
		if (!err)
			err = resolve_all(&mod, &res);
		status = res.failed || res.walk_err;
		if (!err && relocs) {
			step = "--relocs";
			res.preflight = relocs;
			err = preflight_run(&mod, &info, bytes, &res, relocs);
			status |= preflight_failed(relocs);
		}
	}
	if (err) {
		print_rejection(file, step, err, json);
		status = 1;
	} else {
		r.count = section_count(mod.klp_info);
		if (json) {
			print_json(&r, map_path ? &res : NULL);
		} else {
			print_text(&r);
			if (map_path)
				print_resolution_text(&res);
			if (res.preflight)
				print_preflight_text(relocs);
		}
	}
	klpelf_symbol_map_free(res.map);
	free(res.refs);
	klpelf_release_module(&mod);
	return status;
}

static int usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s [--json] [--resolve MAP [--relocs [--base ADDR] [--strict]]]\n"
		"       [FILE.ko|FILE.ko.xz|FILE.ko.zst|FILE.ko.gz|-]\n",
		argv0);
	return 2;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *map_path = NULL;
	const char *name, *step;
	struct klpelf_image *img = NULL;
	struct preflight relocs;
	int i, json = 0, rc, want_relocs = 0;
	char *end;

	memset(&relocs, 0, sizeof(relocs));
	relocs.base = PREFLIGHT_DEFAULT_BASE;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--resolve") == 0 && i + 1 < argc)
			map_path = argv[++i];
		else if (strcmp(argv[i], "--relocs") == 0)
			want_relocs = 1;
		else if (strcmp(argv[i], "--strict") == 0)
			relocs.strict = 1;
		else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc) {
			errno = 0;
			relocs.base = strtoull(argv[++i], &end, 0);
			if (errno || *end || end == argv[i])
				return usage(argv[0]);
		}
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(argv[0]) - 2;
		else if ((argv[i][0] == '-' && argv[i][1] != '\0') || file)
			return usage(argv[0]);
		else
			file = argv[i];
	}
	if (want_relocs && !map_path)
		return usage(argv[0]);
	name = !file ? SAMPLE_NAME : strcmp(file, "-") == 0 ? "(standard input)" : file;
	rc = open_image(file, &img, &step);
	if (rc && rejected_content(rc)) {
		print_rejection(name, step, rc, json);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "%s: %s\n", argv[0], klpelf_last_error());
		return 2;
	}
	rc = inspect(name, img, json, map_path, want_relocs ? &relocs : NULL);
	preflight_free(&relocs);
	klpelf_image_close(img);
	return rc;
}
