/*
 * loader.c: the kernel's loading steps after its checks, as far as they read what klpelf's own
 * checks guard. Run only on images the kernel's checks accept and klpelf rejects with one of its
 * own checks, to show that the kernel would then read out of bounds.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * In load_module() order, on a copy of the image:
 * 1. the kernel's rewrite_section_headers(): every sh_addr points into the image;
 * 2. the sections the loader later reads in full from the image: .modinfo (check_modinfo() and
 *    setup_modinfo() walk it), __versions (check_version()), __version_ext_crcs and
 *    __version_ext_names (the extended version walk), .data..percpu (percpu_modcopy());
 * 3. move_module(): every SHF_ALLOC section (and, as layout_symtab() marks them, the symbol and
 *    string tables) is copied to module memory and its sh_addr pointed there. Module memory is
 *    mapped below 2 GiB, as the kernel's is in the top 2 GiB, so the relocations the module's
 *    code model needs fit; the symbol table alone ends where inaccessible memory begins, as much
 *    of it as 2^32 symbols would take, so that any symbol index past its end faults (a block of
 *    its size from malloc would let a far index land in other memory unnoticed);
 * 4. the kernel's simplify_symbols() and apply_relocations() (with arch/x86's relocation code and
 *    livepatch's klp_apply_section_relocs());
 * 5. for a livepatch module, livepatch's klp_apply_object_relocs(), which applies the
 *    SHF_RELA_LIVEPATCH sections of each module the livepatch patches once that module is loaded
 *    (apply_relocations() did vmlinux's): here, each with the object its name gives.
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
	unsigned char *symtab; /* the symbol table's own mapping */
	size_t symtab_size;
};

/* Every Elf64_Sym an ELF64_R_SYM() can name, past the table: 2^32 of them. */
#define SYMBOL_REACH ((size_t)sizeof(Elf64_Sym) << 32)

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
		{ offsetof(struct klpelf_load_info_index, info), "check_modinfo() on .modinfo" },
		{ offsetof(struct klpelf_load_info_index, vers), "check_version() on __versions" },
		{ offsetof(struct klpelf_load_info_index, vers_ext_crc), "the version walk on its CRCs" },
		{ offsetof(struct klpelf_load_info_index, vers_ext_name), "the version walk on its names" },
		{ offsetof(struct klpelf_load_info_index, pcpu), "percpu_modcopy() on .data..percpu" },
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

/* The symbol table's place: at the end of read-write pages followed by SYMBOL_REACH bytes of
 * inaccessible ones. */
static void *symtab_place(struct arena *a, unsigned long size)
{
	size_t used = (size + 7) & ~7UL, pages = (used + 4095) & ~4095UL;

	a->symtab_size = pages + SYMBOL_REACH;
	a->symtab = mmap(NULL, a->symtab_size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a->symtab == MAP_FAILED || mprotect(a->symtab, pages, PROT_READ | PROT_WRITE)) {
		a->symtab = NULL;
		return NULL;
	}
	return a->symtab + pages - used;
}

static void *arena_take(struct arena *a, unsigned long size)
{
	void *p = a->base + a->used;

	a->used += (size + 63) & ~63UL;
	return p;
}

/* move_module(): returns 0, or -ENOMEM / -EFAULT (recorded) when the model cannot go on. */
static int move_sections(struct load_info *info, struct arena *a)
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
		dest = i == info->index.sym ? symtab_place(a, shdr->sh_size)
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

/* Step 5: every livepatch relocation section, as if the object it patches were loaded. */
static int livepatch_relocations(struct module *mod, const struct load_info *info)
{
	for (unsigned int i = 1; i < info->hdr->e_shnum; i++) {
		const char *name = info->secstrings + info->sechdrs[i].sh_name;
		char objname[MODULE_NAME_LEN] = "";
		int err;

		if (!(info->sechdrs[i].sh_flags & SHF_RELA_LIVEPATCH))
			continue;
		/* A name that does not parse fails in the kernel's function itself. */
		if (sscanf(name, ".klp.rela.%55[^.]", objname) != 1)
			objname[0] = 0;
		else if (!strcmp(objname, "vmlinux"))
			continue;
		err = kernel_klp_apply_section_relocs(mod, info->sechdrs, info->secstrings,
						      info->strtab, info->index.sym, i,
						      objname[0] ? objname : NULL);
		if (err)
			return err;
	}
	return 0;
}

int kernel_loader_steps(const struct image *img, struct record *rec)
{
	struct load_info info = { 0 };
	struct module mod = { 0 };
	struct arena arena = { 0 };
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
	err = reads_in_full(&info) ? move_sections(&info, &arena) : -EFAULT;
	if (err)
		goto out;
	if (info.name)
		snprintf(mod.name, sizeof(mod.name), "%s", info.name);
	rec->livepatch = kernel_is_livepatch(&info);
	err = kernel_simplify_symbols(&mod, &info);
	if (!err)
		err = kernel_apply_relocations(&mod, &info);
	if (!err && rec->livepatch)
		err = livepatch_relocations(&mod, &info);
out:
	if (arena.base)
		munmap(arena.base, arena.size);
	if (arena.symtab)
		munmap(arena.symtab, arena.symtab_size);
	image_free(&copy);
	return err;
}
