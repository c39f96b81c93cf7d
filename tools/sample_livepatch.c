/*
 * The sample livepatch module klpelf-inspect shows when run without a file: shaped like a module
 * built by kbuild (.modinfo tags with livepatch=Y, a .gnu.linkonce.this_module struct, __versions),
 * with a livepatch relocation section and a .klp.sym symbol made by the assembler.
 * Built from this source at build time and embedded into klpelf-inspect.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#define MODINFO(tag, value)                                                                     \
	static const char modinfo_##tag[] __attribute__((section(".modinfo"), used, aligned(1))) = \
		#tag "=" value

MODINFO(name, "klpelf_sample");
MODINFO(license, "GPL");
MODINFO(livepatch, "Y");
MODINFO(description, "klpelf's bundled sample livepatch module");

/* Stands in for the target kernel's struct module: allocated, fixed size. */
struct this_module_stub {
	char name[56];
	int (*init)(void);
	unsigned char rest[960];
};

struct modversion_info {
	unsigned long crc;
	char name[64 - sizeof(unsigned long)];
};

static const struct modversion_info versions[] __attribute__((section("__versions"), used)) = {
	{ 0x1c5ab3b5UL, "klp_enable_patch" },
};

/* The replacement function this livepatch would install. */
int livepatch_cmdline_proc_show(void *m, void *v)
{
	(void)v;
	return m ? 0 : -22;
}

static int sample_init(void)
{
	return livepatch_cmdline_proc_show((void *)0, (void *)0);
}

struct this_module_stub __this_module
	__attribute__((section(".gnu.linkonce.this_module"), used)) = {
		.name = "klpelf_sample",
		.init = sample_init,
	};

/*
 * A livepatch relocation section, flagged SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH
 * (0x100042), type SHT_RELA (4), and a reference to a livepatch symbol by its .klp.sym name.
 */
__asm__(".section .klp.rela.vmlinux..text.livepatch_cmdline_proc_show,\"0x100042\",%4\n"
	".section .rodata.klp_ref,\"a\"\n"
	".quad \".klp.sym.vmlinux.saved_command_line,0\"\n"
	".text\n");
