/*
 * The kernel baseline of klpelf's `relocs` benchmark group: the kernel's own
 * __write_relocate_add() (arch/x86/kernel/module.c), cut out of a kernel source tree unmodified by
 * this crate's build.rs and compiled here, with the few definitions it needs from the kernel's
 * headers. SPDX-License-Identifier: GPL-2.0-only
 *
 * Only the relocation loop is the kernel's; its messages (pr_err, pr_warn, DEBUGP) print nothing,
 * which changes nothing on the success path the benchmark measures.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int64_t s64;
typedef int32_t s32;

/* The kernel's struct module, as far as the function reads it. */
struct module {
	char name[56];
};

#define pr_err(...) ((void)0)
#define pr_warn(...) ((void)0)
#define DEBUGP(...) ((void)0)

#include KLPELF_KERNEL_WRITE_RELOCATE_ADD

/* write_relocate_add() for a module that is not live yet: the writes are memcpy(). */
int kernel_write_relocate_add(Elf64_Shdr *sechdrs, unsigned int symindex, unsigned int relsec,
			      int apply)
{
	static struct module me = { "klpelf_bench" };

	return __write_relocate_add(sechdrs, NULL, symindex, relsec, &me, memcpy, apply != 0);
}
