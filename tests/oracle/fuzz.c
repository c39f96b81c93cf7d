/*
 * fuzz.c: the oracle's comparison as a libFuzzer target (built by fuzz.sh): every input goes
 * through klpelf and the kernel's own code in the fuzzer's process, and an undocumented
 * difference aborts. Inputs on which the kernel is expected to read out of bounds (klpelf rejects
 * them with one of its own checks, or documents the difference) skip the kernel's side: the
 * ctest oracle runs those in child processes. SPDX-License-Identifier: GPL-2.0-only
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "run.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=1:allocator_may_return_null=1";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stats stats;
	static struct record rec;
	const struct options options = { .checks = true, .copy = true, .in_process = true };
	struct image img = { malloc(size ? size : 1), size };
	struct finding f;

	oracle_stats = &stats;
	memcpy(img.bytes, data, size);
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.input, sizeof(rec.input), "fuzz input of %zu bytes", size);
	f = compare_image(&img, &rec, &options);
	image_free(&img);
	if (f.outcome == UNDOCUMENTED) {
		print_record(&rec, &f);
		abort();
	}
	return 0;
}
