/*
 * test_layout.c: the C header's structs have the sizes and field offsets of the kernel's on x86-64
 * (struct klp_modinfo, struct mod_kallsyms, struct load_info and its index as in v6.14; klpelf's
 * struct module keeps the kernel's order of the members it has), proven at compile time; the
 * version string matches the header's macros. SPDX-License-Identifier: GPL-2.0-only
 */

#include <stddef.h>
#include <stdio.h>

#include "check.h"
#include "klpelf.h"

#define SIZE_IS(type, n) STATIC_CHECK(sizeof(type) == (n), "sizeof(" #type ") is " #n)
#define OFFSET_IS(type, field, n) \
	STATIC_CHECK(offsetof(type, field) == (n), "offsetof(" #type ", " #field ") is " #n)

#if MODULE_NAME_LEN != 56
#error "MODULE_NAME_LEN must be 56 (64 - sizeof(unsigned long))"
#endif

SIZE_IS(Elf64_Ehdr, 64);
SIZE_IS(Elf64_Shdr, 64);

SIZE_IS(struct klp_modinfo, 88);
OFFSET_IS(struct klp_modinfo, hdr, 0);
OFFSET_IS(struct klp_modinfo, sechdrs, 64);
OFFSET_IS(struct klp_modinfo, secstrings, 72);
OFFSET_IS(struct klp_modinfo, symndx, 80);

SIZE_IS(struct mod_kallsyms, 32);
OFFSET_IS(struct mod_kallsyms, symtab, 0);
OFFSET_IS(struct mod_kallsyms, num_symtab, 8);
OFFSET_IS(struct mod_kallsyms, strtab, 16);
OFFSET_IS(struct mod_kallsyms, typetab, 24);

SIZE_IS(struct module, 104);
OFFSET_IS(struct module, name, 0);
OFFSET_IS(struct module, core_kallsyms, 56);
OFFSET_IS(struct module, klp, 88);
OFFSET_IS(struct module, klp_alive, 89);
OFFSET_IS(struct module, klp_info, 96);

SIZE_IS(struct klpelf_load_info_index, 32);
OFFSET_IS(struct klpelf_load_info_index, sym, 0);
OFFSET_IS(struct klpelf_load_info_index, str, 4);
OFFSET_IS(struct klpelf_load_info_index, mod, 8);
OFFSET_IS(struct klpelf_load_info_index, vers, 12);
OFFSET_IS(struct klpelf_load_info_index, info, 16);
OFFSET_IS(struct klpelf_load_info_index, pcpu, 20);
OFFSET_IS(struct klpelf_load_info_index, vers_ext_crc, 24);
OFFSET_IS(struct klpelf_load_info_index, vers_ext_name, 28);

SIZE_IS(struct load_info, 136);
OFFSET_IS(struct load_info, name, 0);
OFFSET_IS(struct load_info, mod, 8);
OFFSET_IS(struct load_info, hdr, 16);
OFFSET_IS(struct load_info, len, 24);
OFFSET_IS(struct load_info, sechdrs, 32);
OFFSET_IS(struct load_info, secstrings, 40);
OFFSET_IS(struct load_info, strtab, 48);
OFFSET_IS(struct load_info, symoffs, 56);
OFFSET_IS(struct load_info, stroffs, 64);
OFFSET_IS(struct load_info, init_typeoffs, 72);
OFFSET_IS(struct load_info, core_typeoffs, 80);
OFFSET_IS(struct load_info, sig_ok, 88);
OFFSET_IS(struct load_info, mod_kallsyms_init_off, 96);
OFFSET_IS(struct load_info, index, 104);

SIZE_IS(struct klpelf_allocator, 24);
OFFSET_IS(struct klpelf_allocator, alloc, 0);
OFFSET_IS(struct klpelf_allocator, free, 8);
OFFSET_IS(struct klpelf_allocator, ctx, 16);

#define STR(x) #x
#define VERSION_STRING(a, b, c) STR(a) "." STR(b) "." STR(c)

int main(void)
{
	const char *expected =
		VERSION_STRING(KLPELF_VERSION_MAJOR, KLPELF_VERSION_MINOR, KLPELF_VERSION_PATCH);

	CHECK_EQ_STR(klpelf_version(), expected);
	CHECK_EQ_INT(sizeof(((struct module *)0)->name), MODULE_NAME_LEN);
	printf("klpelf %s; layouts checked at compile time\n", klpelf_version());
	return check_summary("test_layout");
}
