/*
 * linux/errno.h: the C library includes this too, so it only forwards to the system's; the errno
 * values the kernel code uses are the same. SPDX-License-Identifier: GPL-2.0-only
 */
#include_next <linux/errno.h>
