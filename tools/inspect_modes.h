/*
 * klpelf-inspect's modes: what a run does once before the files, with each module file, and once
 * after. klpelf-inspect.c opens each file (or the built-in sample) and hands it to the mode the
 * options chose; a mode is one struct inspect_mode_ops in its own file.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_MODES_H
#define KLPELF_INSPECT_MODES_H

#include <klpelf.h>

#include "inspect_options.h"

/* What a run shares between its files. */
struct inspect_run {
	const struct inspect_options *opts;
	struct klpelf_symbol_map *map; /* --resolve's map, loaded once by the start hook */
	char release[256];             /* the kernel release MAP belongs to, "" when unknown */
	const char *release_source;    /* where it came from: "--kernel-release", ... */
	void *mode_data;               /* a mode's own state, set by its start hook */
};

struct inspect_mode_ops {
	/* Once before the files (NULL: nothing to do). Returns an enum inspect_status; not
	 * INSPECT_OK stops the run with that status. */
	int (*start)(struct inspect_run *run);
	/* Each module: `name` as reports show it, `img` its bytes. Returns an enum inspect_status. */
	int (*file)(struct inspect_run *run, const char *name, struct klpelf_image *img);
	/* Once after the files (NULL: nothing to do); frees what start made. */
	void (*finish)(struct inspect_run *run);
};

/* The report (inspect_module.c): checks, persisted ELF information, --resolve, --relocs. */
extern const struct inspect_mode_ops inspect_report_mode;

#endif
