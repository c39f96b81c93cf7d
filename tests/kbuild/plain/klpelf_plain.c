// SPDX-License-Identifier: GPL-2.0-only
/* A plain out-of-tree module, built by kbuild in klpelf's tests. */
#include <linux/init.h>
#include <linux/module.h>

static int klpelf_plain_value = 7;
module_param(klpelf_plain_value, int, 0444);

static int __init klpelf_plain_init(void)
{
	pr_info("klpelf_plain: %d\n", klpelf_plain_value);
	return 0;
}

static void __exit klpelf_plain_exit(void)
{
}

module_init(klpelf_plain_init);
module_exit(klpelf_plain_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klpelf test module");
