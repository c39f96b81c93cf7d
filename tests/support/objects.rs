//! Module-shaped ELF objects built at test time by the system C compiler and assembler (`$CC`,
//! default `cc`), what `readelf` says about them (the independent reference the tests compare
//! klpelf with), and the C tests' reference oracle (the kernel's `copy_module_elf()` /
//! `free_module_elf()`) compiled into a shared object and loaded.

use std::ffi::{c_int, c_void, CStr, CString};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use klpelf::layout::{LoadInfo, Module};

use super::elf::Elf;
use super::fuzz_targets::Oracle;
use super::image::Image;

/// A module-shaped C file: `.modinfo` holding the `\0`-separated `modinfo` entries in this order,
/// a 1024-byte `.gnu.linkonce.this_module` (not the size of klpelf's `struct module`: the kernel
/// compares it with the running kernel's, which klpelf cannot), then `rest`.
fn module_c(modinfo: &str, rest: &str) -> String {
    format!(
        r#"
#define MODINFO "{modinfo}"
static const char modinfo[sizeof(MODINFO)]
	__attribute__((section(".modinfo"), used, aligned(1))) = MODINFO;
struct this_module {{ char pad[1024]; }};
struct this_module __this_module __attribute__((section(".gnu.linkonce.this_module"))) = {{ {{ 1 }} }};
struct modversion_info {{ unsigned long crc; char name[56]; }};
{rest}"#
    )
}

/// A livepatch module: `.modinfo` with a repeated tag and `livepatch=Y`, `__versions`, the v6.14
/// extended version sections, `.data..percpu`, functions, data, a call that needs relocations.
fn livepatch_c() -> String {
    let modinfo = r"license=GPL\0name=klptest\0alias=first\0alias=second\0livepatch=Y\0description=a test module";
    module_c(
        modinfo,
        r#"
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
"#,
    )
}

/// A plain module: no `livepatch` tag, no extended versions, no per-CPU data.
fn plain_c() -> String {
    module_c(
        r"license=GPL\0name=plainmod\0vermagic=6.14.0 SMP mod_unload ",
        r#"
static const struct modversion_info versions[] __attribute__((section("__versions"), used)) = {
	{ 0x12345678, "module_layout" } };
int plain_init(void) { return 0; }
"#,
    )
}

/// A module whose name fills all 56 bytes of `struct module`'s name, leaving no room for the NUL.
fn long_name_c() -> String {
    let name = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123";
    module_c(
        &format!(r"license=GPL\0name={name}\0livepatch=Y"),
        "int long_init(void) { return 0; }\n",
    )
}

/// More than 65,280 sections: extended numbering, with `.symtab_shndx` for a symbol in a high one.
const XNUM_S: &str = r#"
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
    std::env::temp_dir().join(format!("klpelf-test-{}-{n}-{stem}.{ext}", std::process::id()))
}

/// The system C compiler: `$CC`, or `cc`.
fn compiler() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".into())
}

/// Runs `command`, which must succeed, and returns its standard output.
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
    run(Command::new(compiler()).args(["-c", "-O2", "-o"]).arg(&obj).arg(&src));
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
    F.get_or_init(|| build("livepatch", "c", &livepatch_c()))
}

pub fn plain() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("plain", "c", &plain_c()))
}

pub fn long_name() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("longname", "c", &long_name_c()))
}

pub fn xnum() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build("xnum", "S", XNUM_S))
}

/// Asserts every index and pointer of `info`, from setup over `image`, against what readelf says
/// about `fixture`.
pub fn assert_matches_readelf(info: &LoadInfo, image: &Image, fixture: &Fixture) {
    assert_eq!(info.hdr.cast::<u8>(), image.base());
    assert_eq!(info.len as usize, fixture.bytes.len());
    assert_eq!(image.offset_of(info.sechdrs.cast()), fixture.shoff as usize);
    let shstrtab = &fixture.sections[fixture.shstrndx as usize];
    assert_eq!(image.offset_of(info.secstrings.cast()), shstrtab.offset as usize);
    let symtab = fixture.symtab();
    assert_eq!(info.index.sym, symtab.index);
    assert_eq!(info.index.str, symtab.link);
    let strtab = &fixture.sections[symtab.link as usize];
    assert_eq!(image.offset_of(info.strtab.cast()), strtab.offset as usize);
    assert_eq!(info.index.r#mod, fixture.index(".gnu.linkonce.this_module"));
    assert_eq!(info.index.info, fixture.index(".modinfo"));
    let optional =
        |name: &str| fixture.sections.iter().find(|s| s.name == name).map_or(0, |s| s.index);
    assert_eq!(info.index.vers, optional("__versions"));
    assert_eq!(info.index.pcpu, optional(".data..percpu"));
    assert_eq!(info.index.vers_ext_crc, optional("__version_ext_crcs"));
    assert_eq!(info.index.vers_ext_name, optional("__version_ext_names"));
    assert!(info.r#mod.is_null(), "setup leaves info->mod NULL");
    assert!(!info.sig_ok);
    assert_eq!((info.symoffs, info.stroffs, info.init_typeoffs, info.core_typeoffs), (0, 0, 0, 0));
}

/// `oracle_copy_module_elf` / `oracle_free_module_elf` from `c_tests/support/oracle.c`, compiled
/// into a shared object with the system C compiler and loaded once.
pub fn oracle() -> Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    *ORACLE.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let so = unique_path("oracle", "so");
        run(Command::new(compiler())
            .args(["-shared", "-fPIC", "-O1", "-I"])
            .arg(root.join("include"))
            .arg("-I")
            .arg(root.join("c_tests/support"))
            .arg(root.join("c_tests/support/oracle.c"))
            .arg("-o")
            .arg(&so));
        let path = CString::new(so.to_str().expect("a UTF-8 path")).unwrap();
        // SAFETY: a NUL-terminated path to a shared object with no initialisers of its own. The
        // handle is never closed: the functions stay valid for the whole test run.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!handle.is_null(), "dlopen of the oracle failed");
        let _ = std::fs::remove_file(&so);
        let symbol = |name: &CStr| {
            // SAFETY: a live handle and a NUL-terminated name.
            let f = unsafe { libc::dlsym(handle, name.as_ptr()) };
            assert!(!f.is_null(), "the oracle lacks {name:?}");
            f
        };
        let copy = symbol(c"oracle_copy_module_elf");
        let free = symbol(c"oracle_free_module_elf");
        type CopyFn = unsafe extern "C" fn(*mut Module, *mut LoadInfo) -> c_int;
        type FreeFn = unsafe extern "C" fn(*mut Module);
        // SAFETY: oracle.c defines these symbols with exactly these C signatures (oracle.h).
        unsafe {
            Oracle {
                copy: std::mem::transmute::<*mut c_void, CopyFn>(copy),
                free: std::mem::transmute::<*mut c_void, FreeFn>(free),
            }
        }
    })
}
