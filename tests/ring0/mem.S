/*
 * mem.S: the string functions klpelf's archives call (memcpy, memmove, memset, memcmp, bcmp),
 * which a kernel provides itself. Written with string instructions and general registers only, so
 * they run with SSE off and are never compiled back into calls to themselves.
 * SPDX-License-Identifier: GPL-2.0-only
 */
	.text

	/* void *memcpy(void *dst, const void *src, size_t n) */
	.globl memcpy
	.type memcpy, @function
memcpy:
	movq %rdi, %rax
	movq %rdx, %rcx
	rep movsb
	ret
	.size memcpy, . - memcpy

	/* void *memmove(void *dst, const void *src, size_t n): backwards when dst overlaps src
	 * from above. */
	.globl memmove
	.type memmove, @function
memmove:
	movq %rdi, %rax
	movq %rdx, %rcx
	movq %rdi, %r8
	subq %rsi, %r8
	cmpq %rdx, %r8		/* dst - src >= n (unsigned): no harmful overlap */
	jae 1f
	leaq -1(%rdi, %rdx), %rdi
	leaq -1(%rsi, %rdx), %rsi
	std
	rep movsb
	cld
	ret
1:	rep movsb
	ret
	.size memmove, . - memmove

	/* void *memset(void *dst, int c, size_t n) */
	.globl memset
	.type memset, @function
memset:
	movq %rdi, %r8
	movl %esi, %eax
	movq %rdx, %rcx
	rep stosb
	movq %r8, %rax
	ret
	.size memset, . - memset

	/* int memcmp(const void *a, const void *b, size_t n); bcmp is the same function. */
	.globl memcmp
	.type memcmp, @function
	.globl bcmp
	.type bcmp, @function
memcmp:
bcmp:
	xorl %eax, %eax
	testq %rdx, %rdx
	jz 2f
	movq %rdx, %rcx
	repe cmpsb
	je 2f
	movzbl -1(%rdi), %eax
	movzbl -1(%rsi), %edx
	subl %edx, %eax
2:	ret
	.size memcmp, . - memcmp

	.section .note.GNU-stack, "", @progbits
