/*
 * oracle.h: the kernel-source oracle, which runs the kernel's own code (kernel_side.c) and klpelf
 * on the same bytes and compares what they say. SPDX-License-Identifier: GPL-2.0-only
 */

#ifndef KLPELF_ORACLE_H
#define KLPELF_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "klpelf.h"

/* include/uapi/linux/elf.h: a livepatch relocation section. */
#define SHF_RELA_LIVEPATCH 0x00100000

/* Where every undefined (and livepatch) symbol resolves: below 2 GiB, so that the relocations the
 * loader writes into sections placed below 2 GiB (loader.c) fit as they fit in the kernel. */
#define ORACLE_SYMBOL_ADDRESS 0x10000000UL

/* ---- the kernel side (kernel_side.c, kernel_shim.c, livepatch.c, module_signature.c) --------- */

/* load_module()'s first steps: module_sig_check(), then elf_validity_cache_copy(info, flags). */
int kernel_check_image(struct load_info *info, int flags);
void kernel_rewrite_section_headers(struct load_info *info);
int kernel_simplify_symbols(struct module *mod, const struct load_info *info);
int kernel_apply_relocations(struct module *mod, const struct load_info *info);
bool kernel_is_livepatch(const struct load_info *info);
int kernel_klp_apply_section_relocs(struct module *pmod, Elf64_Shdr *sechdrs, const char *shstrtab,
				    const char *strtab, unsigned int symndx, unsigned int secndx,
				    const char *objname);
/* kernel/module/livepatch.c, renamed at compile time. */
int kernel_copy_module_elf(struct module *mod, struct load_info *info);
void kernel_free_module_elf(struct module *mod);

/* The kernel's allocations (kmalloc() and kmemdup()): the fail_at-th (1-based) fails. */
struct oracle_kalloc {
	unsigned long count;   /* allocations attempted since the driver reset it */
	unsigned long fail_at; /* 0: none fails */
	long live;             /* blocks handed out and not yet freed */
};
extern struct oracle_kalloc oracle_kalloc;

/* The kernel's messages (pr_err and friends), appended to buf, each "level: text" followed by
 * ORACLE_LOG_END: a message's text may hold newlines (a module name from a mangled .modinfo). */
#define ORACLE_LOG_END "\x1e"
struct oracle_log {
	char *buf;
	size_t size;
	size_t used;
};
extern struct oracle_log oracle_log;
/*
 * The read witness. The kernel's checks read strings of the image with strcmp() (section names, in
 * find_sec() and find_any_unique_sec()), strncmp() (.modinfo entries, in get_next_modinfo()) and
 * strnlen() (extended version names); the shim's versions of the three check, while `info` is
 * set, that each read stays in the table it is meant for: the section-name table, the .modinfo
 * section, and the ELF part of the file. The first read that leaves it is described in `what`
 * (memory that survives a crash). AddressSanitizer sees reads outside the whole buffer; these see
 * reads that stay in the file but leave their table. The loader's later steps (loader.c) record
 * their reads outside the file here too.
 */
struct oracle_witness {
	const struct load_info *info;
	char *what;
	size_t what_size;
};
extern struct oracle_witness oracle_witness;

/* Where oracle_mod_percpu() points symbols of .data..percpu (loader.c sets it). */
extern void *oracle_percpu_area;

/* ---- inputs (corpus.c, mutate.c) ------------------------------------------------------------- */

/* A module image: malloc'd (so 8-aligned), exactly `len` bytes, so that AddressSanitizer sees any
 * read past its end. */
struct image {
	unsigned char *bytes;
	size_t len;
};

bool image_read(const char *path, struct image *out);
void image_copy(struct image *dst, const struct image *src);
void image_free(struct image *img);

/* A change to a base image: up to three fields, each `width` bytes at `offset` replaced by
 * `value` (little endian), or, for a flip, one byte XORed with it. */
struct change {
	uint32_t offset;
	uint8_t width;
	uint64_t value;
};
struct mutation {
	struct change change[3];
	uint8_t changes;
	bool flip;
	char what[112];
};

/* Every single-field mutation of `base` (ELF header, each section header, a few symbols and
 * relocations), and the few-field ones that reach klpelf's own checks; returns how many were
 * written to `out` (at most `max`). */
size_t mutations_of(const struct image *base, struct mutation *out, size_t max);
/* Random byte flip number `k` of `base`, from `seed`. */
void flip_of(const struct image *base, uint64_t seed, uint64_t k, struct mutation *out);
void mutation_apply(struct image *img, const struct mutation *m);

/* ---- one comparison (compare.c, copy.c, loader.c) -------------------------------------------- */

enum phase {
	PHASE_START,
	PHASE_KLPELF,        /* klpelf_setup_load_info() */
	PHASE_KERNEL_CHECKS, /* kernel_check_image() */
	PHASE_KERNEL_LOADER, /* the kernel's later steps (loader.c) */
	PHASE_COPY,          /* copy_module_elf() on both sides */
	PHASE_RELOCS_KLPELF, /* klpelf's livepatch relocations (relocs.c) */
	PHASE_RELOCS_KERNEL, /* the kernel's livepatch relocations (relocs_kernel.c) */
	PHASE_DONE,
};

struct side {
	int ret;
	int check;          /* klpelf: klpelf_last_error_check(); kernel: matched from its message */
	char message[512];  /* klpelf: klpelf_last_error(); kernel: what it printed */
	struct load_info info;
};

/* The input in flight, kept where a crash of the process that runs it does not lose it. */
struct record {
	char input[512];      /* file, and mutation if any */
	enum phase phase;
	struct side klpelf, kernel;
	bool modinfo_open;    /* .modinfo is empty or its last entry has no NUL */
	bool class_or_data;   /* klpelf's ehdr_arch rejects for EI_CLASS/EI_DATA alone */
	bool this_module_misaligned; /* .gnu.linkonce.this_module's offset is not 8-aligned */
	char witness[256];    /* the kernel's first read outside its table (kernel_shim.c) */
	char loader[512];     /* the kernel's later steps: what they printed */
	int loader_ret;
	bool livepatch;       /* the kernel's get_modinfo() finds livepatch= */
	char crash[512];      /* filled by the runner when the process died */
};

/* What one comparison found. */
/* KNOWN: an undocumented difference listed in known-differences.txt (reported, to be fixed). */
enum outcome { AGREE, DOCUMENTED, UNDOCUMENTED, SKIPPED, KNOWN };
struct finding {
	enum outcome outcome;
	char kind[96];     /* for DOCUMENTED and UNDOCUMENTED: what differs */
};

struct options {
	bool checks;       /* compare the ELF checks */
	bool copy;         /* compare copy_module_elf()/free_module_elf() on accepted images */
	bool relocs;       /* compare livepatch relocations (relocs.c), on files and tables */
	bool in_process;   /* no process to spare (fuzzing): skip the inputs on which the kernel is
			    * expected to read out of bounds */
};

/* Runs both sides on `img` and fills `rec` (rec->input set by the caller); returns the finding. */
struct finding compare_image(const struct image *img, struct record *rec, const struct options *o);
/* The finding for a record whose process died in rec->phase (rec->crash says how). */
struct finding classify_crash(const struct record *rec);
/* The copy comparison of an image both sides accepted; appends to `kind` what differs. */
bool compare_copy(const struct image *img, struct record *rec, char *kind, size_t kind_size);
/* The kernel's later steps on an image its checks accepted (a copy is changed); returns their
 * result, their messages in rec->loader. */
int kernel_loader_steps(const struct image *img, struct record *rec);

/* Prints a record and what was found about it (run.c). */
void print_record(const struct record *rec, const struct finding *f);

/* ---- klpelf's checks as docs/checks.md lists them (checks.c) ---------------------------------- */

/* The check (enum klpelf_check) whose documented kernel message `printed` is, or -1. */
int check_of_message(const char *printed);
/* Position of a check in the kernel's order (klpelf's own checks: where they run first). */
int check_stage(int check);
bool is_own_check(int check);
/* Whether `pattern` (a printf format) could have printed `text`. */
bool format_matches(const char *pattern, const char *text);

#endif /* KLPELF_ORACLE_H */
