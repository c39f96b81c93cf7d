/*
 * loader.c: the kernel's loading steps after its checks, as far as they read what klpelf's own
 * checks guard. Run only on images the kernel's checks accept and klpelf rejects with one of its
 * own checks, to show that the kernel would then read out of bounds. SPDX-License-Identifier:
 * GPL-2.0-only
 *
 * In load_module() order, on a copy of the image:
 * 1. the kernel's rewrite_section_headers(): every sh_addr points into the image;
 * 2. the sections the loader later reads in full from the image: .modinfo (check_modinfo() and
 *    setup_modinfo() walk it), __versions (check_version()), __version_ext_crcs and
 *    __version_ext_names (the extended version walk), .data..percpu (percpu_modcopy());
 * 3. move_module(): every SHF_ALLOC section (and, as layout_symtab() marks them, the symbol and
 *    string tables) is copied to module memory and its sh_addr pointed there. Module memory is
 *    mapped below 2 GiB, as the kernel's is in the top 2 GiB, so the relocations the module's
 *    code model needs fit; the symbol table alone gets a block of its exact size, so that a symbol
 *    index past its end is caught;
 * 4. the kernel's simplify_symbols() and apply_relocations() (with arch/x86's relocation code and
 *    livepatch's klp_apply_section_relocs()).
 * Steps 2 and 3 are models (the kernel's versions need the whole of struct module); a read they
 * would make outside the image is recorded in the witness instead of made. Reads the kernel's own
 * code makes in step 4 are caught by AddressSanitizer, which ends the process.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <sanitizer/asan_interface.h>

#include "oracle.h"

/* Beyond this the kernel's module_memory_alloc() would fail; so does the model. */
#define MODULE_MEMORY_LIMIT (1UL << 30)

struct arena {
	unsigned char *base;
	size_t size, used;
};

/* Records that `what` reads [addr, addr + size) outside the image, if it does; returns whether. */
static bool outside(const struct load_info *info, const char *what, unsigned long addr,
		    unsigned long size)
{
	const char *image = (const char *)info->hdr;

	if (!size || !__asan_region_is_poisoned((void *)addr, size))
		return false;
	if (!oracle_witness.what[0])
		snprintf(oracle_witness.what, oracle_witness.what_size,
			 "%s reads [%ld, +%lu) of the file, outside the image", what,
			 (long)((const char *)addr - image), size);
	return true;
}

static bool reads_in_full(const struct load_info *info)
{
	static const struct {
		size_t offset;
		const char *reader;
	} read[] = {
		{ offsetof(struct load_info_index, info), "check_modinfo() on .modinfo" },
		{ offsetof(struct load_info_index, vers), "check_version() on __versions" },
		{ offsetof(struct load_info_index, vers_ext_crc), "the version walk on its CRCs" },
		{ offsetof(struct load_info_index, vers_ext_name), "the version walk on its names" },
		{ offsetof(struct load_info_index, pcpu), "percpu_modcopy() on .data..percpu" },
	};

	for (size_t i = 0; i < sizeof(read) / sizeof(read[0]); i++) {
		unsigned int index;
		const Elf64_Shdr *shdr;

		memcpy(&index, (const char *)&info->index + read[i].offset, sizeof(index));
		shdr = &info->sechdrs[index];
		if (index && outside(info, read[i].reader, shdr->sh_addr, shdr->sh_size))
			return false;
	}
	return true;
}

static bool moved(const struct load_info *info, unsigned int i)
{
	return (info->sechdrs[i].sh_flags & SHF_ALLOC) || i == info->index.sym ||
	       i == info->index.str;
}

static void *arena_take(struct arena *a, unsigned long size)
{
	void *p = a->base + a->used;

	a->used += (size + 63) & ~63UL;
	return p;
}

/* move_module(): returns 0, or -ENOMEM / -EFAULT (recorded) when the model cannot go on. */
static int move_sections(struct load_info *info, struct arena *a, void **symtab)
{
	unsigned long total = 0;

	for (unsigned int i = 1; i < info->hdr->e_shnum; i++)
		if (moved(info, i)) {
			total += (info->sechdrs[i].sh_size + 63) & ~63UL;
			if (total > MODULE_MEMORY_LIMIT)
				return -ENOMEM;
		}
	a->size = total + 4096;
	a->base = mmap(NULL, a->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		       -1, 0);
	if (a->base == MAP_FAILED)
		return a->base = NULL, -ENOMEM;
	for (unsigned int i = 1; i < info->hdr->e_shnum; i++) {
		Elf64_Shdr *shdr = &info->sechdrs[i];
		void *dest;

		if (!moved(info, i))
			continue;
		if (shdr->sh_type != SHT_NOBITS && outside(info, "move_module()", shdr->sh_addr,
							   shdr->sh_size))
			return -EFAULT;
		dest = i == info->index.sym ? (*symtab = malloc(shdr->sh_size ? shdr->sh_size : 1))
					     : arena_take(a, shdr->sh_size);
		if (!dest)
			return -ENOMEM;
		if (shdr->sh_type != SHT_NOBITS)
			memcpy(dest, (void *)shdr->sh_addr, shdr->sh_size);
		shdr->sh_addr = (unsigned long)dest;
		if (i == info->index.pcpu)
			oracle_percpu_area = dest;
	}
	return 0;
}

int kernel_loader_steps(const struct image *img, struct record *rec)
{
	struct load_info info = { 0 };
	struct module mod = { 0 };
	struct arena arena = { 0 };
	void *symtab = NULL;
	struct image copy;
	int err;

	image_copy(&copy, img);
	info.hdr = (Elf64_Ehdr *)copy.bytes;
	info.len = copy.len;
	oracle_log = (struct oracle_log){ rec->loader, sizeof(rec->loader), 0 };
	oracle_witness = (struct oracle_witness){ &info, rec->witness, sizeof(rec->witness) };
	err = kernel_check_image(&info, 0);
	oracle_witness.info = NULL;
	if (err)
		goto out;
	kernel_rewrite_section_headers(&info);
	oracle_percpu_area = NULL;
	err = reads_in_full(&info) ? move_sections(&info, &arena, &symtab) : -EFAULT;
	if (err)
		goto out;
	if (info.name)
		snprintf(mod.name, sizeof(mod.name), "%s", info.name);
	err = kernel_simplify_symbols(&mod, &info);
	if (!err)
		err = kernel_apply_relocations(&mod, &info);
out:
	if (arena.base)
		munmap(arena.base, arena.size);
	free(symtab);
	image_free(&copy);
	return err;
}
