/*
 * The sample livepatch module klpelf-inspect shows when run without a file: shaped like a module
 * built by kbuild (.modinfo tags with livepatch=Y, a .gnu.linkonce.this_module struct, __versions),
 * and a real livepatch module in the kernel's format: a livepatch relocation section
 * (.klp.rela.vmlinux..rodata.klp_refs) whose relocations use livepatch symbols (.klp.sym.*) naming
 * real vmlinux symbols of x86-64 kernels. Built from this source at build time, converted into the
 * livepatch format by the test tool klp_convert (tools/klp_convert.c), and embedded into
 * klpelf-inspect; `klpelf-inspect --resolve /proc/kallsyms` resolves it on a running kernel.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#include "module_shape.h"

LIVEPATCH_MODINFO("klpelf_sample", "klpelf's bundled sample livepatch module");

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

THIS_MODULE("klpelf_sample", sample_init, 0);

/*
 * The vmlinux symbols the patch uses. cmdline_proc_show is unique in vmlinux (position 0);
 * load_elf_binary exists twice in kernels with compat ELF support (fs/binfmt_elf.c and
 * fs/compat_binfmt_elf.c), so its first occurrence is named by position 1.
 */
KLP_SYMBOL(klp_cmdline_proc_show, ".klp.sym.vmlinux.cmdline_proc_show,0");
KLP_SYMBOL(klp_load_elf_binary, ".klp.sym.vmlinux.load_elf_binary,1");

/* The references: klp_convert moves their relocations (.rela.rodata.klp_refs) into
 * .klp.rela.vmlinux..rodata.klp_refs (SHT_RELA, SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH). */
KLP_RELA_SECTION(vmlinux, klp_refs, klp_cmdline_proc_show, klp_load_elf_binary);
