/* Embeds the module-shaped fixture object (tests/fixtures/module.c, compiled at build time) into
 * the -nostdlib test program, 8-byte aligned and writable (klpelf_prepare_module() rewrites the
 * section headers' sh_addr, as the kernel does). SPDX-License-Identifier: GPL-2.0-only */
	.section .data.klpelf_fs_image, "aw"
	.balign 8
	.globl klpelf_fs_image
klpelf_fs_image:
	.incbin KLPELF_FS_IMAGE
	.globl klpelf_fs_image_end
klpelf_fs_image_end:
	.section .note.GNU-stack, "", @progbits
