/* linux/printk.h: the kernel code's include, served by the oracle's shim. SPDX-License-Identifier: GPL-2.0-only */
#include "../kernel_shim.h"
