/*
 * klpelf-inspect's names and messages for errno values (klpelf returns them negated).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_INSPECT_ERRORS_H
#define KLPELF_INSPECT_ERRORS_H

/* The C library's name of the errno value err or -err ("ENOENT"), or "error" for one it does not
 * name. */
const char *errno_name(int err);

/* strerror() of the errno value err or -err ("No such file or directory"). */
const char *errno_message(int err);

#endif
