/*
 * klpelf-inspect --modinfo (and -F FIELD): kmod's `modinfo FILE` output for a module of any 64-bit
 * architecture and byte order, or one JSON document a module with --json (inspect_modinfo.c).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_MODINFO_H
#define KLPELF_INSPECT_MODINFO_H

#include "inspect_modes.h"

extern const struct inspect_mode_ops inspect_modinfo_mode;

#endif
