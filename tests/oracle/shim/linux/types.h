/*
 * linux/types.h: the system's (__u8, __be32, ... for the kernel's uapi headers); the kernel's own
 * short names are in kernel_shim.h. SPDX-License-Identifier: GPL-2.0-only
 */
#include_next <linux/types.h>
