/*
 * kernel.c: the ring-0 test kernel's work. It loads every multiboot module it was given (QEMU's
 * -initrd a.ko,b.ko,...) with the freestanding libklpelf, as a kernel's module loader would:
 *
 *   klpelf_setup_load_info -> klpelf_prepare_module -> copy_module_elf -> its own checks of what
 *   was persisted -> for a livepatch module, its livepatch relocations applied against a small
 *   built-in symbol table, checked against its own computation, and cleared again ->
 *   klpelf_release_module
 *
 * and prints one line per module on the serial port: "module NAME: accepted ..." or
 * "module NAME: refused -EXXX CHECK at STEP: MESSAGE" (NAME: the module's multiboot command line,
 * its last word). Memory comes from a counting allocator registered with klpelf_set_allocator();
 * at the end it prints the number of blocks still live, which must be 0, and exits through QEMU's
 * isa-debug-exit device: RING0_PASS when every module was handled and nothing leaked.
 * SPDX-License-Identifier: GPL-2.0-only
 */
#include <asm-generic/errno.h> /* the kernel's errno numbers, which klpelf returns */
#include <stdbool.h>

#include "klpelf.h"
#include "ring0.h"

/* ---- multiboot (v1) ---------------------------------------------------------------------- */

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002
#define MULTIBOOT_INFO_MODS (1u << 3)

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
};

struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
};

/* boot.S stores what the boot loader passed in EAX and EBX. */
extern uint32_t ring0_multiboot_magic;
extern uint32_t ring0_multiboot_info;

/* ---- stack use: the stack below ring0_main's frame is painted, and the deepest byte that
 * changed tells how much the module loads used ------------------------------------------- */

#define STACK_PAINT 0xa5
extern uint8_t ring0_stack[]; /* boot.S: the stack's lowest byte */

static __attribute__((noinline)) void paint_stack(void)
{
	uint8_t *below = __builtin_frame_address(0);

	/* Leaves 256 bytes under this frame for memset's own use. */
	memset(ring0_stack, STACK_PAINT, (size_t)(below - 256 - ring0_stack));
}

static size_t stack_used(const uint8_t *top)
{
	const uint8_t *p = ring0_stack;

	while (p < top && *p == STACK_PAINT)
		p++;
	return (size_t)(top - p);
}

/* ---- the allocator klpelf gets: a bump allocator that counts live blocks ----------------- */

#define ARENA_SIZE (4u << 20)
#define BLOCK_LIVE 0x6b6c70656c6c6976ULL  /* "klpelliv" */
#define BLOCK_FREED 0x6b6c70656c667265ULL /* "klpelfre" */

struct block_header {
	uint64_t size; /* what klpelf asked for; its free() must pass it back */
	uint64_t magic;
};

static uint8_t arena[ARENA_SIZE] __attribute__((aligned(16)));

static struct {
	size_t used;
	size_t peak;
	unsigned long live;
	unsigned long allocations;
	bool misuse;
} heap;

static void *ring0_alloc(size_t size, void *ctx)
{
	size_t need = sizeof(struct block_header) + ((size + 15) & ~(size_t)15);
	struct block_header *h;

	(void)ctx;
	if (size > ARENA_SIZE || need > ARENA_SIZE - heap.used)
		return NULL;
	h = (struct block_header *)(arena + heap.used);
	h->size = size;
	h->magic = BLOCK_LIVE;
	heap.used += need;
	if (heap.used > heap.peak)
		heap.peak = heap.used;
	heap.live++;
	heap.allocations++;
	return h + 1;
}

/* Checks that the block is live and that klpelf passes the size it asked for; the arena starts
 * over once no block is live. */
static void ring0_free(void *ptr, size_t size, void *ctx)
{
	struct block_header *h = (struct block_header *)ptr - 1;

	(void)ctx;
	if ((uint8_t *)ptr < arena + sizeof(*h) || (uint8_t *)ptr >= arena + heap.used ||
	    h->magic != BLOCK_LIVE || h->size != size) {
		ring0_printf("allocator: bad free of %p (size %zu)\n", ptr, size);
		heap.misuse = true;
		return;
	}
	h->magic = BLOCK_FREED;
	if (--heap.live == 0)
		heap.used = 0;
}

/* ---- the kernel's symbols, for livepatch relocations --------------------------------------- */

/* A small symbol table in the kernel's address ranges: vmlinux in the kernel text and data,
 * modules in the module area. Two symbols of the same name in one object are told apart by
 * their position (a livepatch symbol's sympos), as in kallsyms. */
struct ksym {
	const char *obj;
	const char *name;
	uint64_t addr;
};

static const struct ksym ksyms[] = {
	{ "vmlinux", "cmdline_proc_show", 0xffffffff81312340 },
	{ "vmlinux", "saved_command_line", 0xffffffff82a01008 },
	{ "vmlinux", "load_elf_binary", 0xffffffff81420000 },
	{ "vmlinux", "load_elf_binary", 0xffffffff81420800 },
	{ "vmlinux", "schedule", 0xffffffff81c01230 },
	{ "vmlinux", "jiffies", 0xffffffff82805000 },
	{ "vmlinux", "helper.isra.0", 0xffffffff81500100 },
	{ "klpelf_target", "klpelf_target_add", 0xffffffffc0100010 },
	{ "klpelf_target", "klpelf_target_counter", 0xffffffffc0102000 },
	{ "ext4", "ext4_fill_super", 0xffffffffc0200400 },
	{ "ext4", "helper", 0xffffffffc0200100 },
	{ "ext4", "helper", 0xffffffffc0200200 },
};

/* Where the livepatch module's sections run: the module area, above the objects it patches. */
#define MODULE_AREA 0xffffffffc0300000ULL

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* The kernel's klp_find_object_symbol(): sympos 0 asks for the one symbol of that name, N for
 * the N-th. The resolver klpelf calls (objname NULL: vmlinux). */
static int resolve(const char *objname, const char *symname, unsigned long sympos,
		   unsigned long *addr, void *ctx)
{
	const char *obj = objname ? objname : "vmlinux";
	unsigned long count = 0, found = 0;
	size_t i;

	(void)ctx;
	for (i = 0; i < sizeof(ksyms) / sizeof(ksyms[0]); i++) {
		if (!str_eq(ksyms[i].obj, obj) || !str_eq(ksyms[i].name, symname))
			continue;
		count++;
		if (count == sympos || (sympos == 0 && count == 1))
			found = ksyms[i].addr;
	}
	if (count == 0 || (sympos == 0 && count > 1) || sympos > count)
		return -EINVAL;
	*addr = found;
	return 0;
}

/* ---- one module -------------------------------------------------------------------------- */

#define MAX_SECTIONS 256
#define MAX_OBJECTS 8
#define PLACE_AREA_SIZE (1u << 20)

/* What one module's load found; the result line is printed from it. */
struct outcome {
	const char *step;   /* the step that refused or failed */
	int err;            /* klpelf's return value, 0 for a check of this kernel's own */
	const char *reason; /* this kernel's own failed check, or NULL */
	unsigned int relocs;
};

static struct klpelf_section_place places[MAX_SECTIONS];
static uint8_t place_area[PLACE_AREA_SIZE] __attribute__((aligned(4096)));

static bool fail(struct outcome *o, const char *step, const char *reason)
{
	o->step = step;
	o->reason = reason;
	return false;
}

static bool refuse(struct outcome *o, const char *step, int err)
{
	o->step = step;
	o->err = err;
	return false;
}

/* What copy_module_elf() persisted must equal the image's header, section headers (but for the
 * symbol table's sh_addr, which points at core_kallsyms) and section names, and the kallsyms
 * copy the image's symbols. */
static bool check_persisted(const struct module *mod, const struct load_info *info,
			    struct outcome *o)
{
	const struct klp_modinfo *k = mod->klp_info;
	const Elf64_Shdr *sym;
	unsigned int i, shnum;
	bool klp;

	if (!k)
		return fail(o, "check", "klp_info is NULL");
	if (memcmp(&k->hdr, info->hdr, sizeof(k->hdr)) != 0)
		return fail(o, "check", "the persisted ELF header differs from the image's");
	shnum = k->hdr.e_shnum;
	if (shnum == 0 || shnum > MAX_SECTIONS || k->symndx != info->index.sym || k->symndx >= shnum)
		return fail(o, "check", "the section count or symbol table index is wrong");
	for (i = 0; i < shnum; i++) {
		Elf64_Shdr expected = info->sechdrs[i];

		if (i == k->symndx)
			expected.sh_addr = (uintptr_t)mod->core_kallsyms.symtab;
		if (memcmp(&k->sechdrs[i], &expected, sizeof(expected)) != 0)
			return fail(o, "check", "a persisted section header differs from the image's");
	}
	if (memcmp(k->secstrings, info->secstrings, info->sechdrs[k->hdr.e_shstrndx].sh_size) != 0)
		return fail(o, "check", "the persisted section names differ from the image's");
	sym = &info->sechdrs[k->symndx];
	if (mod->core_kallsyms.num_symtab != sym->sh_size / sizeof(Elf64_Sym) ||
	    memcmp(mod->core_kallsyms.symtab, (const uint8_t *)info->hdr + sym->sh_offset,
		   sym->sh_size) != 0 ||
	    mod->core_kallsyms.strtab[0] != '\0')
		return fail(o, "check", "core_kallsyms differs from the image's symbol table");
	klp = klpelf_get_modinfo(info, "livepatch") != NULL;
	if (mod->klp != klp)
		return fail(o, "check", "mod->klp disagrees with .modinfo's livepatch tag");
	return true;
}

struct objects {
	unsigned int count;
	char names[MAX_OBJECTS][MODULE_NAME_LEN];
};

/* klpelf_for_each_klp_rela()'s callback: the distinct objects the module patches. */
static int collect_object(const struct module *mod, unsigned int secndx, const char *objname,
			  void *ctx)
{
	struct objects *objs = ctx;
	unsigned int i;
	size_t n;

	(void)mod;
	(void)secndx;
	for (i = 0; i < objs->count; i++)
		if (str_eq(objs->names[i], objname))
			return 0;
	n = str_len(objname);
	if (objs->count == MAX_OBJECTS || n >= MODULE_NAME_LEN)
		return -E2BIG;
	memcpy(objs->names[objs->count++], objname, n + 1);
	return 0;
}

static bool is_klp_rela(const Elf64_Shdr *s)
{
	return s->sh_type == SHT_RELA && (s->sh_flags & KLPELF_SHF_RELA_LIVEPATCH);
}

/* Places every section a livepatch relocation section writes to: a copy of its bytes from the
 * image in place_area, running at MODULE_AREA plus the same offset. */
static bool place_targets(const struct module *mod, const struct load_info *info,
			  struct outcome *o)
{
	const Elf64_Shdr *sh = mod->klp_info->sechdrs;
	unsigned int i, shnum = mod->klp_info->hdr.e_shnum;
	size_t used = 0;

	memset(places, 0, sizeof(places));
	for (i = 0; i < shnum; i++) {
		const Elf64_Shdr *t;
		uint64_t align;

		if (!is_klp_rela(&sh[i]) || sh[i].sh_info >= shnum || places[sh[i].sh_info].mem)
			continue;
		t = &sh[sh[i].sh_info];
		align = t->sh_addralign > 1 ? t->sh_addralign : 1;
		used = (used + align - 1) & ~(align - 1);
		if (t->sh_size > PLACE_AREA_SIZE - used)
			return fail(o, "place", "the sections do not fit the placement area");
		if (t->sh_type == SHT_NOBITS)
			memset(place_area + used, 0, t->sh_size);
		else
			memcpy(place_area + used, (const uint8_t *)info->hdr + t->sh_offset, t->sh_size);
		places[sh[i].sh_info].addr = MODULE_AREA + used;
		places[sh[i].sh_info].mem = place_area + used;
		used += t->sh_size;
	}
	return true;
}

/* The livepatch symbol name ".klp.sym.OBJ.NAME,POS" split as the kernel splits it. */
static bool split_klp_sym(const char *s, char *obj, char *name, unsigned long *pos)
{
	const char *prefix = ".klp.sym.", *comma = NULL;
	size_t i = 0, n = 0;

	while (prefix[i] && s[i] == prefix[i])
		i++;
	if (prefix[i])
		return false;
	s += i;
	while (s[n] && s[n] != '.' && n < MODULE_NAME_LEN - 1)
		n++;
	if (s[n] != '.' || n == 0)
		return false;
	memcpy(obj, s, n);
	obj[n] = '\0';
	s += n + 1;
	for (n = 0; s[n]; n++)
		if (s[n] == ',')
			comma = s + n;
	if (!comma || comma == s || (size_t)(comma - s) >= KSYM_NAME_LEN)
		return false;
	memcpy(name, s, (size_t)(comma - s));
	name[comma - s] = '\0';
	for (*pos = 0, comma++; *comma >= '0' && *comma <= '9'; comma++)
		*pos = *pos * 10 + (unsigned long)(*comma - '0');
	return *comma == '\0';
}

/* After every object was applied: each livepatch relocation's symbol holds the address the
 * symbol table gives for its name, and each target holds the psABI's value for its type. */
static bool check_applied(const struct module *mod, struct outcome *o)
{
	const Elf64_Shdr *sh = mod->klp_info->sechdrs;
	unsigned int i, shnum = mod->klp_info->hdr.e_shnum;
	static char obj[MODULE_NAME_LEN], name[KSYM_NAME_LEN];

	for (i = 0; i < shnum; i++) {
		const Elf64_Rela *rela = (const Elf64_Rela *)(uintptr_t)sh[i].sh_addr;
		const struct klpelf_section_place *p;
		size_t j;

		if (!is_klp_rela(&sh[i]))
			continue;
		p = &places[sh[i].sh_info];
		for (j = 0; j < sh[i].sh_size / sizeof(*rela); j++) {
			const Elf64_Sym *sym = &mod->core_kallsyms.symtab[ELF64_R_SYM(rela[j].r_info)];
			uint64_t s = sym->st_value, a = (uint64_t)rela[j].r_addend;
			uint64_t at = p->addr + rela[j].r_offset, want, have = 0;
			unsigned long pos, addr;
			unsigned int size = 4;

			if (!split_klp_sym(mod->core_kallsyms.strtab + sym->st_name, obj, name, &pos) ||
			    resolve(str_eq(obj, "vmlinux") ? NULL : obj, name, pos, &addr, NULL) != 0 ||
			    addr != s)
				return fail(o, "check", "a livepatch symbol was not resolved to its address");
			switch (ELF64_R_TYPE(rela[j].r_info)) {
			case R_X86_64_NONE:
				continue;
			case R_X86_64_64:
				want = s + a;
				size = 8;
				break;
			case R_X86_64_32:
			case R_X86_64_32S:
				want = (s + a) & 0xffffffffu;
				break;
			case R_X86_64_PC32:
			case R_X86_64_PLT32:
				want = (s + a - at) & 0xffffffffu;
				break;
			case R_X86_64_PC64:
				want = s + a - at;
				size = 8;
				break;
			default:
				return fail(o, "check", "a relocation type the kernel does not apply was applied");
			}
			memcpy(&have, (uint8_t *)p->mem + rela[j].r_offset, size);
			if (have != want)
				return fail(o, "check", "a relocation target does not hold its value");
			o->relocs++;
		}
	}
	return true;
}

/* After every object was cleared: each placed section is byte for byte the image's again. */
static bool check_cleared(const struct module *mod, const struct load_info *info,
			  struct outcome *o)
{
	const Elf64_Shdr *sh = mod->klp_info->sechdrs;
	unsigned int i, shnum = mod->klp_info->hdr.e_shnum;

	for (i = 0; i < shnum; i++)
		if (places[i].mem && sh[i].sh_type != SHT_NOBITS &&
		    memcmp(places[i].mem, (const uint8_t *)info->hdr + sh[i].sh_offset,
			   sh[i].sh_size) != 0)
			return fail(o, "check", "a cleared section differs from the image's");
	return true;
}

/* Applies the livepatch relocations for vmlinux and every object the module patches, as if
 * all were loaded, checks them, and clears them again, the last object first. */
static bool livepatch_relocs(struct module *mod, const struct load_info *info, struct outcome *o)
{
	static struct objects objs;
	struct klpelf_layout layout = { places, MAX_SECTIONS, NULL, NULL, NULL };
	unsigned int applied, i;
	bool ok = true;
	int err;

	objs.count = 0;
	err = klpelf_for_each_klp_rela(mod, collect_object, &objs);
	if (err)
		return refuse(o, "klp walk", err);
	if (!place_targets(mod, info, o))
		return false;
	for (applied = 0; applied < objs.count; applied++) {
		const char *obj = objs.names[applied];

		err = klpelf_klp_apply_object_relocs(mod, str_eq(obj, "vmlinux") ? NULL : obj,
						     &layout, resolve, NULL);
		if (err) {
			ok = refuse(o, "apply", err);
			break;
		}
	}
	if (ok)
		ok = check_applied(mod, o);
	for (i = applied; i-- > 0;) {
		const char *obj = objs.names[i];

		err = klpelf_klp_clear_object_relocs(mod, str_eq(obj, "vmlinux") ? NULL : obj,
						     &layout);
		if (err && ok)
			ok = refuse(o, "clear", err);
	}
	if (ok && applied == objs.count)
		ok = check_cleared(mod, info, o);
	return ok;
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EINVAL, "EINVAL" },	    { ENOEXEC, "ENOEXEC" },	      { ENOMEM, "ENOMEM" },
	{ EEXIST, "EEXIST" },	    { EBADMSG, "EBADMSG" },	      { ENAMETOOLONG, "ENAMETOOLONG" },
	{ ENOSYS, "ENOSYS" },	    { E2BIG, "E2BIG" },	      { EFBIG, "EFBIG" },
	{ ENOTRECOVERABLE, "ENOTRECOVERABLE" },
};

static const char *errno_name(int err)
{
	size_t i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
		if (errno_names[i].err == -err)
			return errno_names[i].name;
	return "E?";
}

/* Loads one module image; returns false when a check of this kernel's own failed (a refusal by
 * klpelf is an outcome, not a failure). */
static bool load_module(const char *file, void *image, size_t len)
{
	struct outcome o = { NULL, 0, NULL, 0 };
	struct load_info info;
	struct module mod;
	int err;

	memset(&mod, 0, sizeof(mod));
	if ((err = klpelf_setup_load_info(&info, image, len, 0)) != 0)
		refuse(&o, "setup", err);
	else if ((err = klpelf_prepare_module(&mod, &info)) != 0)
		refuse(&o, "prepare", err);
	else if ((err = copy_module_elf(&mod, &info)) != 0)
		refuse(&o, "copy", err);
	else if (check_persisted(&mod, &info, &o) && mod.klp)
		livepatch_relocs(&mod, &info, &o);

	if (o.reason)
		ring0_printf("module %s: FAILED at %s: %s\n", file, o.step, o.reason);
	else if (o.err)
		ring0_printf("module %s: refused -%s %s at %s: %s\n", file, errno_name(o.err),
			     klpelf_check_name(klpelf_last_error_check()), o.step,
			     klpelf_last_error());
	else
		ring0_printf("module %s: accepted name=%s klp=%d sections=%u symbols=%u relocs=%u\n",
			     file, mod.name, mod.klp, mod.klp_info->hdr.e_shnum,
			     mod.core_kallsyms.num_symtab, o.relocs);
	klpelf_release_module(&mod);
	if (mod.klp_info || mod.core_kallsyms.symtab) {
		ring0_printf("module %s: FAILED: klpelf_release_module left pointers set\n", file);
		return false;
	}
	return o.reason == NULL;
}

/* The module's name for the report: the last word of its multiboot command line. */
static const char *module_name(uint32_t string)
{
	const char *s = (const char *)(uintptr_t)string, *last;

	if (!string)
		return "(unnamed)";
	for (last = s; *s; s++)
		if (*s == ' ' && s[1] && s[1] != ' ')
			last = s + 1;
	return last;
}

__attribute__((noreturn)) void ring0_main(void);

void ring0_main(void)
{
	static const struct klpelf_allocator allocator = { ring0_alloc, ring0_free, NULL };
	const struct multiboot_info *mbi =
		(const struct multiboot_info *)(uintptr_t)ring0_multiboot_info;
	const struct multiboot_module *mods;
	uint64_t cr0, cr4;
	bool ok = true;
	uint32_t i;

	ring0_console_init();
	ring0_idt_init();
	cr0 = ring0_read_cr0();
	cr4 = ring0_read_cr4();
	ring0_printf("ring0: klpelf %s in long mode, CR0 0x%lx CR4 0x%lx: SSE %s\n", klpelf_version(),
		     cr0, cr4, (cr0 & 4) || !(cr4 & (1u << 9)) ? "off" : "on");
	if (ring0_multiboot_magic != MULTIBOOT_BOOTLOADER_MAGIC ||
	    !(mbi->flags & MULTIBOOT_INFO_MODS) || mbi->mods_count == 0) {
		ring0_printf("ring0: no multiboot modules (magic 0x%x)\n", ring0_multiboot_magic);
		ring0_exit(RING0_FAIL);
	}
	if (klpelf_set_allocator(&allocator) != 0) {
		ring0_printf("ring0: klpelf_set_allocator: %s\n", klpelf_last_error());
		ring0_exit(RING0_FAIL);
	}
	mods = (const struct multiboot_module *)(uintptr_t)mbi->mods_addr;
	paint_stack();
	for (i = 0; i < mbi->mods_count; i++) {
		if (mods[i].mod_end > RING0_MAPPED || mods[i].mod_end < mods[i].mod_start) {
			ring0_printf("module %s: FAILED: not in the mapped memory\n",
				     module_name(mods[i].string));
			ok = false;
			continue;
		}
		ok &= load_module(module_name(mods[i].string), (void *)(uintptr_t)mods[i].mod_start,
				  mods[i].mod_end - mods[i].mod_start);
	}
	ring0_printf("ring0: stack: %zu bytes used\n", stack_used(__builtin_frame_address(0)));
	ring0_printf("ring0: %u modules, %lu allocations, peak %zu bytes, live blocks %lu\n",
		     mbi->mods_count, heap.allocations, heap.peak, heap.live);
	ring0_exit(ok && heap.live == 0 && !heap.misuse ? RING0_PASS : RING0_FAIL);
}
