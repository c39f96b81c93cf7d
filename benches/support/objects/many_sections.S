/*
 * A 65,279-section object for klpelf's `ingest` and `pipeline` benchmarks: the most sections plain
 * ELF numbering allows (section indices from 0xff00 up are reserved, so more would need extended
 * numbering, which the kernel rejects). What -ffunction-sections makes of a very large object: one
 * .text.* section and one global symbol per function, plus .modinfo, __versions and
 * .gnu.linkonce.this_module. The assembler's own sections (null, .text, .data, .bss, .symtab,
 * .strtab, .shstrtab) and this file's five named ones are KLPELF_FIXED_SECTIONS = 11; NSECS, given
 * on the command line, is 65,279 minus that. SPDX-License-Identifier: GPL-2.0-only
 */
	.macro onesec
	.section .text.klp_bench_fn_\@,"ax",@progbits
	.globl klp_bench_fn_\@
	.type klp_bench_fn_\@,@function
klp_bench_fn_\@:
	ret
	.endm

	.rept NSECS
	onesec
	.endr

	.section .modinfo,"a",@progbits
	.asciz "name=klpelf_many"
	.asciz "license=GPL"
	.asciz "livepatch=Y"

	.section __versions,"a",@progbits
	.balign 8
	.quad 0x8e17b3ae
	.asciz "module_layout"
	.balign 64, 0

	.section .gnu.linkonce.this_module,"aw",@progbits
	.balign 64
	.globl __this_module
__this_module:
	.asciz "klpelf_many"
	.zero 1280 - 12

	.section .note.GNU-stack,"",@progbits
