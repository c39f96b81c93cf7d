/*
 * klpelf-inspect: shows what a loader persists for a kernel module. For each module file it checks
 * the module as the kernel does (klpelf_setup_load_info), prepares a struct module
 * (klpelf_prepare_module), persists the ELF information (copy_module_elf), prints it, and releases
 * everything; --resolve and --relocs add the livepatch pre-flight checks. The options are in
 * inspect_options.c, the report in inspect_module.c, its printing in inspect_output.c, the
 * --resolve check in inspect_resolve.c, the --relocs pre-flight in inspect_relocs.c. The manual
 * is docs/klpelf-inspect.1; docs/inspect.md describes the reports, docs/json.md the JSON.
 *
 * This file opens each module file (klpelf_image_open: mapped, or decompressed when it is .ko.xz,
 * .ko.zst or .ko.gz, told by magic; standard input for "-"; the built-in sample with --sample) and
 * hands it to the mode the options chose. Exit status: the worst of the files' (enum
 * inspect_status).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <klpelf.h>

#include "inspect_errors.h"
#include "inspect_modes.h"
#include "inspect_modinfo.h"
#include "inspect_options.h"
#include "inspect_output.h"

extern const unsigned char klpelf_sample_image[];
extern const unsigned char klpelf_sample_image_end[];

#define SAMPLE_NAME "(built-in sample livepatch module)"
#define STDIN_NAME "(standard input)"

/* The modes that run over module files, by enum inspect_mode. */
static const struct inspect_mode_ops *const modes[MODE_COUNT] = {
	[MODE_INSPECT] = &inspect_report_mode,
	[MODE_MODINFO] = &inspect_modinfo_mode,
};

/*
 * Opens the module image: the built-in sample for NULL, standard input for "-", else the file.
 * Returns 0, or klpelf's negative errno with klpelf_last_error() saying why.
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

/* Whether an open failure is the input's content (a rejection, exit 1) rather than reading it. */
static int rejected_content(int err)
{
	return err == -ENOEXEC || err == -EFBIG;
}

/* One module file through the mode; returns its exit status. */
static int run_file(struct inspect_run *run, const struct inspect_mode_ops *mode, const char *file)
{
	const struct inspect_options *o = run->opts;
	const char *name = !file ? SAMPLE_NAME : strcmp(file, "-") == 0 ? STDIN_NAME : file;
	const char *step;
	struct klpelf_image *img = NULL;
	int err, status;

	err = open_image(file, &img, &step);
	if (err && rejected_content(err)) {
		if (!o->quiet)
			print_rejection(name, step, err, o->json);
		return INSPECT_REJECTED;
	}
	if (err) {
		fprintf(stderr, "%s: module file %s: %s (%s)\n", o->argv0, name, errno_message(err),
			errno_name(err));
		return INSPECT_USAGE;
	}
	status = mode->file(run, name, img);
	klpelf_image_close(img);
	return status;
}

/* Every file named, or the sample, through the mode; returns the worst exit status. */
static int run_files(struct inspect_run *run, const struct inspect_mode_ops *mode)
{
	const struct inspect_options *o = run->opts;
	int i, status, worst;

	if (o->sample)
		return run_file(run, mode, NULL);
	worst = INSPECT_OK;
	for (i = 0; i < o->nfiles; i++) {
		if (o->nfiles > 1 && !o->json && !o->quiet && o->mode != MODE_MODINFO)
			printf("%s==> %s <==\n", i ? "\n" : "", o->files[i]);
		fflush(stdout); /* the reports and stderr's messages stay in order */
		status = run_file(run, mode, o->files[i]);
		if (status > worst)
			worst = status;
	}
	return worst;
}

int main(int argc, char **argv)
{
	struct inspect_options opts;
	struct inspect_run run;
	const struct inspect_mode_ops *mode;
	int status;

	status = parse_options(argc, argv, &opts);
	if (status)
		return status;
	if (opts.mode == MODE_HELP) {
		print_usage(stdout, argv[0]);
		return INSPECT_OK;
	}
	if (opts.mode == MODE_VERSION) {
		printf("klpelf-inspect %s\n", klpelf_version());
		return INSPECT_OK;
	}
	memset(&run, 0, sizeof(run));
	run.opts = &opts;
	mode = modes[opts.mode];
	status = mode->start ? mode->start(&run) : INSPECT_OK;
	if (status == INSPECT_OK)
		status = run_files(&run, mode);
	if (mode->finish)
		mode->finish(&run);
	return status;
}
