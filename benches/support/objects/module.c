/*
 * A module-shaped object for klpelf's `ingest` and `pipeline` benchmarks: what kbuild makes of a
 * small livepatch module with -ffunction-sections -fdata-sections, 92 sections in all: .modinfo
 * (name=, livepatch=Y, ...), __versions, .gnu.linkonce.this_module, .init.text/.exit.text, and per
 * function a .text.*, its .rela.text.* and a .data.* object. Compiled at bench time by the system C
 * compiler (see src/lib.rs for the flags). SPDX-License-Identifier: GPL-2.0-only
 */
#define __used __attribute__((used))
#define __section(s) __attribute__((section(s)))
#define MODINFO(n, tagval) \
	static const char __modinfo_##n[] __used __section(".modinfo") __attribute__((aligned(1))) = tagval

MODINFO(license, "license=GPL");
MODINFO(livepatch, "livepatch=Y");
MODINFO(depends, "depends=");
MODINFO(retpoline, "retpoline=Y");
MODINFO(name, "name=klpelf_bench_mod");
MODINFO(vermagic, "vermagic=6.1.0-28-amd64 SMP preempt mod_unload modversions ");

struct modversion_info {
	unsigned long crc;
	char name[64 - sizeof(unsigned long)];
};

static const struct modversion_info ____versions[] __used __section("__versions") = {
	{ 0x8e17b3ae, "module_layout" },
	{ 0xbdfb6dbb, "__fentry__" },
	{ 0x92997ed8, "_printk" },
	{ 0x5b8239ca, "__x86_return_thunk" },
	{ 0x65487097, "__x86_indirect_thunk_rax" },
};

/* Stands in for the target kernel's struct module (its size is the kernel's business). */
struct module_stub {
	char name[56];
	char rest[1280 - 56];
};

struct module_stub __this_module __section(".gnu.linkonce.this_module")
	__attribute__((aligned(64))) = { .name = "klpelf_bench_mod" };

extern int klp_bench_sink(const char *fmt, ...);
extern int klp_bench_table[];
const char klp_bench_fmt[] = "klp %d";

#define FN(i)                                                                        \
	int klp_bench_state_##i = i + 1;                                             \
	__attribute__((noinline)) int klp_bench_fn_##i(int x)                        \
	{                                                                            \
		return klp_bench_sink(klp_bench_fmt, x + klp_bench_table[i] + klp_bench_state_##i); \
	}

FN(0) FN(1) FN(2) FN(3) FN(4) FN(5) FN(6) FN(7) FN(8) FN(9)
FN(10) FN(11) FN(12) FN(13) FN(14) FN(15) FN(16) FN(17) FN(18) FN(19)
FN(20) FN(21) FN(22) FN(23) FN(24)

static int __section(".init.text") __used klp_bench_init(void)
{
	return klp_bench_fn_0(1);
}

static void __section(".exit.text") __used klp_bench_exit(void)
{
	klp_bench_fn_1(2);
}
