/*
 * klpelf-inspect's output: names for ELF values, JSON strings, and the report of what a loader
 * persisted (text or JSON) or of why klpelf rejected the module.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include "inspect_output.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "inspect_errors.h"
#include "inspect_json.h"
#include "inspect_relocs.h"
#include "inspect_release.h"
#include "inspect_resolve.h"

#define SHF_RELA_LIVEPATCH_FLAG 0x00100000

/* ---- names for ELF values --------------------------------------------------------------- */

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
		{ SHF_GROUP, 'G' }, { SHF_TLS, 'T' }, { SHF_RELA_LIVEPATCH_FLAG, 'o' },
	};
	size_t i, n = 0;

	for (i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (flags & letters[i].bit)
			out[n++] = letters[i].letter;
	out[n] = '\0';
}

/* ---- output ------------------------------------------------------------------------------- */

/* The section's name from the persisted name table; setup proved sh_name in range. */
static const char *section_name(const struct klp_modinfo *klp, const Elf64_Shdr *sh)
{
	return klp->secstrings + sh->sh_name;
}

static void print_release_text(const struct release_check *c)
{
	printf("kernel:        built for %s", c->release[0] ? c->release : "(no vermagic)");
	if (!c->expected)
		printf("; the map's kernel is not known (--kernel-release REL names it)\n");
	else
		printf("; the map is kernel %s's (%s): %s\n", c->expected, c->source,
		       c->matches ? "the same" : "DIFFERENT, checked with --force");
}

/* The "kernel_release" member, with its leading comma. */
static void print_release_json(const struct release_check *c)
{
	printf(",\"kernel_release\":{\"vermagic\":");
	if (c->vermagic[0])
		json_string(c->vermagic);
	else
		printf("null");
	printf(",\"module_release\":");
	if (c->release[0])
		json_string(c->release);
	else
		printf("null");
	printf(",\"map_release\":");
	if (c->expected)
		json_string(c->expected);
	else
		printf("null");
	printf(",\"source\":");
	if (c->source)
		json_string(c->source);
	else
		printf("null");
	printf(",\"matches\":%s,\"forced\":%s}", c->matches ? "true" : "false",
	       c->forced && !c->matches ? "true" : "false");
}

/* Whether the persisted symbol table's sh_addr is the kallsyms copy's address, as the kernel's
 * layout makes it. The address itself differs from run to run and is not printed. */
static int symtab_persisted(const struct report *r)
{
	const struct klp_modinfo *klp = r->mod->klp_info;
	return klp->sechdrs[klp->symndx].sh_addr ==
	       (Elf64_Addr)(uintptr_t)r->mod->core_kallsyms.symtab;
}

void print_text(const struct report *r)
{
	const struct klp_modinfo *klp = r->mod->klp_info;
	size_t i;
	char flags[16];

	printf("file:          %s (%zu bytes)\n", r->file, r->file_len);
	if (r->compression != KLPELF_COMPRESSION_NONE)
		printf("compression:   %s (the size above is decompressed)\n",
		       klpelf_compression_name(r->compression));
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
	printf("symbol table:  section %u, %u symbols; persisted sh_addr %s core_kallsyms.symtab\n",
	       klp->symndx, r->mod->core_kallsyms.num_symtab,
	       symtab_persisted(r) ? "points at" : "DOES NOT point at");
	printf("indices:       sym %u, str %u, mod %u, vers %u, info %u, pcpu %u, "
	       "vers_ext_crc %u, vers_ext_name %u\n",
	       r->info->index.sym, r->info->index.str, r->info->index.mod, r->info->index.vers,
	       r->info->index.info, r->info->index.pcpu, r->info->index.vers_ext_crc,
	       r->info->index.vers_ext_name);
	if (r->release)
		print_release_text(r->release);
	printf("\n  [Nr] %-40s %-12s %-6s %10s\n", "Name", "Type", "Flags", "Size");
	for (i = 0; i < r->count; i++) {
		const Elf64_Shdr *sh = &klp->sechdrs[i];
		section_flags(sh->sh_flags, flags);
		printf("  [%2zu] %-40s %-12s %-6s %10llu%s\n", i, section_name(klp, sh),
		       section_type(sh->sh_type), flags, (unsigned long long)sh->sh_size,
		       sh->sh_flags & SHF_RELA_LIVEPATCH_FLAG ? "  <- livepatch relocations" : "");
	}
}

void print_json(const struct report *r, const struct resolution *res)
{
	const struct klp_modinfo *klp = r->mod->klp_info;
	size_t i;
	char flags[16];

	printf("{\"schema\":%d,\"file\":", INSPECT_JSON_SCHEMA);
	json_string(r->file);
	printf(",\"accepted\":true,\"compression\":\"%s\",\"file_size\":%zu,\"elf_size\":%lu,"
	       "\"module\":", klpelf_compression_name(r->compression), r->file_len, r->info->len);
	json_string(r->mod->name);
	printf(",\"livepatch\":%s,\"signature\":", r->mod->klp ? "true" : "false");
	if (r->sig)
		printf("{\"algo\":%u,\"hash\":%u,\"id_type\":%u,\"sig_len\":%u,\"sig_offset\":%zu}",
		       (unsigned)r->sig->algo, (unsigned)r->sig->hash, (unsigned)r->sig->id_type,
		       (unsigned)r->sig->sig_len, r->sig->sig_offset);
	else
		printf("null");
	printf(",\"section_count\":%zu,\"symndx\":%u,\"num_symtab\":%u,\"symtab_persisted\":%s,"
	       "\"index\":{\"sym\":%u,\"str\":%u,\"mod\":%u,\"vers\":%u,\"info\":%u,\"pcpu\":%u,"
	       "\"vers_ext_crc\":%u,\"vers_ext_name\":%u},\"sections\":[",
	       r->count, klp->symndx, r->mod->core_kallsyms.num_symtab,
	       symtab_persisted(r) ? "true" : "false", r->info->index.sym,
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
	if (r->release)
		print_release_json(r->release);
	if (res)
		print_resolution_json(res);
	if (res && res->preflight)
		print_preflight_json(res->preflight);
	printf("}\n");
}

void print_rejection(const char *file, const char *step, int err, int json)
{
	const char *why = klpelf_last_error();
	enum klpelf_check id = klpelf_last_error_check();

	print_rejection_why(file, step, err, id == KLPELF_CHECK_NONE ? NULL : klpelf_check_name(id),
			    why ? why : "", json);
}

void print_rejection_why(const char *file, const char *step, int err, const char *check,
			 const char *why, int json)
{
	if (json) {
		printf("{\"schema\":%d,\"file\":", INSPECT_JSON_SCHEMA);
		json_string(file);
		printf(",\"accepted\":false,\"step\":\"%s\",\"error\":%d,\"error_name\":\"%s\",\"check\":",
		       step, err, errno_name(err));
		if (!check)
			printf("null");
		else
			json_string(check);
		printf(",\"message\":");
		json_string(why);
		printf("}\n");
	} else if (check) {
		printf("%s: rejected by %s: %s (%d) [%s]: %s\n", file, step, errno_name(err), err, check,
		       why);
	} else {
		printf("%s: rejected by %s: %s (%d): %s\n", file, step, errno_name(err), err, why);
	}
}
