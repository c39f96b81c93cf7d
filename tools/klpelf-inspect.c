/*
 * klpelf-inspect: shows what a loader persists for a kernel module. It reads a module file, checks it
 * as the kernel does (klpelf_setup_load_info), prepares a struct module (klpelf_prepare_module),
 * persists the ELF information (copy_module_elf), prints it, and releases everything.
 *
 * Usage: klpelf-inspect [--json] [--resolve MAP] [FILE.ko]
 * Without FILE it inspects the sample livepatch module built into it. With --resolve, it also
 * resolves every .klp.sym symbol of the module against MAP (a System.map or /proc/kallsyms) with the
 * kernel's rules, lists each with its address or why it does not resolve, and then runs the
 * kernel's resolution walk over the livepatch relocation sections (klpelf_resolve_symbols).
 * Exit status: 0 when the module was accepted and persisted (and, with --resolve, every symbol
 * resolved), 1 when klpelf rejected it or a symbol did not resolve, 2 on a usage or I/O error.
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

struct resolution;
static void print_resolution_json(const struct resolution *r);

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

static void print_json(const struct report *r, const struct resolution *res)
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
	printf("]");
	if (res)
		print_resolution_json(res);
	printf("}\n");
}

static void print_rejection(const char *file, const char *step, int err, int json)
{
	const char *why = klpelf_last_error();
	const char *check = klpelf_check_name(klpelf_last_error_check());

	if (!why)
		why = "";
	if (json) {
		printf("{\"file\":");
		json_string(file);
		printf(",\"accepted\":false,\"step\":\"%s\",\"error\":%d,\"error_name\":\"%s\",\"check\":",
		       step, err, errno_name(err));
		if (klpelf_last_error_check() == KLPELF_CHECK_NONE)
			printf("null");
		else
			json_string(check);
		printf(",\"message\":");
		json_string(why);
		printf("}\n");
	} else if (klpelf_last_error_check() != KLPELF_CHECK_NONE) {
		printf("%s: rejected by %s: %s (%d) [%s]: %s\n", file, step, errno_name(err), err, check,
		       why);
	} else {
		printf("%s: rejected by %s: %s (%d): %s\n", file, step, errno_name(err), err, why);
	}
}

/* ---- --resolve: the pre-flight check against a symbol map --------------------------------- */

#define SHN_LIVEPATCH_INDEX 0xff20

/* One .klp.sym symbol and what the map says of it. */
struct reference {
	const char *symbol;          /* the .klp.sym name, in core_kallsyms.strtab */
	char objname[MODULE_NAME_LEN];
	char symname[KSYM_NAME_LEN];
	unsigned long sympos;
	unsigned long addr;
	int ok;
	char why[256];               /* klpelf_last_error() when !ok */
};

struct resolution {
	const char *map_path;
	struct klpelf_symbol_map *map;
	struct reference *refs;
	size_t count;
	size_t failed;
	int walk_err;                /* klpelf_resolve_symbols(): 0, or its error */
	char walk_why[256];
	size_t walked_sections;
	size_t walk_written;         /* livepatch symbols the walk gave an address */
};

static void save_error(char *out, size_t size)
{
	const char *why = klpelf_last_error();
	snprintf(out, size, "%s", why ? why : "");
}

/* Resolves one .klp.sym symbol by its name, as the kernel will. */
static void resolve_reference(struct reference *ref, struct klpelf_symbol_map *map)
{
	int vmlinux;

	if (klpelf_parse_klp_sym_name(ref->symbol, ref->objname, ref->symname, &ref->sympos)) {
		save_error(ref->why, sizeof(ref->why));
		return;
	}
	vmlinux = strcmp(ref->objname, "vmlinux") == 0;
	ref->ok = klpelf_symbol_map_resolve(vmlinux ? NULL : ref->objname, ref->symname,
					    ref->sympos, &ref->addr, map) == 0;
	if (!ref->ok)
		save_error(ref->why, sizeof(ref->why));
}

/* Calls klpelf_resolve_symbols() once per object the relocation sections patch. */
static int walk_object(const struct module *mod, unsigned int secndx, const char *objname, void *ctx)
{
	struct resolution *res = ctx;
	int vmlinux = strcmp(objname, "vmlinux") == 0;

	(void)secndx;
	res->walked_sections++;
	res->walk_err = klpelf_resolve_symbols((struct module *)mod, vmlinux ? NULL : objname,
					       klpelf_symbol_map_resolve, res->map);
	if (res->walk_err)
		save_error(res->walk_why, sizeof(res->walk_why));
	return res->walk_err;
}

/*
 * The addresses the walk wrote must be the ones listed. Livepatch symbols are undefined, so their
 * st_value is 0 until the walk writes it; count what it wrote, and check each against the list.
 */
static void check_walk(const struct module *mod, struct resolution *res)
{
	const Elf64_Sym *syms = mod->core_kallsyms.symtab;
	size_t i, r;

	for (i = 0; i < mod->core_kallsyms.num_symtab && !res->walk_err; i++) {
		if (syms[i].st_shndx != SHN_LIVEPATCH_INDEX || syms[i].st_value == 0)
			continue;
		res->walk_written++;
		for (r = 0; r < res->count; r++)
			if (res->refs[r].symbol == mod->core_kallsyms.strtab + syms[i].st_name &&
			    syms[i].st_value != res->refs[r].addr) {
				res->walk_err = -EINVAL;
				snprintf(res->walk_why, sizeof(res->walk_why),
					 "the walk wrote %#llx for %s, the map says %#lx",
					 (unsigned long long)syms[i].st_value, res->refs[r].symbol,
					 res->refs[r].addr);
			}
	}
}

/* Lists and resolves every livepatch symbol; then, if all resolved, runs the kernel's walk. */
static int resolve_all(struct module *mod, struct resolution *res)
{
	const Elf64_Sym *syms = mod->core_kallsyms.symtab;
	size_t i;

	res->refs = calloc(mod->core_kallsyms.num_symtab + 1, sizeof(*res->refs));
	if (!res->refs)
		return -ENOMEM;
	for (i = 0; i < mod->core_kallsyms.num_symtab; i++) {
		struct reference *ref;
		if (syms[i].st_shndx != SHN_LIVEPATCH_INDEX)
			continue;
		ref = &res->refs[res->count++];
		ref->symbol = mod->core_kallsyms.strtab + syms[i].st_name;
		resolve_reference(ref, res->map);
		res->failed += !ref->ok;
	}
	if (res->failed == 0) {
		klpelf_for_each_klp_rela(mod, walk_object, res);
		check_walk(mod, res);
	}
	return 0;
}

static void print_resolution_text(const struct resolution *r)
{
	size_t i;

	printf("\nlivepatch symbols resolved against %s:\n", r->map_path);
	for (i = 0; i < r->count; i++) {
		const struct reference *ref = &r->refs[i];
		if (ref->ok)
			printf("  %-50s %s %s pos %lu -> %#018lx\n", ref->symbol, ref->objname,
			       ref->symname, ref->sympos, ref->addr);
		else
			printf("  %-50s UNRESOLVED: %s\n", ref->symbol, ref->why);
	}
	printf("%zu of %zu resolved", r->count - r->failed, r->count);
	if (r->failed)
		printf("; the kernel would refuse this patch\n");
	else if (r->walk_err)
		printf("; relocation walk failed: %s\n", r->walk_why);
	else
		printf("; relocation walk over %zu section(s) wrote %zu address(es), as listed\n",
		       r->walked_sections, r->walk_written);
}

static void print_resolution_json(const struct resolution *r)
{
	size_t i;

	printf(",\"resolve\":{\"map\":");
	json_string(r->map_path);
	printf(",\"references\":[");
	for (i = 0; i < r->count; i++) {
		const struct reference *ref = &r->refs[i];
		printf("%s{\"symbol\":", i ? "," : "");
		json_string(ref->symbol);
		printf(",\"object\":");
		json_string(ref->objname);
		printf(",\"name\":");
		json_string(ref->symname);
		printf(",\"sympos\":%lu,\"resolved\":%s", ref->sympos, ref->ok ? "true" : "false");
		if (ref->ok)
			printf(",\"address\":\"%#lx\"}", ref->addr);
		else {
			printf(",\"error\":");
			json_string(ref->why);
			printf("}");
		}
	}
	printf("],\"unresolved\":%zu,\"walk_sections\":%zu,\"walk_written\":%zu,\"walk_error\":",
	       r->failed, r->walked_sections, r->walk_written);
	if (r->walk_err)
		json_string(r->walk_why);
	else
		printf("null");
	printf("}");
}

/* ---- the pipeline ------------------------------------------------------------------------ */

static size_t section_count(const struct klp_modinfo *klp)
{
	return klp->hdr.e_shnum ? klp->hdr.e_shnum : (size_t)klp->sechdrs[0].sh_size;
}

/* setup -> prepare -> copy_module_elf -> [resolve] -> print -> release. Returns the exit status. */
static int inspect(const char *file, struct image *img, int json, const char *map_path)
{
	struct load_info info;
	struct module mod;
	struct klpelf_signature sig;
	struct report r = { file, img->len, &info, &mod, NULL, 0 };
	struct resolution res;
	const char *step = "klpelf_setup_load_info";
	int err, status = 0;

	memset(&info, 0, sizeof(info));
	memset(&mod, 0, sizeof(mod));
	memset(&res, 0, sizeof(res));
	res.map_path = map_path;
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
	if (!err && map_path) {
		step = "klpelf_symbol_map_load";
		err = klpelf_symbol_map_load(map_path, &res.map);
		if (!err)
			err = resolve_all(&mod, &res);
		status = res.failed || res.walk_err;
	}
	if (err) {
		print_rejection(file, step, err, json);
		status = 1;
	} else {
		r.count = section_count(mod.klp_info);
		if (json) {
			print_json(&r, map_path ? &res : NULL);
		} else {
			print_text(&r);
			if (map_path)
				print_resolution_text(&res);
		}
	}
	klpelf_symbol_map_free(res.map);
	free(res.refs);
	klpelf_release_module(&mod);
	return status;
}

static int usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [--resolve MAP] [FILE.ko]\n", argv0);
	return 2;
}

int main(int argc, char **argv)
{
	const char *file = NULL, *map_path = NULL;
	struct image img;
	int i, json = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--resolve") == 0 && i + 1 < argc)
			map_path = argv[++i];
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
	rc = inspect(file ? file : SAMPLE_NAME, &img, json, map_path);
	free(img.bytes);
	return rc;
}
