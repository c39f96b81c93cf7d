/*
 * klpelf-inspect's report mode: each module goes through what a loader does — the kernel's ELF
 * checks (klpelf_setup_load_info), the symbol-table copy (klpelf_prepare_module) and
 * copy_module_elf — and, with --resolve, the livepatch symbol resolution against the map loaded
 * once for the run, and with --relocs the relocation pre-flight; then the report is printed.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <klpelf.h>

#include "inspect_errors.h"
#include "inspect_modes.h"
#include "inspect_output.h"
#include "inspect_release.h"
#include "inspect_relocs.h"
#include "inspect_resolve.h"

/* Whether a failed call's errno is about its input's content rather than reading it. */
static int content_error(int err)
{
	return err == -EINVAL || err == -ENODATA || err == -EPERM || err == -ENOMEM ||
	       err == -EFBIG || err == -ENOEXEC;
}

/* Loads --resolve's map once. A map that cannot be read or used stops the run (exit 2). */
static int report_start(struct inspect_run *run)
{
	const struct inspect_options *o = run->opts;
	int err;

	if (!o->map_path)
		return INSPECT_OK;
	release_of_map(o, run->release, sizeof(run->release), &run->release_source);
	err = klpelf_symbol_map_load(o->map_path, &run->map);
	if (!err)
		return INSPECT_OK;
	fprintf(stderr, "%s: map file %s: %s (%s)\n", o->argv0, o->map_path,
		content_error(err) ? klpelf_last_error() : errno_message(err), errno_name(err));
	return INSPECT_USAGE;
}

static void report_finish(struct inspect_run *run)
{
	klpelf_symbol_map_free(run->map);
	run->map = NULL;
}

static size_t section_count(const struct klp_modinfo *klp)
{
	return klp->hdr.e_shnum ? klp->hdr.e_shnum : (size_t)klp->sechdrs[0].sh_size;
}

/* The report, text or JSON, of a module that went through the pipeline. */
static void print_report(const struct inspect_run *run, struct report *r,
			 const struct resolution *res)
{
	if (run->opts->json) {
		print_json(r, run->map ? res : NULL);
		return;
	}
	print_text(r);
	if (run->map)
		print_resolution_text(res);
	if (res->preflight)
		print_preflight_text(res->preflight);
}

/* --resolve and --relocs on a module that copy_module_elf accepted. Returns 0 or an error of the
 * steps (named in *step); *status becomes 1 when a symbol or relocation is refused. */
static int check_livepatch(const struct inspect_run *run, struct module *mod,
			   const struct load_info *info, const void *bytes, struct resolution *res,
			   const char **step, int *status)
{
	int err;

	res->map_path = run->opts->map_path;
	res->map = run->map;
	*step = "--resolve";
	err = resolve_all(mod, res);
	*status = res->failed || res->walk_err;
	if (err || !run->opts->relocs)
		return err;
	*step = "--relocs";
	res->preflight->strict = run->opts->strict;
	res->preflight->base = run->opts->base;
	err = preflight_run(mod, info, bytes, res, res->preflight);
	*status |= preflight_failed(res->preflight);
	return err;
}

/* With --resolve: the module's vermagic against the map's kernel release. Returns 0 (the same,
 * not known, or --force, with a warning), or -ENOEXEC after reporting the rejection. */
static int check_release(const struct inspect_run *run, const char *name,
			 const struct load_info *info, struct release_check *release)
{
	const struct inspect_options *o = run->opts;

	if (release_check(info, run->release, run->release_source, o->force, release)) {
		if (!o->quiet)
			print_rejection_why(name, "vermagic", -ENOEXEC, NULL, release->why, o->json);
		return -ENOEXEC;
	}
	if (!release->matches)
		fprintf(stderr, "%s: warning: %s: %s\n", o->argv0, name, release->why);
	return 0;
}

/* What a loader does with the module before livepatching: prepare and copy_module_elf. Returns 0
 * or the error of the step named in *step. */
static int persist(struct module *mod, struct load_info *info, const char **step)
{
	int err;

	*step = "klpelf_prepare_module";
	err = klpelf_prepare_module(mod, info);
	if (err)
		return err;
	*step = "copy_module_elf";
	return copy_module_elf(mod, info);
}

/* setup -> [vermagic] -> prepare -> copy_module_elf -> [resolve [relocs]] -> print -> release. */
static int report_file(struct inspect_run *run, const char *name, struct klpelf_image *img)
{
	void *bytes = klpelf_image_data(img);
	size_t len = klpelf_image_size(img);
	struct load_info info;
	struct module mod;
	struct klpelf_signature sig;
	struct report r = { name, len, klpelf_image_compression(img), &info, &mod, NULL, 0, NULL };
	struct resolution res;
	struct preflight relocs;
	struct release_check release;
	const char *step = "klpelf_setup_load_info";
	int err, status = INSPECT_OK;

	memset(&info, 0, sizeof(info));
	memset(&mod, 0, sizeof(mod));
	memset(&res, 0, sizeof(res));
	memset(&relocs, 0, sizeof(relocs));
	if (run->opts->relocs)
		res.preflight = &relocs;
	if (klpelf_module_signature(bytes, len, &sig) == 0)
		r.sig = &sig;
	err = klpelf_setup_load_info(&info, bytes, len, KLPELF_SETUP_ALLOW_XNUM);
	if (!err && run->map) {
		r.release = &release;
		if (check_release(run, name, &info, &release))
			return INSPECT_REJECTED; /* nothing was allocated yet */
	}
	if (!err)
		err = persist(&mod, &info, &step);
	if (!err && run->map)
		err = check_livepatch(run, &mod, &info, bytes, &res, &step, &status);
	if (err) {
		if (!run->opts->quiet)
			print_rejection(name, step, err, run->opts->json);
		status = INSPECT_REJECTED;
	} else if (!run->opts->quiet) {
		r.count = section_count(mod.klp_info);
		print_report(run, &r, &res);
	}
	preflight_free(&relocs);
	free(res.refs);
	klpelf_release_module(&mod);
	return status;
}

const struct inspect_mode_ops inspect_report_mode = { report_start, report_file, report_finish };
