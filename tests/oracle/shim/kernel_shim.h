/*
 * kernel_shim.h: the little of the kernel's headers that the oracle's kernel code needs, so that
 * code compiles unmodified in user space. SPDX-License-Identifier: GPL-2.0-only
 *
 * struct module, struct load_info, struct klp_modinfo and struct mod_kallsyms are klpelf's own
 * (include/klpelf.h): the kernel's functions compiling against them check klpelf's member names
 * and types. Memory comes from malloc with a fault-injection hook, messages go to a buffer the
 * driver reads, and the kernel's string reads on the image are checked against the table they are
 * meant to stay in (see oracle_witness).
 *
 * CONFIG_* values are those of Debian's amd64 kernels (the build checks them against the fetched
 * kernel configuration).
 */

#ifndef KLPELF_ORACLE_KERNEL_SHIM_H
#define KLPELF_ORACLE_KERNEL_SHIM_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "klpelf.h"
#include "oracle.h"

/*
 * klpelf.h maps the kernel's names copy_module_elf() and free_module_elf() onto klpelf's
 * functions; the kernel's own functions of those names are compiled here as kernel_*, so that
 * both link into one program (the other exported names are renamed on the compiler's command
 * line, build.sh).
 */
#undef copy_module_elf
#undef free_module_elf
#define copy_module_elf kernel_copy_module_elf
#define free_module_elf kernel_free_module_elf

/* ---- configuration ---------------------------------------------------------------------------- */
#define CONFIG_64BIT 1
#define CONFIG_X86_64 1
#define CONFIG_SMP 1
#define CONFIG_KALLSYMS 1
#define CONFIG_LIVEPATCH 1
#define CONFIG_MODVERSIONS 1
#define CONFIG_MODULE_SIG 1
#define CONFIG_INTEGRITY_PLATFORM_KEYRING 1

/* The kernel's IS_ENABLED() (include/linux/kconfig.h), for options defined as 1. */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define __is_defined(x) ___is_defined(x)
#define IS_ENABLED(option) __is_defined(option)

/* ---- types, attributes, helpers -------------------------------------------------------------- */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef unsigned long long u64; /* as in the kernel, on every architecture */
typedef int32_t s32;
typedef long long s64;

typedef Elf64_Ehdr Elf_Ehdr;
typedef Elf64_Shdr Elf_Shdr;
typedef Elf64_Sym Elf_Sym;
typedef Elf64_Rela Elf_Rela;
typedef Elf64_Half Elf_Half;
#define ELF_ST_BIND(x) ELF64_ST_BIND(x)
#define ELF_R_SYM(x) ELF64_R_SYM(x)

/* include/uapi/linux/elf.h: livepatch's symbol section index (SHF_RELA_LIVEPATCH: oracle.h). */
#define SHN_LIVEPATCH 0xff20

/* include/uapi/linux/module.h */
#define MODULE_INIT_IGNORE_MODVERSIONS 1
#define MODULE_INIT_IGNORE_VERMAGIC 2

/* include/linux/livepatch.h */
#define KLP_SYM_PREFIX ".klp.sym."
#define KLP_RELOC_SEC_PREFIX ".klp.rela."

#define __weak __attribute__((weak))
#define __percpu
#define __maybe_unused __attribute__((unused))
#define BUILD_BUG_ON(condition) _Static_assert(!(condition), #condition)
#define be32_to_cpu(x) __builtin_bswap32(x)
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE(ptr); }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }

/* ---- memory ---------------------------------------------------------------------------------- */
/* kmalloc(0) and kmemdup(p, 0) return ZERO_SIZE_PTR, which kfree() accepts. */
#define ZERO_SIZE_PTR ((void *)16)
#define GFP_KERNEL 0

/* Allocation accounting and fault injection: struct oracle_kalloc in oracle.h. */
void *oracle_kmalloc(size_t size);
void *oracle_kmemdup(const void *src, size_t size);
void oracle_kfree(const void *ptr);
#define kmalloc(size, gfp) oracle_kmalloc(size)
#define kmemdup(src, size, gfp) oracle_kmemdup(src, size)
#define kfree(ptr) oracle_kfree(ptr)

/* ---- messages -------------------------------------------------------------------------------- */
/* Every pr_err/pr_warn/pr_notice line, "level: text\n", appended to the driver's buffer. */
void oracle_printk(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define pr_err(fmt, ...) oracle_printk("err", fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) oracle_printk("warn", fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) oracle_printk("notice", fmt, ##__VA_ARGS__)
/* Compiled out in the kernel without DEBUG, but still format-checked. */
#define no_printk(fmt, ...) do { if (0) printf(fmt, ##__VA_ARGS__); } while (0)
#define pr_debug(fmt, ...) no_printk(fmt, ##__VA_ARGS__)
#define pr_devel(fmt, ...) no_printk(fmt, ##__VA_ARGS__)
#define DEBUGP(fmt, ...) no_printk(fmt, ##__VA_ARGS__)

/* ---- the read witness (see struct oracle_witness in oracle.h) ------------------------------- */
int oracle_strcmp(const char *a, const char *b);
int oracle_strncmp(const char *a, const char *b, size_t n);
size_t oracle_strnlen(const char *s, size_t n);
#define strcmp oracle_strcmp
#define strncmp oracle_strncmp
#define strnlen oracle_strnlen

/* ---- the rest of the loader, as far as the oracle runs it ------------------------------------ */
/* Every undefined symbol resolves, to an address below 2 GiB (see loader.c). */
struct kernel_symbol {
	unsigned long value;
};
static inline unsigned long kernel_symbol_value(const struct kernel_symbol *sym)
{
	return sym->value;
}
const struct kernel_symbol *resolve_symbol_wait(struct module *mod, const struct load_info *info,
						const char *name);
/* klpelf's struct module has no percpu member: the driver provides the per-CPU area. */
void *oracle_mod_percpu(struct module *mod);
#define mod_percpu(mod) oracle_mod_percpu(mod)

int apply_relocate_add(Elf64_Shdr *sechdrs, const char *strtab, unsigned int symindex,
		       unsigned int relsec, struct module *me);
void clear_relocate_add(Elf64_Shdr *sechdrs, const char *strtab, unsigned int symindex,
			unsigned int relsec, struct module *me);
int klp_apply_section_relocs(struct module *pmod, Elf_Shdr *sechdrs, const char *shstrtab,
			     const char *strtab, unsigned int symndx, unsigned int secndx,
			     const char *objname);

/* include/linux/moduleloader.h: the architecture's extra header check (main.c's __weak default). */
bool module_elf_check_arch(Elf_Ehdr *hdr);

/* include/linux/moduleloader.h without CONFIG_MODULES_USE_ELF_REL (x86-64 uses RELA only). */
static inline int apply_relocate(Elf_Shdr *sechdrs, const char *strtab, unsigned int symindex,
				 unsigned int relsec, struct module *me)
{
	(void)sechdrs, (void)strtab, (void)symindex, (void)relsec;
	pr_err("module %s: REL relocation unsupported\n", me->name);
	return -ENOEXEC;
}

/* ---- signatures ------------------------------------------------------------------------------ */
/*
 * Signatures are never verified: the oracle has no keys, so verification ends as on a machine
 * without the signing key (-ENOKEY), and module_sig_check() then accepts the module when
 * signatures are not enforced, as klpelf does.
 */
#define VERIFY_USE_SECONDARY_KEYRING ((void *)1UL)
#define VERIFY_USE_PLATFORM_KEYRING ((void *)2UL)
enum key_being_used_for { VERIFYING_MODULE_SIGNATURE };
static inline int verify_pkcs7_signature(const void *data, size_t len, const void *raw_pkcs7,
					 size_t pkcs7_len, void *trusted_keys,
					 enum key_being_used_for usage, void *view_content,
					 void *ctx)
{
	(void)data, (void)len, (void)raw_pkcs7, (void)pkcs7_len, (void)trusted_keys, (void)usage;
	(void)view_content, (void)ctx;
	return -ENOKEY;
}
static inline bool is_module_sig_enforced(void)
{
	return false;
}
enum lockdown_reason { LOCKDOWN_MODULE_SIGNATURE };
static inline int security_locked_down(enum lockdown_reason what)
{
	(void)what;
	return 0;
}

#endif /* KLPELF_ORACLE_KERNEL_SHIM_H */
