//! Test support for `tests/ingest.rs`: module-shaped ELF objects built at test time by the system
//! compiler and assembler, what `readelf` says about them (the independent reference), 8-aligned
//! image buffers, and field edits that break one rule at a time.

#![allow(dead_code)]

use std::ffi::{c_void, CStr};
use std::mem::offset_of;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use klpelf::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym};

/// A livepatch-module-shaped C file: `.modinfo` (with a repeated tag and `livepatch=Y`),
/// `.gnu.linkonce.this_module` (1024 bytes: not klpelf's `struct module`, row 18 is not checked),
/// `__versions`, the v6.14 extended version sections, `.data..percpu`, functions, data, a call
/// that needs relocations.
pub const LIVEPATCH_C: &str = r#"
#define MODINFO "license=GPL\0name=klptest\0alias=first\0alias=second\0livepatch=Y\0description=a test module"
static const char klp_modinfo[sizeof(MODINFO)]
	__attribute__((section(".modinfo"), used, aligned(1))) = MODINFO;
struct this_module { char pad[1024]; };
struct this_module __this_module __attribute__((section(".gnu.linkonce.this_module"))) = { { 1 } };
struct modversion_info { unsigned long crc; char name[56]; };
static const struct modversion_info versions[] __attribute__((section("__versions"), used)) = {
	{ 0x12345678, "module_layout" }, { 0x9abcdef0, "printk" } };
static const unsigned int ext_crcs[] __attribute__((section("__version_ext_crcs"), used)) = { 1, 2 };
static const char ext_names[] __attribute__((section("__version_ext_names"), used, aligned(1))) =
	"a_long_symbol_name\0another";
__attribute__((section(".data..percpu"))) int klp_pcpu = 3;
extern int printk(const char *fmt, ...);
int klp_counter = 5;
static int klp_bss;
int klp_function(int x) { klp_bss += x; return printk("%d %d\n", x, klp_counter + klp_bss); }
static int __attribute__((used)) klp_local(void) { return klp_function(2); }
"#;

/// A plain module: no `livepatch` tag, no extended versions, no per-CPU data.
pub const PLAIN_C: &str = r#"
#define MODINFO "license=GPL\0name=plainmod\0vermagic=6.14.0 SMP mod_unload "
static const char plain_modinfo[sizeof(MODINFO)]
	__attribute__((section(".modinfo"), used, aligned(1))) = MODINFO;
struct this_module { char pad[1024]; };
struct this_module __this_module __attribute__((section(".gnu.linkonce.this_module"))) = { { 1 } };
struct modversion_info { unsigned long crc; char name[56]; };
static const struct modversion_info versions[] __attribute__((section("__versions"), used)) = {
	{ 0x12345678, "module_layout" } };
int plain_init(void) { return 0; }
"#;

/// A module whose name fills all 56 bytes of `struct module`'s name, leaving no room for the NUL.
pub const LONG_NAME_C: &str = r#"
#define MODINFO "license=GPL\0name=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123\0livepatch=Y"
static const char long_modinfo[sizeof(MODINFO)]
	__attribute__((section(".modinfo"), used, aligned(1))) = MODINFO;
struct this_module { char pad[1024]; };
struct this_module __this_module __attribute__((section(".gnu.linkonce.this_module"))) = { { 1 } };
int long_init(void) { return 0; }
"#;

/// More than 65,280 sections: extended numbering, with `.symtab_shndx` for a symbol in a high one.
pub const XNUM_S: &str = r#"
	.section .gnu.linkonce.this_module,"aw"
	.zero 1024
	.section .modinfo,"a"
	.asciz "name=xnum"
	.asciz "livepatch=Y"
	.text
	.globl xnum_text
xnum_text:
	.byte 0
.macro sec
	.section .s\@,"a"
	.byte 0
.endm
.rept 70000
	sec
.endr
	.globl xnum_last
xnum_last:
	.byte 1
"#;

/// One section as `readelf -S -W` lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub index: u32,
    pub name: String,
    pub sh_type: String,
    pub offset: u64,
    pub link: u32,
}

/// A compiled object and what readelf says about it.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub bytes: Vec<u8>,
    pub sections: Vec<Listed>,
    pub shoff: u64,
    pub shstrndx: u32,
    pub symbols: usize,
}

impl Fixture {
    /// The readelf index of the section named `name`.
    pub fn index(&self, name: &str) -> u32 {
        self.sections
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("readelf lists no section {name}"))
            .index
    }

    /// The index of the only `SYMTAB` section, by readelf.
    pub fn symtab(&self) -> &Listed {
        let mut symtabs = self.sections.iter().filter(|s| s.sh_type == "SYMTAB");
        let symtab = symtabs.next().expect("a symbol table");
        assert!(symtabs.next().is_none());
        symtab
    }

    pub fn elf(&self) -> Elf {
        Elf(self.bytes.clone())
    }
}

fn unique_path(stem: &str, ext: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("klpelf-ingest-{}-{n}-{stem}.{ext}", std::process::id()))
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(out.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("tool output is UTF-8")
}

/// Compiles (or assembles, for `ext` "S") `source` with the system compiler, then asks readelf.
pub fn build(stem: &str, ext: &str, source: &str) -> Fixture {
    let src = unique_path(stem, ext);
    let obj = unique_path(stem, "o");
    std::fs::write(&src, source).unwrap();
    run(Command::new("cc").args(["-c", "-O2", "-o"]).arg(&obj).arg(&src));
    let bytes = std::fs::read(&obj).unwrap();
    let sections = parse_sections(&run(Command::new("readelf").args(["-S", "-W"]).arg(&obj)));
    let header = run(Command::new("readelf").arg("-h").arg(&obj));
    let symbols = run(Command::new("readelf").args(["-s", "-W"]).arg(&obj));
    let _ = std::fs::remove_file(&src);
    let _ = std::fs::remove_file(&obj);
    Fixture {
        bytes,
        sections,
        shoff: header_number(&header, "Start of section headers:"),
        shstrndx: header_number(&header, "Section header string table index:") as u32,
        symbols: symbol_count(&symbols),
    }
}

/// `readelf -h`'s number after `label` (the one in parentheses under extended numbering).
fn header_number(text: &str, label: &str) -> u64 {
    let line = text.lines().find(|l| l.trim_start().starts_with(label)).expect(label);
    let rest = line.trim_start()[label.len()..].trim();
    let first = rest.split_whitespace().next().unwrap();
    let extended = match (rest.find('('), rest.find(')')) {
        (Some(open), Some(close)) => rest[open + 1..close].parse().ok(),
        _ => None,
    };
    extended.or(first.parse().ok()).unwrap_or_else(|| panic!("a number in {line:?}"))
}

/// `readelf -s`: "Symbol table '.symtab' contains N entries:".
fn symbol_count(text: &str) -> usize {
    let line = text.lines().find(|l| l.contains("'.symtab' contains")).expect("a .symtab");
    line.split_whitespace().nth(4).unwrap().parse().unwrap()
}

/// `readelf -S -W` lines: `[Nr] Name Type Address Off Size ES Flg Lk Inf Al`. Flags may be empty
/// and some type names have spaces, so the name comes first and the numbers are counted from the end.
fn parse_sections(text: &str) -> Vec<Listed> {
    let mut sections = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix('[') else { continue };
        let Some(close) = rest.find(']') else { continue };
        let Ok(index) = rest[..close].trim().parse::<u32>() else { continue };
        let fields: Vec<&str> = rest[close + 1..].split_whitespace().collect();
        // Section 0 has no name; the type ends before the 16-digit address and may have spaces.
        let type_at = usize::from(index != 0);
        let address = (type_at + 1..fields.len())
            .find(|&i| fields[i].len() == 16 && fields[i].chars().all(|c| c.is_ascii_hexdigit()))
            .expect("an address column");
        let name = if index == 0 { String::new() } else { fields[0].to_string() };
        let sh_type = fields[type_at..address].join(" ");
        // Off follows the address; from the end come Al, Inf, Lk.
        let offset = u64::from_str_radix(fields[address + 1], 16).unwrap();
        let link = fields[fields.len() - 3].parse().unwrap();
        sections.push(Listed { index, name, sh_type, offset, link });
    }
    sections
}

pub fn livepatch() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("livepatch", "c", LIVEPATCH_C))
}

pub fn plain() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("plain", "c", PLAIN_C))
}

pub fn long_name() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("longname", "c", LONG_NAME_C))
}

pub fn xnum() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("xnum", "S", XNUM_S))
}

/// Image bytes held 8-aligned, as the C API requires (a `Vec<u8>` promises only 1).
pub struct Image {
    words: Vec<u64>,
    len: usize,
}

impl Image {
    pub fn new(bytes: &[u8]) -> Self {
        Self::at(bytes, 0)
    }

    /// `bytes` starting `skew` bytes past an 8-aligned address.
    pub fn at(bytes: &[u8], skew: usize) -> Self {
        let mut image =
            Image { words: vec![0; (bytes.len() + skew).div_ceil(8) + 1], len: bytes.len() + skew };
        image.all_mut()[skew..].copy_from_slice(bytes);
        image
    }

    fn all_mut(&mut self) -> &mut [u8] {
        // SAFETY: the words hold at least `len` initialized bytes, borrowed mutably with `self`.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr().cast::<u8>(), self.len) }
    }

    pub fn base(&mut self) -> *mut u8 {
        self.words.as_mut_ptr().cast()
    }

    pub fn ptr(&mut self) -> *mut c_void {
        self.base().cast()
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

/// An object's bytes with field edits addressed by goblin's record layouts.
#[derive(Clone)]
pub struct Elf(pub Vec<u8>);

impl Elf {
    /// The host-order field of `size` bytes (1, 2, 4 or 8) at `at`.
    pub fn get(&self, at: usize, size: usize) -> u64 {
        let b = &self.0[at..at + size];
        match size {
            1 => u64::from(b[0]),
            2 => u64::from(u16::from_ne_bytes(b.try_into().unwrap())),
            4 => u64::from(u32::from_ne_bytes(b.try_into().unwrap())),
            8 => u64::from_ne_bytes(b.try_into().unwrap()),
            _ => panic!("no {size}-byte ELF fields"),
        }
    }

    /// Sets the host-order field of `size` bytes (1, 2, 4 or 8) at `at` (`value` is truncated).
    pub fn set(&mut self, at: usize, size: usize, value: u64) {
        let b = &mut self.0[at..at + size];
        match size {
            1 => b[0] = value as u8,
            2 => b.copy_from_slice(&(value as u16).to_ne_bytes()),
            4 => b.copy_from_slice(&(value as u32).to_ne_bytes()),
            8 => b.copy_from_slice(&value.to_ne_bytes()),
            _ => panic!("no {size}-byte ELF fields"),
        }
    }

    pub fn set_hdr(&mut self, field: usize, size: usize, value: u64) {
        self.set(field, size, value);
    }

    pub fn shoff(&self) -> usize {
        self.get(offset_of!(Elf64_Ehdr, e_shoff), 8) as usize
    }

    /// Where section `index`'s header field `field` is.
    pub fn shdr_field(&self, index: u32, field: usize) -> usize {
        self.shoff() + index as usize * size_of::<Elf64_Shdr>() + field
    }

    pub fn shdr(&self, index: u32, field: usize, size: usize) -> u64 {
        self.get(self.shdr_field(index, field), size)
    }

    pub fn set_shdr(&mut self, index: u32, field: usize, size: usize, value: u64) {
        let at = self.shdr_field(index, field);
        self.set(at, size, value);
    }

    /// Byte range of section `index`'s contents.
    pub fn contents(&self, index: u32) -> std::ops::Range<usize> {
        let offset = self.shdr(index, offset_of!(Elf64_Shdr, sh_offset), 8) as usize;
        let size = self.shdr(index, offset_of!(Elf64_Shdr, sh_size), 8) as usize;
        offset..offset + size
    }

    /// Where symbol `symbol`'s field `field` is, in symbol table section `symtab`.
    pub fn sym_field(&self, symtab: u32, symbol: usize, field: usize) -> usize {
        self.contents(symtab).start + symbol * size_of::<Elf64_Sym>() + field
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The calling thread's `klpelf_last_error()`, if any.
pub fn last_error() -> Option<String> {
    let message = klpelf::ffi::klpelf_last_error();
    // SAFETY: a non-NULL result is klpelf's NUL-terminated message, read before the next call.
    (!message.is_null()).then(|| unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned())
}
