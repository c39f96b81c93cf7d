/*
 * klpelf-inspect: shows what a loader persists for a kernel module. It reads a module file, checks it
 * as the kernel does (klpelf_setup_load_info), prepares a struct module (klpelf_prepare_module),
 * persists the ELF information (copy_module_elf), prints it, and releases everything.
 *
 * Usage: klpelf-inspect [--json] [FILE.ko]
 * Without FILE it inspects the sample livepatch module built into it. Exit status: 0 when the module
 * was accepted and persisted, 1 when klpelf rejected it (the kernel's verdict is printed), 2 on a
 * usage or I/O error.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <klpelf.h>

extern const unsigned char klpelf_sample_image[];
extern const unsigned char klpelf_sample_image_end[];

#define SAMPLE_NAME "(built-in sample livepatch module)"

/* ---- input --------------------------------------------------------------------------------- */

/* The module image, in a malloc'd (so 8-byte aligned) buffer as setup requires. */
struct image {
	unsigned char *bytes;
	size_t len;
};

static int read_file(const char *path, struct image *img)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, len = 0, n;
	unsigned char *buf = malloc(cap), *bigger;

	if (!f || !buf)
		goto fail;
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			bigger = realloc(buf, cap *= 2);
			if (!bigger)
				goto fail;
			buf = bigger;
		}
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	img->bytes = buf;
	img->len = len;
	return 0;
fail:
	if (f)
		fclose(f);
	free(buf);
	return -1;
}

static int copy_sample(struct image *img)
{
	img->len = (size_t)(klpelf_sample_image_end - klpelf_sample_image);
	img->bytes = malloc(img->len);
	if (!img->bytes)
		return -1;
	memcpy(img->bytes, klpelf_sample_image, img->len);
	return 0;
}

/* ---- names for ELF values --------------------------------------------------------------- */

static const char *errno_name(int err)
{
	switch (-err) {
	case ENOEXEC: return "ENOEXEC";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case EBADMSG: return "EBADMSG";
	case ENODATA: return "ENODATA";
	default: return "error";
	}
}

static const char *section_type(Elf64_Word type)
{
	static const char *const names[] = {
		[SHT_NULL] = "NULL", [SHT_PROGBITS] = "PROGBITS", [SHT_SYMTAB] = "SYMTAB",
		[SHT_STRTAB] = "STRTAB", [SHT_RELA] = "RELA", [SHT_HASH] = "HASH",
		[SHT_DYNAMIC] = "DYNAMIC", [SHT_NOTE] = "NOTE", [SHT_NOBITS] = "NOBITS",
		[SHT_REL] = "REL", [SHT_SHLIB] = "SHLIB", [SHT_DYNSYM] = "DYNSYM",
		[SHT_INIT_ARRAY] = "INIT_ARRAY", [SHT_FINI_ARRAY] = "FINI_ARRAY",
		[SHT_PREINIT_ARRAY] = "PREINIT_ARRAY", [SHT_GROUP] = "GROUP",
		[SHT_SYMTAB_SHNDX] = "SYMTAB_SHNDX",
	};
	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "OTHER";
}

/* Section flags as readelf letters; `o` marks SHF_RELA_LIVEPATCH. */
static void section_flags(Elf64_Xword flags, char out[16])
{
	static const struct { Elf64_Xword bit; char letter; } letters[] = {
		{ SHF_WRITE, 'W' }, { SHF_ALLOC, 'A' }, { SHF_EXECINSTR, 'X' }, { SHF_MERGE, 'M' },
		{ SHF_STRINGS, 'S' }, { SHF_INFO_LINK, 'I' }, { SHF_LINK_ORDER, 'L' },
		{ SHF_GROUP, 'G' }, { SHF_TLS, 'T' }, { 0x00100000, 'o' },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (flags & letters[i].bit)
			out[n++] = letters[i].letter;
	out[n] = '\0';
}

#define SHF_RELA_LIVEPATCH_FLAG 0x00100000

/* ---- output ------------------------------------------------------------------------------- */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* What was persisted, read back from mod->klp_info. */
struct report {
	const char *file;
	size_t file_len;
	const struct load_info *info;
	const struct module *mod;
	const struct klpelf_signature *sig; /* NULL when unsigned */
	size_t count;
};

/* The section's name from the persisted name table; setup proved sh_name in range. */
static const char *section_name(const struct klp_modinfo *klp, const Elf64_Shdr *sh)
{
	return klp->secstrings + sh->sh_name;
}

static void print_text(const struct report *r)
{
	const struct klp_modinfo *klp = r->mod->klp_info;
	size_t i;
	char flags[16];

	printf("file:          %s (%zu bytes)\n", r->file, r->file_len);
	printf("module:        %s\n", r->mod->name);
	printf("livepatch:     %s\n", r->mod->klp ? "yes" : "no");
	if (r->sig)
		printf("signature:     %u-byte signature at offset %zu (algo %u, hash %u, id type %u), "
		       "ELF part %lu bytes\n",
		       (unsigned)r->sig->sig_len, r->sig->sig_offset, (unsigned)r->sig->algo,
		       (unsigned)r->sig->hash, (unsigned)r->sig->id_type, r->info->len);
	else
		printf("signature:     none\n");
	printf("sections:      %zu (names in section %u)\n", r->count,
	       klp->hdr.e_shstrndx == SHN_XINDEX ? klp->sechdrs[0].sh_link : klp->hdr.e_shstrndx);
	printf("symbol table:  section %u, %u symbols; persisted sh_addr %#llx = core_kallsyms.symtab\n",
	       klp->symndx, r->mod->core_kallsyms.num_symtab,
	       (unsigned long long)klp->sechdrs[klp->symndx].sh_addr);
	printf("indices:       sym %u, str %u, mod %u, vers %u, info %u, pcpu %u, "
	       "vers_ext_crc %u, vers_ext_name %u\n",
	       r->info->index.sym, r->info->index.str, r->info->index.mod, r->info->index.vers,
	       r->info->index.info, r->info->index.pcpu, r->info->index.vers_ext_crc,
	       r->info->index.vers_ext_name);
	printf("\n  [Nr] %-40s %-12s %-6s %10s\n", "Name", "Type", "Flags", "Size");
	for (i = 0; i < r->count; i++) {
		const Elf64_Shdr *sh = &klp->sechdrs[i];
		section_flags(sh->sh_flags, flags);
		printf("  [%2zu] %-40s %-12s %-6s %10llu%s\n", i, section_name(klp, sh),
		       section_type(sh->sh_type), flags, (unsigned long long)sh->sh_size,
		       sh->sh_flags & SHF_RELA_LIVEPATCH_FLAG ? "  <- livepatch relocations" : "");
	}
}

static void print_json(const struct report *r)
{
	const struct klp_modinfo *klp = r->mod->klp_info;
	size_t i;
	char flags[16];

	printf("{\"file\":");
	json_string(r->file);
	printf(",\"accepted\":true,\"file_size\":%zu,\"elf_size\":%lu,\"module\":", r->file_len,
	       r->info->len);
	json_string(r->mod->name);
	printf(",\"livepatch\":%s,\"signature\":", r->mod->klp ? "true" : "false");
	if (r->sig)
		printf("{\"algo\":%u,\"hash\":%u,\"id_type\":%u,\"sig_len\":%u,\"sig_offset\":%zu}",
		       (unsigned)r->sig->algo, (unsigned)r->sig->hash, (unsigned)r->sig->id_type,
		       (unsigned)r->sig->sig_len, r->sig->sig_offset);
	else
		printf("null");
	printf(",\"section_count\":%zu,\"symndx\":%u,\"num_symtab\":%u,\"symtab_addr\":\"%#llx\","
	       "\"index\":{\"sym\":%u,\"str\":%u,\"mod\":%u,\"vers\":%u,\"info\":%u,\"pcpu\":%u,"
	       "\"vers_ext_crc\":%u,\"vers_ext_name\":%u},\"sections\":[",
	       r->count, klp->symndx, r->mod->core_kallsyms.num_symtab,
	       (unsigned long long)klp->sechdrs[klp->symndx].sh_addr, r->info->index.sym,
	       r->info->index.str, r->info->index.mod, r->info->index.vers, r->info->index.info,
	       r->info->index.pcpu, r->info->index.vers_ext_crc, r->info->index.vers_ext_name);
	for (i = 0; i < r->count; i++) {
		const Elf64_Shdr *sh = &klp->sechdrs[i];
		section_flags(sh->sh_flags, flags);
		printf("%s{\"index\":%zu,\"name\":", i ? "," : "", i);
		json_string(section_name(klp, sh));
		printf(",\"type\":\"%s\",\"flags\":\"%s\",\"size\":%llu,\"livepatch_relocations\":%s}",
		       section_type(sh->sh_type), flags, (unsigned long long)sh->sh_size,
		       sh->sh_flags & SHF_RELA_LIVEPATCH_FLAG ? "true" : "false");
	}
	printf("]}\n");
}

static void print_rejection(const char *file, const char *step, int err, int json)
{
	const char *why = klpelf_last_error();

	if (!why)
		why = "";
	if (json) {
		printf("{\"file\":");
		json_string(file);
		printf(",\"accepted\":false,\"step\":\"%s\",\"error\":%d,\"error_name\":\"%s\",\"message\":",
		       step, err, errno_name(err));
		json_string(why);
		printf("}\n");
	} else {
		printf("%s: rejected by %s: %s (%d): %s\n", file, step, errno_name(err), err, why);
	}
}

/* ---- the pipeline ------------------------------------------------------------------------ */

static size_t section_count(const struct klp_modinfo *klp)
{
	return klp->hdr.e_shnum ? klp->hdr.e_shnum : (size_t)klp->sechdrs[0].sh_size;
}

/* setup -> prepare -> copy_module_elf -> print -> release. Returns the exit status. */
static int inspect(const char *file, struct image *img, int json)
{
	struct load_info info;
	struct module mod;
	struct klpelf_signature sig;
	struct report r = { file, img->len, &info, &mod, NULL, 0 };
	const char *step = "klpelf_setup_load_info";
	int err;

	memset(&info, 0, sizeof(info));
	memset(&mod, 0, sizeof(mod));
	if (klpelf_module_signature(img->bytes, img->len, &sig) == 0)
		r.sig = &sig;
	err = klpelf_setup_load_info(&info, img->bytes, img->len, KLPELF_SETUP_ALLOW_XNUM);
	if (!err) {
		step = "klpelf_prepare_module";
		err = klpelf_prepare_module(&mod, &info);
	}
	if (!err) {
		step = "copy_module_elf";
		err = copy_module_elf(&mod, &info);
	}
	if (err) {
		print_rejection(file, step, err, json);
		klpelf_release_module(&mod);
		return 1;
	}
	r.count = section_count(mod.klp_info);
	if (json)
		print_json(&r);
	else
		print_text(&r);
	klpelf_release_module(&mod);
	return 0;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [FILE.ko]\n", argv0);
	return 2;
}

int main(int argc, char **argv)
{
	const char *file = NULL;
	struct image img;
	int i, json = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(argv[0]) - 2;
		else if (argv[i][0] == '-' || file)
			return usage(argv[0]);
		else
			file = argv[i];
	}
	if (file ? read_file(file, &img) : copy_sample(&img)) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], file ? file : SAMPLE_NAME, strerror(errno));
		return 2;
	}
	rc = inspect(file ? file : SAMPLE_NAME, &img, json);
	free(img.bytes);
	return rc;
}
