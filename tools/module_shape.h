/*
 * module_shape.h: what makes a C file compile into a module-shaped object without kbuild, shared by
 * the sample livepatch module (tools/sample_livepatch.c) and the test fixtures (c_tests/fixtures/):
 * .modinfo tags, a stand-in for the target kernel's struct module, __versions entries, livepatch
 * symbol names, and the sections klp_convert (tools/klp_convert.c) turns into livepatch relocation
 * sections. SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef KLPELF_MODULE_SHAPE_H
#define KLPELF_MODULE_SHAPE_H

/* One `tag=value` entry of .modinfo, as the kernel's MODULE_INFO() makes it. */
#define MODINFO(tag, value)                                                                     \
	static const char modinfo_##tag[] __attribute__((section(".modinfo"), used, aligned(1))) = \
		#tag "=" value

/* The .modinfo tags of a livepatch module: its name, the GPL license, livepatch=Y, and what it
 * is. */
#define LIVEPATCH_MODINFO(modname, what) \
	MODINFO(name, modname);          \
	MODINFO(license, "GPL");         \
	MODINFO(livepatch, "Y");         \
	MODINFO(description, what)

/* Stands in for the target kernel's struct module in .gnu.linkonce.this_module: the kernel
 * requires SHF_ALLOC and a fixed size (1,024 bytes here; klpelf cannot check the size). */
struct this_module_stub {
	char name[56];
	int (*init)(void);
	void (*exit)(void);
	unsigned char rest[952];
};

/* The module's own struct module, __this_module: its name and its init and exit functions (0 for
 * none). */
#define THIS_MODULE(modname, init_fn, exit_fn)                                  \
	struct this_module_stub __this_module                                   \
		__attribute__((section(".gnu.linkonce.this_module"), used)) = { \
			.name = modname,                                        \
			.init = init_fn,                                        \
			.exit = exit_fn,                                        \
		}

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

/* `var`, a reference to the livepatch symbol `name` (".klp.sym.<object>.<symbol>,<position>"). */
#define KLP_SYMBOL(var, name) extern char var[] __asm__(KLP_SYM(name))

/*
 * What klp_convert makes a livepatch relocation section of: the data section .rodata.<sec>, which
 * holds the references given (to livepatch symbols only, so its relocations use nothing else), and
 * the placeholder section .klp.rela.<object>..rodata.<sec> that takes over those relocations.
 */
#define KLP_RELA_SECTION(object, sec, ...)                                                     \
	const void *const sec##_refs[] __attribute__((section(".rodata." #sec), used)) = {       \
		__VA_ARGS__                                                                    \
	};                                                                                     \
	static const char sec##_placeholder[1]                                                 \
		__attribute__((section(".klp.rela." #object "..rodata." #sec), used)) = { 0 }

#endif /* KLPELF_MODULE_SHAPE_H */
