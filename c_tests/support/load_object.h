/*
 * load_object.h: reads an ELF64 relocatable object into memory and fills a `struct load_info` the
 * way the kernel's module loader would before it calls copy_module_elf(). Test code only; it
 * depends on nothing but klpelf.h, buffer.h and the C library.
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Typical use:
 *
 *	struct loaded_object obj;
 *	struct module mod = {0};
 *	if (load_object_file("module.o", &obj) == 0 && build_core_kallsyms(&obj.info, &mod) == 0) {
 *		copy_module_elf(&mod, &obj.info);
 *		...
 *		free_module_elf(&mod);
 *	}
 *	free_core_kallsyms(&mod);
 *	unload_object(&obj);
 */

#ifndef KLPELF_LOAD_OBJECT_H
#define KLPELF_LOAD_OBJECT_H

#include <stddef.h>

#include "klpelf.h"

/* An object file read into memory. Every pointer in `info` points into `image`. */
struct loaded_object {
	void *image;           /* the file's bytes, 8-aligned (buffer.h) */
	size_t len;            /* the file's length */
	struct load_info info; /* filled as the kernel's loader would; `info.mod` is NULL */
	unsigned int shnum;    /* section count (sechdrs[0].sh_size under extended numbering) */
	unsigned int shstrndx; /* section-name table index (sechdrs[0].sh_link under SHN_XINDEX) */
	int owns_image;        /* whether unload_object() frees `image` */
};

/*
 * Reads the ELF64 relocatable object at `path` (host byte order) and fills `*out`:
 * info.hdr (the image), info.len, info.sechdrs (image + e_shoff), info.secstrings (the
 * section-name table), info.strtab, info.index.sym (the unique SHT_SYMTAB), info.index.str (its
 * sh_link), info.index.info / .mod / .vers / .pcpu / .vers_ext_crc / .vers_ext_name (by name, 0 when
 * absent) and info.name (the .modinfo "name=" tag, or NULL). Extended section numbering is
 * understood. Everything read is bounds-checked first.
 *
 * Returns 0, or a negative errno: from opening or reading the file, -ENOMEM, or -ENOEXEC for a file
 * that is not a well-formed ELF64 relocatable object of this host (then `*out` is zeroed).
 */
int load_object_file(const char *path, struct loaded_object *out);

/*
 * Like load_object_file() for an image already in memory, which the caller keeps owning: `image`
 * must be aligned to 8 and outlive `*out`; unload_object() does not free it. On failure `*out` is
 * zeroed; -EINVAL for an image not aligned to 8. Reads nothing outside [image, image + len).
 */
int load_object_image(void *image, size_t len, struct loaded_object *out);

/* Frees the image if load_object_file() read it, and zeroes `*obj`. Accepts a zeroed one. */
void unload_object(struct loaded_object *obj);

/*
 * Gives `mod` the symbol table it keeps after init, as the loader does for a livepatch module:
 * mod->core_kallsyms.symtab and .strtab become malloc'd copies of the object's symbol table
 * (every symbol, in order) and symbol string table; num_symtab is the symbol count, typetab NULL.
 * Returns 0, -ENOMEM, or -EINVAL when `info` has no symbol table. Free with free_core_kallsyms().
 */
int build_core_kallsyms(const struct load_info *info, struct module *mod);

/* Frees what build_core_kallsyms() made and zeroes mod->core_kallsyms. Accepts a zeroed one. */
void free_core_kallsyms(struct module *mod);

#endif /* KLPELF_LOAD_OBJECT_H */
