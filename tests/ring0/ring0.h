/*
 * ring0.h: what the ring-0 test kernel's parts share: the serial console, the exception report
 * and the exit through QEMU's isa-debug-exit device. SPDX-License-Identifier: GPL-2.0-only
 */
#ifndef RING0_H
#define RING0_H

#include <stddef.h>
#include <stdint.h>

/* boot.S identity-maps the first GiB: every address below this is readable. */
#define RING0_MAPPED 0x40000000UL

/* The verdicts written to isa-debug-exit (QEMU exits with status verdict * 2 + 1). */
enum ring0_verdict {
	RING0_PASS = 0,     /* every module was handled as documented, nothing leaked */
	RING0_FAIL = 1,     /* a check of the kernel's own failed (printed before) */
	RING0_EXCEPTION = 2 /* the CPU raised an exception (printed by ring0_exception) */
};

/* mem.S */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

void ring0_console_init(void);
void ring0_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ring0_idt_init(void);
__attribute__((noreturn)) void ring0_exit(enum ring0_verdict verdict);
uint64_t ring0_read_cr0(void);
uint64_t ring0_read_cr4(void);

#endif
