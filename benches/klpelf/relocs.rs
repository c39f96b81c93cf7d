//! The `relocs` group: applying and then clearing 100,000 livepatch relocations of every type the
//! kernel writes, in one section against 1,000 livepatch symbols, on the same buffers:
//! - `kernel`: the kernel's own `__write_relocate_add()` (apply, then clear), compiled from a
//!   kernel source (`benches/support`); symbols resolved beforehand, as the kernel's
//!   `klp_resolve_symbols()` leaves them;
//! - `klpelf`: klpelf's relocation step, `klpelf::relocate::write_section()` (apply, then clear),
//!   through the placement a caller gives: the same work, with klpelf's bounds checks;
//! - `klpelf-api`: the public C API, `klpelf_klp_apply_object_relocs()` (section name check,
//!   resolution of every relocation's symbol through a resolver callback, the relocation step) and
//!   `klpelf_klp_clear_object_relocs()`: what a loader calls.

use std::ffi::{c_char, c_int, c_ulong, c_void, CStr};
use std::ptr;

use criterion::{SamplingMode, Throughput};
use klpelf::ffi::{klpelf_klp_apply_object_relocs, klpelf_klp_clear_object_relocs, KlpelfLayout};
use klpelf::layout::{Elf64_Rela, Elf64_Shdr, Elf64_Sym, KlpModinfo, Module};
use klpelf::placement::{KlpelfSectionPlace, Places, Stores};
use klpelf::relocate::{self, Mode, Section};
use klpelf_bench_support::kernel_relocs;

use crate::harness::Harness;
use crate::{zeroed_module, SHF_ALLOC, SHF_EXECINSTR, SHF_INFO_LINK, SHT_PROGBITS, SHT_RELA};
use crate::{SHT_STRTAB, SHT_SYMTAB};

const RELOCATIONS: usize = 100_000;
const SYMBOLS: usize = 1_000;
/// `R_X86_64_64`, `_PC32`, `_PLT32`, `_32S`, `_PC64`, `_32`, `_NONE`, in turn.
const TYPES: [u32; 7] = [1, 2, 4, 11, 24, 10, 0];
const SHF_RELA_LIVEPATCH: u64 = 0x0010_0000;
const SHN_LIVEPATCH: u16 = 0xff20;
/// Sections: 1 .text (the target), 2 the relocations, 3 .symtab, 4 .strtab, 5 .shstrtab.
const SECSTRINGS: &[u8] = b"\0.text\0.klp.rela.vmlinux..text\0.symtab\0.strtab\0.shstrtab\0";
const RELSEC: u32 = 2;
const SYMNDX: u32 = 3;

/// The address symbol `k` resolves to.
fn address(k: usize) -> u64 {
    0xffff_ffff_8100_0000 + 64 * k as u64
}

/// One module's tables, relocations and target, shared by the three variants.
struct Bench {
    relas: Vec<Elf64_Rela>,
    symbols: Vec<Elf64_Sym>,
    strtab: Vec<u8>,
    secstrings: Vec<u8>,
    sechdrs: Vec<Elf64_Shdr>,
    target: Vec<u64>,
    info: Box<KlpModinfo>,
    module: Box<Module>,
    places: Vec<KlpelfSectionPlace>,
}

impl Bench {
    fn new() -> Box<Bench> {
        let mut strtab = vec![0u8];
        let mut symbols = vec![Elf64_Sym::default()];
        for k in 1..=SYMBOLS {
            let st_name = strtab.len() as u32;
            strtab.extend_from_slice(format!(".klp.sym.vmlinux.s{k},0\0").as_bytes());
            symbols.push(Elf64_Sym {
                st_name,
                st_shndx: SHN_LIVEPATCH,
                st_value: address(k),
                ..Default::default()
            });
        }
        let relas = (0..RELOCATIONS)
            .map(|i| {
                let r_type = TYPES[i % TYPES.len()];
                let r_addend = match r_type {
                    2 | 4 => -4,
                    10 => 0x8000_0000, // S + A wraps below 4 GiB: the value fits
                    _ => (i % 16) as i64,
                };
                Elf64_Rela {
                    r_offset: 8 * i as u64,
                    r_info: ((1 + i % SYMBOLS) as u64) << 32 | u64::from(r_type),
                    r_addend,
                }
            })
            .collect();
        // SAFETY: all-zero is a valid KlpModinfo (integers and null pointers).
        let info = Box::new(unsafe { std::mem::zeroed::<KlpModinfo>() });
        let mut bench = Box::new(Bench {
            relas,
            symbols,
            strtab,
            secstrings: SECSTRINGS.to_vec(),
            sechdrs: Vec::new(),
            target: vec![0; RELOCATIONS],
            info,
            module: Box::new(zeroed_module()),
            places: Vec::new(),
        });
        bench.link();
        bench
    }

    /// The section headers, the persisted info and the placement, pointing at the buffers.
    fn link(&mut self) {
        let target = self.target.as_mut_ptr();
        let shdr = |sh_name, sh_type, sh_flags, sh_addr: u64, sh_size: usize, sh_link, sh_info| {
            Elf64_Shdr {
                sh_name,
                sh_type,
                sh_flags,
                sh_addr,
                sh_size: sh_size as u64,
                sh_link,
                sh_info,
                ..Default::default()
            }
        };
        self.sechdrs = vec![
            Elf64_Shdr::default(),
            shdr(1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, target as u64, 8 * RELOCATIONS, 0, 0),
            shdr(
                7,
                SHT_RELA,
                SHF_ALLOC | SHF_INFO_LINK | SHF_RELA_LIVEPATCH,
                self.relas.as_ptr() as u64,
                24 * RELOCATIONS,
                SYMNDX,
                1,
            ),
            shdr(31, SHT_SYMTAB, 0, self.symbols.as_ptr() as u64, 24 * self.symbols.len(), 4, 1),
            shdr(39, SHT_STRTAB, 0, 0, self.strtab.len(), 0, 0),
            shdr(47, SHT_STRTAB, 0, 0, self.secstrings.len(), 0, 0),
        ];
        self.info.hdr.e_machine = 62; // EM_X86_64
        self.info.hdr.e_shnum = 6;
        self.info.hdr.e_shstrndx = 5;
        self.info.sechdrs = self.sechdrs.as_mut_ptr();
        self.info.secstrings = self.secstrings.as_mut_ptr().cast();
        self.info.symndx = SYMNDX;
        self.module.klp_info = &mut *self.info;
        self.module.core_kallsyms.symtab = self.symbols.as_mut_ptr();
        self.module.core_kallsyms.num_symtab = self.symbols.len() as u32;
        self.module.core_kallsyms.strtab = self.strtab.as_mut_ptr().cast();
        self.places = vec![
            KlpelfSectionPlace { addr: 0, mem: ptr::null_mut() },
            KlpelfSectionPlace { addr: target as u64, mem: target.cast() },
        ];
    }

    fn kernel(&mut self, apply: bool) -> Option<i32> {
        // SAFETY: the headers point at the live relocations, symbols and target; every relocation
        // is in bounds.
        unsafe {
            kernel_relocs::write_relocate_add(
                self.sechdrs.as_mut_ptr().cast(),
                SYMNDX,
                RELSEC,
                apply,
            )
        }
    }

    fn klpelf(&mut self, mode: Mode) {
        // SAFETY: place 1 is the target's own memory, `8 * RELOCATIONS` bytes, which nothing else
        // borrows meanwhile.
        let places = unsafe { Places::new(&self.places) };
        let mut stores = Stores;
        let mut target = places.target(1, 8 * RELOCATIONS as u64, &mut stores).expect("placed");
        let section = Section { index: RELSEC, relas: &self.relas, modname: b"klpelf_bench" };
        relocate::write_section(&section, &self.symbols, &mut target, mode).expect("written");
    }

    fn api(&mut self) {
        let layout = KlpelfLayout {
            places: self.places.as_ptr(),
            num_places: 2,
            write: None,
            sync: None,
            ctx: ptr::null_mut(),
        };
        // SAFETY: the module, its persisted info and placement point at the live buffers.
        unsafe {
            assert_eq!(
                klpelf_klp_apply_object_relocs(
                    &mut *self.module,
                    ptr::null(),
                    &layout,
                    Some(resolve),
                    ptr::null_mut()
                ),
                0
            );
            assert_eq!(klpelf_klp_clear_object_relocs(&mut *self.module, ptr::null(), &layout), 0);
        }
    }

    fn bytes(&self) -> Vec<u64> {
        self.target.clone()
    }
}

/// The bench's resolver: `s<k>` is at `address(k)`.
unsafe extern "C" fn resolve(
    _obj: *const c_char,
    symname: *const c_char,
    _pos: c_ulong,
    addr: *mut c_ulong,
    _ctx: *mut c_void,
) -> c_int {
    // SAFETY: klpelf passes a NUL-terminated name and a valid `addr`.
    let name = unsafe { CStr::from_ptr(symname) }.to_bytes();
    let Some(k) = std::str::from_utf8(&name[1..]).ok().and_then(|k| k.parse().ok()) else {
        return -22;
    };
    // SAFETY: as above: `addr` is valid for writes.
    unsafe { *addr = address(k) };
    0
}

/// Each variant applies the same bytes and clears them, before anything is timed.
fn check(bench: &mut Bench) {
    bench.klpelf(Mode::Apply);
    let applied = bench.bytes();
    assert!(applied.iter().filter(|&&w| w != 0).count() > RELOCATIONS * 6 / 7 - 1);
    bench.klpelf(Mode::Clear);
    assert!(bench.target.iter().all(|&w| w == 0));
    if bench.kernel(true).is_some() {
        assert_eq!(bench.bytes(), applied, "the kernel's bytes differ");
        assert_eq!(bench.kernel(false), Some(0));
        assert!(bench.target.iter().all(|&w| w == 0));
    } else {
        eprintln!("relocs: no kernel source, so no `kernel` variant (set KLPELF_KERNEL_SRC)");
    }
    bench.api();
    assert!(bench.target.iter().all(|&w| w == 0));
}

pub(crate) fn relocs_group(harness: &mut Harness) {
    let mut group = harness.group("relocs");
    let param = RELOCATIONS.to_string();
    if !group.wants_param(&param) {
        return;
    }
    let mut bench = Bench::new();
    check(&mut bench);
    group.configure(|g| {
        g.throughput(Throughput::Elements(RELOCATIONS as u64));
        g.sampling_mode(SamplingMode::Flat).sample_size(30);
    });
    if kernel_relocs::AVAILABLE {
        group.case("kernel", &param, || (bench.kernel(true), bench.kernel(false)));
    }
    group.case("klpelf", &param, || {
        bench.klpelf(Mode::Apply);
        bench.klpelf(Mode::Clear);
    });
    group.case("klpelf-api", &param, || bench.api());
    group.finish();
}
