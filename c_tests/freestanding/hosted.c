/*
 * hosted.c: nostdlib.c's checks as an ordinary program (C library, main) against the std
 * libklpelf.a: the same code path, to compare with the -nostdlib program (README, "The freestanding
 * build"). SPDX-License-Identifier: GPL-2.0-only
 */
#define NOSTDLIB_HOSTED 1
#include "nostdlib.c"
