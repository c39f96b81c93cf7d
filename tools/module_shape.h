/*
 * module_shape.h: what makes a C file compile into a module-shaped object without kbuild, shared by
 * the sample livepatch module (tools/sample_livepatch.c) and the test fixtures (c_tests/fixtures/):
 * .modinfo tags, a stand-in for the target kernel's struct module, __versions entries, and
 * livepatch symbol names. SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_MODULE_SHAPE_H
#define KLPELF_MODULE_SHAPE_H

/* One `tag=value` entry of .modinfo, as the kernel's MODULE_INFO() makes it. */
#define MODINFO(tag, value)                                                                     \
	static const char modinfo_##tag[] __attribute__((section(".modinfo"), used, aligned(1))) = \
		#tag "=" value

/* Stands in for the target kernel's struct module in .gnu.linkonce.this_module: the kernel
 * requires SHF_ALLOC and a fixed size (1,024 bytes here; klpelf cannot check the size). */
struct this_module_stub {
	char name[56];
	int (*init)(void);
	void (*exit)(void);
	unsigned char rest[952];
};

/* A __versions entry: a symbol's CRC and its name. */
struct modversion_info {
	unsigned long crc;
	char name[64 - sizeof(unsigned long)];
};

/*
 * A livepatch symbol, `.klp.sym.<object>.<symbol>,<position>`, as an asm label: the name contains a
 * comma, so the assembler must see it quoted; GCC writes asm labels as they are, clang quotes them
 * itself.
 */
#ifdef __clang__
#define KLP_SYM(name) name
#else
#define KLP_SYM(name) "\"" name "\""
#endif

#endif /* KLPELF_MODULE_SHAPE_H */
