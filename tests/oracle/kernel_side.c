/*
 * kernel_side.c: the kernel's own code, cut unmodified from the fetched source by extract.py, in
 * one translation unit with the few definitions it needs from files the oracle does not compile,
 * and entry points for the driver (the kernel's functions are static). Compiled against the shim
 * (shim/kernel_shim.h) with the kernel's exported names renamed (kernel_*), so that klpelf's
 * functions of the same names can live in the same program. SPDX-License-Identifier: GPL-2.0-only
 *
 * Why each piece is here:
 * - kernel/module/main.c: the checks (validate_section_offset() through
 *   elf_validity_cache_copy(), and the lookups they call); rewrite_section_headers(), which
 *   klpelf_prepare_module() reproduces; simplify_symbols() and apply_relocations(), which make the
 *   reads that klpelf's checks symbol_shndx and relocation_symbol guard;
 * - kernel/module/signing.c (module_sig_check(), mod_verify_sig()) and kernel/module_signature.c:
 *   the signature is stripped before the checks run, and decides the length they see;
 * The relocation code apply_relocations() calls is in kernel_relocs.c.
 */

#include "kernel_shim.h"
#include "elf_check_arch.h"
#include <linux/module_signature.h>

#include "oracle.h"

#include "kernel_module_main_cut.c"
#include "kernel_module_signing_cut.c"
int kernel_check_image(struct load_info *info, int flags)
{
	/* load_module(): the signature is stripped first, then the ELF checks run. */
	int err = module_sig_check(info, flags);

	if (err)
		return err;
	return elf_validity_cache_copy(info, flags);
}

void kernel_rewrite_section_headers(struct load_info *info)
{
	rewrite_section_headers(info, 0);
}

int kernel_simplify_symbols(struct module *mod, const struct load_info *info)
{
	return simplify_symbols(mod, info);
}

int kernel_apply_relocations(struct module *mod, const struct load_info *info)
{
	return apply_relocations(mod, info);
}

bool kernel_is_livepatch(const struct load_info *info)
{
	/* check_modinfo_livepatch(): a livepatch module says so in .modinfo. */
	return get_modinfo(info, "livepatch") != NULL;
}
