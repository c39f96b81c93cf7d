// SPDX-License-Identifier: GPL-2.0-only
/*
 * A livepatch module in the shape of the kernel's samples/livepatch/livepatch-sample.c, built by
 * kbuild in klpelf's tests: it replaces cmdline_proc_show().
 *
 * It also carries livepatch relocations, as klp-convert would make them: the vmlinux symbols below
 * are named in the livepatch format (.klp.sym.<object>.<symbol>,<position>) and referenced only from
 * the data section .rodata.klp_refs, so that section's relocations use livepatch symbols only.
 * kbuild builds it with KBUILD_MODPOST_WARN=1 (modpost reports those symbols as undefined); klpelf's
 * test tool klp_convert (tools/klp_convert.c) then marks them SHN_LIVEPATCH and moves
 * .rela.rodata.klp_refs into the placeholder section .klp.rela.vmlinux..rodata.klp_refs, and the
 * test resolves them with `klpelf-inspect --resolve` against the kernel's System.map.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s\n", "this has been live patched");
	return 0;
}

/*
 * load_elf_binary exists twice (fs/binfmt_elf.c and fs/compat_binfmt_elf.c): the second is named by
 * its position. The names contain a comma, so they are quoted for the assembler (GCC writes asm
 * labels as they are; clang quotes them itself).
 */
#ifdef __clang__
#define KLP_SYM(name) name
#else
#define KLP_SYM(name) "\"" name "\""
#endif
extern char klp_cmdline_proc_show[] __asm__(KLP_SYM(".klp.sym.vmlinux.cmdline_proc_show,0"));
extern char klp_load_elf_binary[] __asm__(KLP_SYM(".klp.sym.vmlinux.load_elf_binary,2"));
extern char klp_saved_command_line[] __asm__(KLP_SYM(".klp.sym.vmlinux.saved_command_line,0"));

const void *const klp_refs[] __section(".rodata.klp_refs") __used = {
	klp_cmdline_proc_show,
	klp_load_elf_binary,
	klp_saved_command_line,
};
static const char klp_rela_placeholder[1] __section(".klp.rela.vmlinux..rodata.klp_refs") __used;

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	},
	{}
};

static struct klp_object objs[] = {
	{
		/* name being NULL means vmlinux */
		.funcs = funcs,
	},
	{}
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int klpelf_livepatch_init(void)
{
	return klp_enable_patch(&patch);
}

static void klpelf_livepatch_exit(void)
{
}

module_init(klpelf_livepatch_init);
module_exit(klpelf_livepatch_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
