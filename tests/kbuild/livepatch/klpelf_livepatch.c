// SPDX-License-Identifier: GPL-2.0-only
/*
 * A livepatch module in the shape of the kernel's samples/livepatch/livepatch-sample.c, built by
 * kbuild in klpelf's tests: it replaces cmdline_proc_show().
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
