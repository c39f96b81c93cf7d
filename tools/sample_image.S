/* Embeds the sample livepatch module object (built from sample_livepatch.c) into klpelf-inspect. */
	.section .rodata.klpelf_sample, "a"
	.balign 8
	.globl klpelf_sample_image
klpelf_sample_image:
	.incbin KLPELF_SAMPLE_OBJECT
	.globl klpelf_sample_image_end
klpelf_sample_image_end:
	.section .note.GNU-stack, "", @progbits
