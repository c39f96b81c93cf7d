/*
 * test_header_cpp.cpp: klpelf.h compiles as strict C++17 and links from C++.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include "klpelf.h"

#include <cstddef>
#include <cstdio>
#include <cstring>

static_assert(sizeof(klp_modinfo) == 88, "struct klp_modinfo is 88 bytes");
static_assert(sizeof(module) == 104, "struct module is 104 bytes");
static_assert(offsetof(module, klp_info) == 96, "module.klp_info is at 96");
static_assert(sizeof(load_info) == 136, "struct load_info is 136 bytes");
static_assert(offsetof(load_info, index) == 104, "load_info.index is at 104");
static_assert(sizeof(klpelf_allocator) == 24, "struct klpelf_allocator is 24 bytes");

#define STR(x) #x
#define VERSION_STRING(a, b, c) STR(a) "." STR(b) "." STR(c)

int main()
{
	const char *expected =
		VERSION_STRING(KLPELF_VERSION_MAJOR, KLPELF_VERSION_MINOR, KLPELF_VERSION_PATCH);
	const char *version = klpelf_version();
	module mod = {};

	free_module_elf(&mod);
	if (version == nullptr || std::strcmp(version, expected) != 0 || mod.klp_info != nullptr) {
		std::fprintf(stderr, "%s:%d: klpelf_version(): expected \"%s\", got \"%s\"\n",
			     __FILE__, __LINE__, expected, version ? version : "(null)");
		std::printf("test_header_cpp: 0 passed, 1 failed\n");
		return 1;
	}
	std::printf("klpelf %s\ntest_header_cpp: 1 passed, 0 failed\n", version);
	return 0;
}
