/*
 * boot.S: the ring-0 test kernel's entry. A multiboot (v1) boot loader (QEMU's -kernel) starts it
 * in 32-bit protected mode with paging off; it clears .bss, identity-maps the first GiB with 2 MiB
 * pages, enters long mode, sets up the FPU/SSE state the build asks for and calls ring0_main()
 * with the multiboot information. It also holds the exception entry stubs that the IDT points at.
 *
 * SSE: a kernel does not save the SSE registers on entry, so it keeps SSE off (CR0.EM set,
 * CR4.OSFXSR clear): any SSE instruction then raises #UD (vector 6), which the IDT reports on the
 * serial port. Built with -DRING0_SSE=1 the kernel turns SSE on instead (CR0.EM clear, CR0.MP
 * set, CR4.OSFXSR and CR4.OSXMMEXCPT set), as user-space code expects.
 * SPDX-License-Identifier: GPL-2.0-only
 */

#define MULTIBOOT_MAGIC 0x1badb002
/* Bit 0: modules page-aligned (klpelf wants 8-aligned images); bit 1: memory information. */
#define MULTIBOOT_FLAGS 0x00000003

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
/* A 2 MiB page, present and writable. */
#define PDE_LARGE 0x83

	.section .multiboot, "a"
	.balign 4
	.long MULTIBOOT_MAGIC
	.long MULTIBOOT_FLAGS
	.long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	/* Keep the loader's magic (EAX) and information pointer (EBX) in ESI/EBP while .bss is
	 * cleared (rep stosb uses EDI, ECX and EAX). */
	movl %eax, %esi
	movl %ebx, %ebp
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb
	movl %esi, ring0_multiboot_magic
	movl %ebp, ring0_multiboot_info

	/* Page tables: PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] -> i * 2 MiB for the first GiB. */
	movl $ring0_pdpt, %eax
	orl $3, %eax
	movl %eax, ring0_pml4
	movl $ring0_pd, %eax
	orl $3, %eax
	movl %eax, ring0_pdpt
	movl $ring0_pd, %edi
	movl $PDE_LARGE, %eax
	movl $512, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $ring0_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0

	lgdt ring0_gdt_pointer
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $ring0_stack_top, %rsp

	movq %cr0, %rax
	movq %cr4, %rdx
#if RING0_SSE
	andq $~CR0_EM, %rax
	orq $CR0_MP, %rax
	orq $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rdx
#else
	orq $CR0_EM, %rax
	andq $~CR0_MP, %rax
	andq $~(CR4_OSFXSR | CR4_OSXMMEXCPT), %rdx
#endif
	movq %rax, %cr0
	movq %rdx, %cr4
#if RING0_SSE
	fninit
#endif

	call ring0_main
2:	hlt
	jmp 2b

/*
 * Exception entry: one stub per vector 0-31 pushes a zero error code where the CPU pushes none,
 * then the vector, so that every frame reads: vector, error code, RIP, CS, RFLAGS, RSP, SS.
 */
	.macro stub vector
	.balign 16
ring0_stub_\vector:
	.if !(\vector == 8 || (\vector >= 10 && \vector <= 14) || \vector == 17 || \vector == 21 || \vector == 29 || \vector == 30)
	pushq $0
	.endif
	pushq $\vector
	jmp ring0_exception_common
	.endm

	.altmacro
	.set vector, 0
	.rept 32
	stub %vector
	.set vector, vector + 1
	.endr

ring0_exception_common:
	movq 0(%rsp), %rdi	/* vector */
	movq 8(%rsp), %rsi	/* error code */
	movq 16(%rsp), %rdx	/* RIP */
	movq 40(%rsp), %rcx	/* RSP at the fault */
	andq $-16, %rsp
	call ring0_exception	/* reports and exits; does not return */
3:	hlt
	jmp 3b

	.section .rodata
	.balign 8
	.globl ring0_exception_stubs
ring0_exception_stubs:
	.macro stub_address vector
	.quad ring0_stub_\vector
	.endm
	.set vector, 0
	.rept 32
	stub_address %vector
	.set vector, vector + 1
	.endr

	/* Null, 64-bit code (0x08), data (0x10). */
	.balign 8
ring0_gdt:
	.quad 0
	.quad 0x00af9a000000ffff
	.quad 0x00cf92000000ffff
ring0_gdt_end:
ring0_gdt_pointer:
	.word ring0_gdt_end - ring0_gdt - 1
	.long ring0_gdt

	.section .bss
	.balign 4096
ring0_pml4:
	.skip 4096
ring0_pdpt:
	.skip 4096
ring0_pd:
	.skip 4096
	.balign 16
	.globl ring0_stack
ring0_stack:
	.skip 65536
ring0_stack_top:
	.globl ring0_multiboot_magic
ring0_multiboot_magic:
	.skip 4
	.globl ring0_multiboot_info
ring0_multiboot_info:
	.skip 4

	.section .note.GNU-stack, "", @progbits
