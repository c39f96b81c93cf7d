//! Fuzz target `relocs`: livepatch relocation sections, symbol tables and placements
//! ([`RelocCase`]) → `klpelf_klp_apply_object_relocs()`, `klpelf_klp_apply_section_relocs()`,
//! `klpelf_klp_clear_object_relocs()` and `klpelf_klp_describe_relocs()` on a persisted module
//! built in memory, each call compared with the model of the kernel's code and klpelf's documented
//! differences ([`Model`]): the same return code, the same bytes in every placed section, the same
//! resolved symbol values, the same description; a message with every failure. Every buffer is an
//! exact-size heap block, so AddressSanitizer catches a read or write one byte outside.

use std::ffi::{c_char, c_int, c_ulong, c_void, CStr, CString};
use std::ptr;

use klpelf::ffi::{
    klpelf_klp_apply_object_relocs, klpelf_klp_apply_section_relocs,
    klpelf_klp_clear_object_relocs, klpelf_klp_describe_relocs, KlpelfLayout,
};
use klpelf::klp_relocs::KlpelfReloc;
use klpelf::layout::{Elf64_Rela, Elf64_Shdr, Elf64_Sym, KlpModinfo, Module};
use klpelf::placement::KlpelfSectionPlace;

use super::super::api::last_error;
use super::relocs_case::{
    object, Call, RelocCase, RESOLVABLE, RESOLVE_FAILURE, SECTION_NAMES, SYMBOL_NAMES,
};
use super::relocs_model::{Described, MSection, MSymbol, Model};

const SHN_LIVEPATCH: u16 = 0xff20;
const SHF_RELA_LIVEPATCH: u64 = 0x0010_0000;
const SHT_RELA: u32 = 4;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;

/// A string table of `names`, and each name's offset.
fn table(names: &[&str]) -> (Vec<u8>, Vec<u32>) {
    let mut bytes = vec![0u8];
    let offsets = names
        .iter()
        .map(|n| {
            let at = bytes.len() as u32;
            bytes.extend_from_slice(n.as_bytes());
            bytes.push(0);
            at
        })
        .collect();
    (bytes, offsets)
}

/// The persisted module and its placement, in memory klpelf reads and writes.
struct Built {
    module: Box<Module>,
    _info: Box<KlpModinfo>,
    _sechdrs: Vec<Elf64_Shdr>,
    _secstrings: Vec<u8>,
    _strtab: Vec<u8>,
    symbols: Vec<Elf64_Sym>,
    _relas: Vec<Vec<Elf64_Rela>>,
    targets: Vec<Option<Vec<u8>>>,
    places: Vec<KlpelfSectionPlace>,
}

/// A name past the table's choices gets an offset past the table's end.
fn name_at(k: u8, offsets: &[u32], len: usize) -> u32 {
    offsets.get(usize::from(k)).copied().unwrap_or(len as u32 + u32::from(k))
}

/// The section headers: the case's sections (their entries at `sh_addr`), then .symtab (at
/// `symbols`), .strtab and .shstrtab, named in `secstrings`.
fn section_headers(
    case: &RelocCase,
    relas: &[Vec<Elf64_Rela>],
    symbols: &[Elf64_Sym],
    strtab_len: usize,
    secstrings: &mut Vec<u8>,
) -> Vec<Elf64_Shdr> {
    let names: Vec<&str> =
        SECTION_NAMES.iter().map(|n| n.0).chain([".symtab", ".strtab"]).collect();
    let (names, offsets) = table(&names);
    *secstrings = names;
    secstrings.extend_from_slice(b".shstrtab\0");
    let mut sechdrs = vec![Elf64_Shdr::default()];
    for (s, entries) in case.sections.iter().zip(relas) {
        sechdrs.push(Elf64_Shdr {
            sh_name: name_at(s.name, &offsets[..SECTION_NAMES.len()], secstrings.len()),
            sh_type: if s.livepatch { SHT_RELA } else { 1 },
            sh_flags: if s.livepatch { SHF_RELA_LIVEPATCH | 2 } else { 2 },
            sh_addr: entries.as_ptr() as u64,
            sh_size: s.size,
            sh_info: s.sh_info,
            ..Default::default()
        });
    }
    let strtab_index = sechdrs.len() as u32 + 1;
    let table_header = |sh_name, sh_type, sh_addr, sh_size: usize, sh_link| Elf64_Shdr {
        sh_name,
        sh_type,
        sh_addr,
        sh_size: sh_size as u64,
        sh_link,
        ..Default::default()
    };
    let symtab_size = size_of_val(symbols);
    let symtab_addr = symbols.as_ptr() as u64;
    sechdrs.push(table_header(offsets[7], SHT_SYMTAB, symtab_addr, symtab_size, strtab_index));
    sechdrs.push(table_header(offsets[8], SHT_STRTAB, 0, strtab_len, 0));
    let shstrtab = secstrings.len() as u32 - 10;
    sechdrs.push(table_header(shstrtab, SHT_STRTAB, 0, secstrings.len(), 0));
    sechdrs
}

/// Each placed section's bytes (the case's contents, zeros for the tables), and the places.
fn placement(
    case: &RelocCase,
    sechdrs: &[Elf64_Shdr],
) -> (Vec<Option<Vec<u8>>>, Vec<KlpelfSectionPlace>) {
    let mut targets: Vec<Option<Vec<u8>>> = sechdrs
        .iter()
        .enumerate()
        .map(|(i, shdr)| {
            let placed = case.places.get(i).is_some_and(|p| p.0);
            let contents =
                case.sections.get(i.wrapping_sub(1)).filter(|_| i > 0).map(|s| s.contents.clone());
            placed.then(|| contents.unwrap_or_else(|| vec![0; shdr.sh_size as usize]))
        })
        .collect();
    let places = case
        .places
        .iter()
        .enumerate()
        .map(|(i, &(_, addr))| KlpelfSectionPlace {
            addr,
            mem: targets
                .get_mut(i)
                .and_then(Option::as_mut)
                .map_or(ptr::null_mut(), |t| t.as_mut_ptr().cast()),
        })
        .collect();
    (targets, places)
}

fn build(case: &RelocCase) -> Built {
    let (strtab, sym_offsets) = table(&SYMBOL_NAMES.map(|n| n.0));
    let symbols: Vec<Elf64_Sym> = case
        .symbols
        .iter()
        .map(|s| Elf64_Sym {
            st_name: name_at(s.name, &sym_offsets, strtab.len()),
            st_shndx: if s.livepatch { SHN_LIVEPATCH } else { 1 },
            st_value: s.value,
            ..Default::default()
        })
        .collect();
    let relas: Vec<Vec<Elf64_Rela>> = case
        .sections
        .iter()
        .map(|s| {
            s.relas
                .iter()
                .map(|&(r_offset, r_info, r_addend)| Elf64_Rela { r_offset, r_info, r_addend })
                .collect()
        })
        .collect();
    let mut secstrings = Vec::new();
    let mut sechdrs = section_headers(case, &relas, &symbols, strtab.len(), &mut secstrings);
    let (targets, places) = placement(case, &sechdrs);
    let n = case.sections.len();
    // SAFETY: all-zero is a valid KlpModinfo and Module (integers, bools, null pointers).
    let (mut info, mut module): (Box<KlpModinfo>, Box<Module>) =
        unsafe { (Box::new(std::mem::zeroed()), Box::new(std::mem::zeroed())) };
    info.hdr.e_machine = if case.other_machine { 183 } else { 62 };
    info.hdr.e_shnum = sechdrs.len() as u16;
    info.hdr.e_shstrndx = n as u16 + 3;
    info.sechdrs = sechdrs.as_mut_ptr();
    info.secstrings = secstrings.as_mut_ptr().cast();
    info.symndx = n as u32 + 1;
    for (to, from) in module.name.iter_mut().zip(b"fuzz") {
        *to = *from as c_char;
    }
    module.core_kallsyms.num_symtab = symbols.len() as u32;
    module.core_kallsyms.strtab = strtab.as_ptr().cast_mut().cast();
    module.klp_info = &mut *info;
    let mut built = Built {
        module,
        _info: info,
        _sechdrs: sechdrs,
        _secstrings: secstrings,
        _strtab: strtab,
        symbols,
        _relas: relas,
        targets,
        places,
    };
    built.module.core_kallsyms.symtab = built.symbols.as_mut_ptr();
    built
}

/// The model of the same case; `sizes` are the built module's section sizes.
fn model(case: &RelocCase, sizes: &[u64]) -> Model {
    let mut sections =
        vec![MSection { livepatch: false, object: None, sh_info: 0, size: 0, relas: vec![] }];
    for s in &case.sections {
        let object = SECTION_NAMES.get(usize::from(s.name)).and_then(|n| n.1);
        sections.push(MSection {
            livepatch: s.livepatch,
            object,
            sh_info: s.sh_info,
            size: s.size,
            relas: s.relas.clone(),
        });
    }
    // .symtab, .strtab, .shstrtab: never livepatch relocation sections.
    for &size in &sizes[sections.len()..] {
        sections.push(MSection { livepatch: false, object: None, sh_info: 0, size, relas: vec![] });
    }
    let symbols = case
        .symbols
        .iter()
        .map(|s| MSymbol {
            parsed: SYMBOL_NAMES.get(usize::from(s.name)).map_or(Err(true), |n| n.1.ok_or(false)),
            livepatch: s.livepatch,
            value: s.value,
        })
        .collect();
    let places = case
        .places
        .iter()
        .enumerate()
        .map(|(i, &(mem, addr))| {
            let bytes = sections.get(i).filter(|_| mem).map(|s| {
                case.sections
                    .get(i.wrapping_sub(1))
                    .filter(|_| i > 0)
                    .map_or(vec![0; s.size as usize], |c| c.contents.clone())
            });
            (addr, bytes)
        })
        .collect();
    let resolver = RESOLVABLE.iter().zip(case.resolved).map(|(&k, v)| (k, v)).collect();
    Model {
        x86_64: !case.other_machine,
        sections,
        symbols,
        places,
        resolver,
        resolve_failure: RESOLVE_FAILURE,
    }
}

/// The resolver every apply uses (ctx: the case's answers).
unsafe extern "C" fn resolve(
    objname: *const c_char,
    symname: *const c_char,
    sympos: c_ulong,
    addr: *mut c_ulong,
    ctx: *mut c_void,
) -> c_int {
    // SAFETY: klpelf passes NUL-terminated names (objname NULL for vmlinux), a valid `addr`, and
    // the `ctx` this target gave it: the case's four answers.
    let (obj, name, answers) = unsafe {
        let obj = (!objname.is_null()).then(|| CStr::from_ptr(objname).to_str().unwrap());
        (obj, CStr::from_ptr(symname).to_str().unwrap(), &*ctx.cast::<[u64; 4]>())
    };
    let Some(k) = RESOLVABLE.iter().position(|&k| k == (obj, name, sympos)) else {
        return RESOLVE_FAILURE;
    };
    // SAFETY: as above: `addr` is valid for writes.
    unsafe { *addr = answers[k] };
    0
}

unsafe extern "C" fn record(reloc: *const KlpelfReloc, ctx: *mut c_void) -> c_int {
    // SAFETY: klpelf passes a valid relocation, and `ctx` is this target's Vec.
    unsafe { (*ctx.cast::<Vec<KlpelfReloc>>()).push(*reloc) };
    0
}

/// Describe on klpelf and on the model: the same relocations (status, size, and value but for a
/// symbol past the table) and the same return value, which this returns with the model's.
///
/// # Safety
/// `m` and `layout` must describe the live module and placement.
unsafe fn describe(
    m: *mut Module,
    index: u32,
    layout: &KlpelfLayout,
    model: &Model,
) -> (c_int, Result<(), c_int>) {
    let mut seen: Vec<KlpelfReloc> = Vec::new();
    let ctx = (&mut seen as *mut Vec<KlpelfReloc>).cast();
    // SAFETY: the caller's contract; `record` fills `seen`, which outlives the call.
    let rc = unsafe { klpelf_klp_describe_relocs(m, index, layout, Some(record), ctx) };
    let shown =
        |status: u32, size: u32, value: u64| (status, size, if status == 6 { 0 } else { value });
    let want = model.describe(index as usize);
    if let Ok(want) = &want {
        let got: Vec<Described> =
            seen.iter().map(|r| shown(r.status as u32, r.size, r.value)).collect();
        let want: Vec<Described> = want.iter().map(|&(s, n, v)| shown(s, n, v)).collect();
        assert_eq!(got, want, "Describe {{ index: {index} }}: descriptions");
    }
    (rc, want.map(|_| ()))
}

/// One call on klpelf and on the model; both must agree.
fn call(c: Call, built: &mut Built, model: &mut Model, answers: &mut [u64; 4]) {
    let layout = KlpelfLayout {
        places: built.places.as_ptr(),
        num_places: built.places.len(),
        write: None,
        sync: None,
        ctx: ptr::null_mut(),
    };
    let m = &mut *built.module as *mut Module;
    let ctx = (answers as *mut [u64; 4]).cast();
    let cname = |obj: u8| object(obj).map(|o| CString::new(o).unwrap());
    let as_ptr = |s: &Option<CString>| s.as_ref().map_or(ptr::null(), |s| s.as_ptr());
    // SAFETY: the module, its tables and its placement are live and sized as described.
    let (rc, want) = unsafe {
        match c {
            Call::ApplyObject { obj } => {
                let name = cname(obj);
                (
                    klpelf_klp_apply_object_relocs(m, as_ptr(&name), &layout, Some(resolve), ctx),
                    model.object(object(obj), true),
                )
            }
            Call::ApplySection { index, obj } => {
                let name = cname(obj);
                (
                    klpelf_klp_apply_section_relocs(
                        m,
                        index,
                        as_ptr(&name),
                        &layout,
                        Some(resolve),
                        ctx,
                    ),
                    model.apply_section(index as usize, object(obj)),
                )
            }
            Call::ClearObject { obj } => {
                let name = cname(obj);
                (
                    klpelf_klp_clear_object_relocs(m, as_ptr(&name), &layout),
                    model.object(object(obj), false),
                )
            }
            Call::Describe { index } => describe(m, index, &layout, model),
        }
    };
    assert_eq!(rc, want.err().unwrap_or(0), "{c:?}: return code ({:?})", last_error());
    if rc != 0 {
        assert!(last_error().is_some_and(|m| !m.is_empty()), "{c:?}: no message for {rc}");
    }
    for (i, (got, want)) in built.targets.iter().zip(&model.places).enumerate() {
        assert_eq!(got.as_deref(), want.1.as_deref(), "{c:?}: the bytes of section {i}");
    }
    for (i, (got, want)) in built.symbols.iter().zip(&model.symbols).enumerate() {
        assert_eq!(got.st_value, want.value, "{c:?}: st_value of symbol {i}");
    }
}

/// The target: decode, build, and make every call on klpelf and on the model.
pub fn relocs(data: &[u8]) {
    let case = RelocCase::decode(data);
    let mut built = build(&case);
    let sizes: Vec<u64> = built._sechdrs.iter().map(|s| s.sh_size).collect();
    let mut model = model(&case, &sizes);
    let mut answers = case.resolved;
    for &c in &case.calls {
        call(c, &mut built, &mut model, &mut answers);
    }
}
