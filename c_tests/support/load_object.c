/*
 * load_object.c: see load_object.h. SPDX-License-Identifier: GPL-2.0-only
 *
 * The checks follow the kernel's ELF checks (elf_validity_cache_copy() and the functions it calls)
 * where they matter for reading the file safely, and go further where the kernel reads without a
 * bounds check: nothing is read before it is proven inside the file.
 */

#include "load_object.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

static int host_data_encoding(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one == 1 ? ELFDATA2LSB : ELFDATA2MSB;
}

/* The ELF header, and that at least section header 0 lies inside the file. */
static int check_header(const Elf64_Ehdr *hdr, size_t len)
{
	if (len < sizeof(*hdr) || memcmp(hdr->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (hdr->e_ident[EI_CLASS] != ELFCLASS64 || hdr->e_ident[EI_DATA] != host_data_encoding())
		return -ENOEXEC;
	if (hdr->e_type != ET_REL || hdr->e_shentsize != sizeof(Elf64_Shdr))
		return -ENOEXEC;
	if (hdr->e_shoff == 0 || hdr->e_shoff % sizeof(uint64_t) != 0 || hdr->e_shoff > len)
		return -ENOEXEC;
	if (len - hdr->e_shoff < sizeof(Elf64_Shdr))
		return -ENOEXEC;
	return 0;
}

/* Section count and section-name table index, with extended numbering; the table must fit. */
static int decode_numbering(struct loaded_object *o)
{
	const Elf64_Ehdr *hdr = o->info.hdr;
	const Elf64_Shdr *sec0 = o->info.sechdrs;
	uint64_t count = hdr->e_shnum ? hdr->e_shnum : sec0->sh_size;
	uint64_t shstrndx = hdr->e_shstrndx;

	if (shstrndx == SHN_XINDEX)
		shstrndx = sec0->sh_link;
	else if (shstrndx >= SHN_LORESERVE)
		return -ENOEXEC;
	if (count == 0 || count > (o->len - hdr->e_shoff) / sizeof(Elf64_Shdr) || count > UINT32_MAX)
		return -ENOEXEC;
	if (shstrndx == 0 || shstrndx >= count)
		return -ENOEXEC;
	o->shnum = (unsigned int)count;
	o->shstrndx = (unsigned int)shstrndx;
	return 0;
}

/* Every section with bytes in the file has them inside it. */
static int check_section_bounds(const struct loaded_object *o)
{
	unsigned int i;

	for (i = 1; i < o->shnum; i++) {
		const Elf64_Shdr *s = &o->info.sechdrs[i];

		if (s->sh_type == SHT_NULL || s->sh_type == SHT_NOBITS)
			continue;
		if (s->sh_offset > o->len || s->sh_size > o->len - s->sh_offset)
			return -ENOEXEC;
	}
	return 0;
}

/* A string table with bytes in the file, non-empty and NUL-terminated. */
static int check_strtab(const struct loaded_object *o, unsigned int index)
{
	const Elf64_Shdr *s = &o->info.sechdrs[index];
	const char *bytes = (const char *)o->image + s->sh_offset;

	if (s->sh_type != SHT_STRTAB || s->sh_size == 0 || bytes[s->sh_size - 1] != '\0')
		return -ENOEXEC;
	return 0;
}

/* The section-name table, and that every section's name lies inside it. */
static int find_secstrings(struct loaded_object *o)
{
	uint64_t size = o->info.sechdrs[o->shstrndx].sh_size;
	unsigned int i;

	if (check_strtab(o, o->shstrndx) != 0)
		return -ENOEXEC;
	for (i = 1; i < o->shnum; i++)
		if (o->info.sechdrs[i].sh_type != SHT_NULL && o->info.sechdrs[i].sh_name >= size)
			return -ENOEXEC;
	o->info.secstrings = (char *)o->image + o->info.sechdrs[o->shstrndx].sh_offset;
	return 0;
}

/* The unique SHT_SYMTAB (well-formed, 8-aligned, every st_name in range) and its string table. */
static int find_symtab(struct loaded_object *o)
{
	const Elf64_Shdr *s;
	const Elf64_Sym *syms;
	unsigned int i, found = 0;
	uint64_t n;

	for (i = 1; i < o->shnum; i++)
		if (o->info.sechdrs[i].sh_type == SHT_SYMTAB && found++ == 0)
			o->info.index.sym = i;
	if (found != 1)
		return -ENOEXEC;
	s = &o->info.sechdrs[o->info.index.sym];
	if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) != 0 ||
	    s->sh_size == 0 || s->sh_offset % sizeof(uint64_t) != 0)
		return -ENOEXEC;
	if (s->sh_link == 0 || s->sh_link >= o->shnum || check_strtab(o, s->sh_link) != 0)
		return -ENOEXEC;
	o->info.index.str = s->sh_link;
	o->info.strtab = (char *)o->image + o->info.sechdrs[s->sh_link].sh_offset;
	syms = (const Elf64_Sym *)((const char *)o->image + s->sh_offset);
	for (n = 0; n < s->sh_size / sizeof(Elf64_Sym); n++)
		if (syms[n].st_name >= o->info.sechdrs[s->sh_link].sh_size)
			return -ENOEXEC;
	return 0;
}

/* How the kernel finds a named section: the unique one, or the first SHF_ALLOC one. */
struct named_section {
	const char *name;
	size_t index_offset; /* of the field in struct klpelf_load_info_index */
	int first_alloc;
};

static const struct named_section named_sections[] = {
	{ ".modinfo", offsetof(struct klpelf_load_info_index, info), 0 },
	{ ".gnu.linkonce.this_module", offsetof(struct klpelf_load_info_index, mod), 0 },
	{ "__versions", offsetof(struct klpelf_load_info_index, vers), 1 },
	{ ".data..percpu", offsetof(struct klpelf_load_info_index, pcpu), 1 },
	{ "__version_ext_crcs", offsetof(struct klpelf_load_info_index, vers_ext_crc), 1 },
	{ "__version_ext_names", offsetof(struct klpelf_load_info_index, vers_ext_name), 1 },
};

static int find_named(struct loaded_object *o, const struct named_section *n)
{
	unsigned int *index = (unsigned int *)((char *)&o->info.index + n->index_offset);
	unsigned int i;

	for (i = 1; i < o->shnum; i++) {
		const Elf64_Shdr *s = &o->info.sechdrs[i];

		if (s->sh_type == SHT_NULL || strcmp(o->info.secstrings + s->sh_name, n->name) != 0)
			continue;
		if (n->first_alloc && !(s->sh_flags & SHF_ALLOC))
			continue;
		if (*index != 0 && !n->first_alloc)
			return -ENOEXEC; /* a second one */
		if (*index == 0)
			*index = i;
	}
	return 0;
}

/* The value of .modinfo's "name=" tag (entries are NUL-separated "key=value" strings), or NULL. */
static const char *modinfo_name(const struct loaded_object *o)
{
	const Elf64_Shdr *s = &o->info.sechdrs[o->info.index.info];
	const char *p, *end;

	if (o->info.index.info == 0 || s->sh_type == SHT_NOBITS)
		return NULL;
	p = (const char *)o->image + s->sh_offset;
	end = p + s->sh_size;
	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));

		if (!nul)
			return NULL; /* an unterminated last entry */
		if (strncmp(p, "name=", 5) == 0)
			return p + 5;
		p = nul + 1;
	}
	return NULL;
}

static int parse(struct loaded_object *o)
{
	size_t i;
	int err = check_header(o->image, o->len);

	if (err)
		return err;
	o->info.hdr = o->image;
	o->info.len = o->len;
	o->info.sechdrs = (Elf64_Shdr *)((char *)o->image + o->info.hdr->e_shoff);
	if ((err = decode_numbering(o)) || (err = check_section_bounds(o)) ||
	    (err = find_secstrings(o)) || (err = find_symtab(o)))
		return err;
	for (i = 0; i < sizeof(named_sections) / sizeof(named_sections[0]); i++)
		if ((err = find_named(o, &named_sections[i])))
			return err;
	o->info.name = modinfo_name(o);
	return 0;
}

int load_object_file(const char *path, struct loaded_object *out)
{
	struct buffer file;
	int err;

	memset(out, 0, sizeof(*out));
	err = buffer_read_file(&file, path, 0);
	if (err)
		return err;
	out->image = file.bytes;
	out->len = file.len;
	out->owns_image = 1;
	err = parse(out);
	if (err)
		unload_object(out);
	return err;
}

int load_object_image(void *image, size_t len, struct loaded_object *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	if ((uintptr_t)image % sizeof(uint64_t) != 0)
		return -EINVAL;
	out->image = image;
	out->len = len;
	err = parse(out);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

void unload_object(struct loaded_object *obj)
{
	if (obj->owns_image)
		block_free(obj->image, obj->len, 0);
	memset(obj, 0, sizeof(*obj));
}

int build_core_kallsyms(const struct load_info *info, struct module *mod)
{
	const Elf64_Shdr *sym, *str;

	if (!info->hdr || !info->sechdrs || !info->strtab || info->index.sym == 0)
		return -EINVAL;
	sym = &info->sechdrs[info->index.sym];
	str = &info->sechdrs[info->index.str];
	mod->core_kallsyms.symtab = malloc(sym->sh_size ? sym->sh_size : 1);
	mod->core_kallsyms.strtab = malloc(str->sh_size ? str->sh_size : 1);
	if (!mod->core_kallsyms.symtab || !mod->core_kallsyms.strtab) {
		free_core_kallsyms(mod);
		return -ENOMEM;
	}
	memcpy(mod->core_kallsyms.symtab, (const char *)info->hdr + sym->sh_offset, sym->sh_size);
	memcpy(mod->core_kallsyms.strtab, info->strtab, str->sh_size);
	mod->core_kallsyms.num_symtab = (unsigned int)(sym->sh_size / sizeof(Elf64_Sym));
	mod->core_kallsyms.typetab = NULL;
	return 0;
}

void free_core_kallsyms(struct module *mod)
{
	free(mod->core_kallsyms.symtab);
	free(mod->core_kallsyms.strtab);
	memset(&mod->core_kallsyms, 0, sizeof(mod->core_kallsyms));
}
