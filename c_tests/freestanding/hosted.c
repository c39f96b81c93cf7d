/*
 * hosted.c: the freestanding test programs' checks (pipeline.c) as an ordinary program, with a C
 * library and main, against the std libklpelf.a: the same code path as the -nostdlib program, to
 * compare with it (docs/freestanding.md). The std library allocates with malloc until
 * an allocator is set and reads files, so the checks run with has_default_allocator set.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <unistd.h>

#include "program.h"

void fs_write_stderr(const char *s, size_t len)
{
	if (write(2, s, len) < 0)
		return;
}

int main(void)
{
	return fs_run_checks(1);
}
