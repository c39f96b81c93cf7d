/*
 * console.c: the ring-0 test kernel's serial console (COM1), a small printf, the IDT that reports
 * CPU exceptions, and the exit through QEMU's isa-debug-exit device (port 0xf4).
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <stdarg.h>
#include <stdbool.h>

#include "ring0.h"

#define COM1 0x3f8
#define DEBUG_EXIT_PORT 0xf4

static inline void outb(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t value;

	__asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
	return value;
}

void ring0_console_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8 bits, no parity, one stop bit */
	outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
}

static void put_char(char c)
{
	if (c == '\n')
		put_char('\r');
	while (!(inb(COM1 + 5) & 0x20)) /* wait until the transmitter holds nothing */
		;
	outb(COM1, (uint8_t)c);
}

static void put_string(const char *s)
{
	if (!s)
		s = "(null)";
	while (*s)
		put_char(*s++);
}

static void put_unsigned(uint64_t value, unsigned int base)
{
	char digits[24];
	unsigned int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[value % base];
		value /= base;
	} while (value);
	while (n)
		put_char(digits[--n]);
}

/* %s %c %d %u %x %p, with l or z before d, u and x. */
void ring0_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		bool wide = false;
		int64_t sv;

		if (*fmt != '%') {
			put_char(*fmt);
			continue;
		}
		fmt++;
		if (*fmt == 'l' || *fmt == 'z') {
			wide = true;
			fmt++;
		}
		switch (*fmt) {
		case 's':
			put_string(va_arg(ap, const char *));
			break;
		case 'c':
			put_char((char)va_arg(ap, int));
			break;
		case 'd':
			sv = wide ? va_arg(ap, long) : va_arg(ap, int);
			if (sv < 0) {
				put_char('-');
				put_unsigned(-(uint64_t)sv, 10);
			} else {
				put_unsigned((uint64_t)sv, 10);
			}
			break;
		case 'u':
			put_unsigned(wide ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 10);
			break;
		case 'x':
			put_unsigned(wide ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int), 16);
			break;
		case 'p':
			put_string("0x");
			put_unsigned((uintptr_t)va_arg(ap, void *), 16);
			break;
		case '%':
			put_char('%');
			break;
		default:
			put_char('?');
			break;
		}
	}
	va_end(ap);
}

__attribute__((noreturn)) void ring0_exit(enum ring0_verdict verdict)
{
	ring0_printf("ring0: exit %u\n", (unsigned int)verdict);
	__asm__ volatile("outl %0, %1" : : "a"((uint32_t)verdict), "Nd"((uint16_t)DEBUG_EXIT_PORT));
	/* Without the device (not QEMU, or not configured), stop here. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

uint64_t ring0_read_cr0(void)
{
	uint64_t value;

	__asm__ volatile("movq %%cr0, %0" : "=r"(value));
	return value;
}

uint64_t ring0_read_cr4(void)
{
	uint64_t value;

	__asm__ volatile("movq %%cr4, %0" : "=r"(value));
	return value;
}

/* ---- exceptions --------------------------------------------------------------------------- */

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* boot.S: the entry stub of each vector 0-31. */
extern const uint64_t ring0_exception_stubs[32];

static struct idt_gate idt[32];

void ring0_idt_init(void)
{
	struct idt_pointer pointer = { sizeof(idt) - 1, (uintptr_t)idt };
	unsigned int i;

	for (i = 0; i < 32; i++) {
		uint64_t stub = ring0_exception_stubs[i];

		idt[i].offset_low = (uint16_t)stub;
		idt[i].selector = 0x08;
		idt[i].type = 0x8e; /* present, ring 0, 64-bit interrupt gate */
		idt[i].offset_mid = (uint16_t)(stub >> 16);
		idt[i].offset_high = (uint32_t)(stub >> 32);
	}
	__asm__ volatile("lidt %0" : : "m"(pointer));
}

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "-",   "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

/* Called by boot.S's exception stubs: reports the exception and the bytes at RIP (so that a
 * reader can tell an SSE instruction from ud2, the trap of a Rust panic) and exits. */
__attribute__((noreturn, used)) void ring0_exception(uint64_t vector, uint64_t error, uint64_t rip,
						     uint64_t rsp);

void ring0_exception(uint64_t vector, uint64_t error, uint64_t rip, uint64_t rsp)
{
	const uint8_t *at = (const uint8_t *)rip;
	const char *name = vector < 32 && exception_names[vector] ? exception_names[vector] : "?";
	unsigned int i;

	ring0_printf("exception: vector %lu (%s) at rip 0x%lx, error 0x%lx, rsp 0x%lx, bytes",
		     vector, name, rip, error, rsp);
	for (i = 0; i < 8 && rip + i < RING0_MAPPED; i++)
		ring0_printf(" %s%x", at[i] < 16 ? "0" : "", at[i]);
	ring0_printf("\n");
	ring0_exit(RING0_EXCEPTION);
}
