//! Fuzz target `setup_pipeline`: bytes as a module file → `klpelf_setup_load_info()` →
//! `klpelf_prepare_module()` → `copy_module_elf()` → `klpelf_release_module()`.

use std::ffi::{c_int, CStr};
use std::ptr;

use klpelf::check_id::KlpelfCheck;
use klpelf::ffi::{
    copy_module_elf, klpelf_get_modinfo, klpelf_last_error_check, klpelf_prepare_module,
    klpelf_release_module, KLPELF_SETUP_ALLOW_XNUM,
};
use klpelf::layout::{LoadInfo, Module, MODULE_NAME_LEN};

use super::super::alloc::{with_allocator, AllocMode};
use super::super::api::{
    last_error, setup, InfoSlot, ModuleSlot, EBADMSG, EEXIST, ENAMETOOLONG, ENOEXEC, ENOMEM,
};
use super::super::elf::{
    get_u64, Elf, E_SHNUM, E_SHOFF, SHDR, SHF_ALLOC, SH_ADDR, SH_FLAGS, SH_OFFSET, SH_SIZE, SYM,
};
use super::super::image::Image;
use super::accepted::{assert_accepted, Shdr};
use super::models::model_elf_len;
use super::persisted::{assert_copy, numbering, Source};

/// The target. `data` is a module file. Setup runs with flags 0 and `KLPELF_SETUP_ALLOW_XNUM`,
/// twice each; an accepted image must satisfy every check the kernel makes ([`assert_accepted`]),
/// an image accepted without the flag must be accepted identically with it, and then the loader's
/// pipeline must succeed on it (allocation failures are injected once per step too).
pub fn setup_pipeline(data: &[u8]) {
    let trailer = model_elf_len(data);
    let mut plain = None;
    for flags in [0, KLPELF_SETUP_ALLOW_XNUM] {
        // A fresh image each time: prepare rewrites the section headers, as the kernel's loader does.
        let image = Image::new(data);
        let first = setup(&image, flags);
        let second = setup(&image, flags);
        assert_eq!(verdict(&first), verdict(&second), "setup's verdict changed between two runs");
        let info = match first {
            Ok(info) => info,
            Err((rc, message)) => {
                let expected: &[c_int] = if trailer.is_err() { &[EBADMSG] } else { &[ENOEXEC] };
                assert!(expected.contains(&rc), "setup failed with {rc}: {message}");
                // The second run's verdict is the first's, so is the check behind it.
                let check = klpelf_last_error_check();
                assert_eq!(
                    check != KlpelfCheck::None,
                    rc == ENOEXEC,
                    "{check:?} for {rc}: {message}"
                );
                assert!(plain.is_none(), "the flag rejected an image accepted without it");
                continue;
            }
        };
        assert_accepted(&image, &info, flags);
        match &plain {
            None => pipeline(&image, &info),
            Some(plain) => {
                assert_eq!(*plain, relative(&info), "the flag changed an accepted image")
            }
        }
        if flags == 0 {
            plain = Some(relative(&info));
        }
    }
}

/// A setup result with the `load_info` as numbers, to compare two runs.
fn verdict(outcome: &Result<LoadInfo, (c_int, String)>) -> Result<Vec<u64>, (c_int, String)> {
    outcome.as_ref().map(fields).map_err(Clone::clone)
}

/// Every field of a `load_info`, as numbers (pointers as addresses).
fn fields(info: &LoadInfo) -> Vec<u64> {
    let i = &info.index;
    vec![
        info.name as u64,
        info.r#mod as u64,
        info.hdr as u64,
        info.len,
        info.sechdrs as u64,
        info.secstrings as u64,
        info.strtab as u64,
        info.symoffs,
        info.stroffs,
        info.init_typeoffs,
        info.core_typeoffs,
        u64::from(info.sig_ok),
        info.mod_kallsyms_init_off,
        u64::from(i.sym),
        u64::from(i.str),
        u64::from(i.r#mod),
        u64::from(i.vers),
        u64::from(i.info),
        u64::from(i.pcpu),
        u64::from(i.vers_ext_crc),
        u64::from(i.vers_ext_name),
    ]
}

/// [`fields`] with the pointers into the image as offsets from its start (NULL as `u64::MAX`), to
/// compare setup's results on two copies of one image.
fn relative(info: &LoadInfo) -> Vec<u64> {
    let base = info.hdr as u64;
    let mut out = fields(info);
    for pointer in [0, 2, 4, 5, 6] {
        out[pointer] = if out[pointer] == 0 { u64::MAX } else { out[pointer].wrapping_sub(base) };
    }
    out
}

/// Every field of a `struct module`, as numbers (pointers as addresses).
fn module_fields(module: &Module) -> Vec<u64> {
    let k = &module.core_kallsyms;
    let mut out: Vec<u64> = module.name.iter().map(|&c| u64::from(c as u8)).collect();
    out.extend([
        k.symtab as u64,
        u64::from(k.num_symtab),
        k.strtab as u64,
        k.typetab as u64,
        u64::from(module.klp),
        u64::from(module.klp_alive),
        module.klp_info as u64,
    ]);
    out
}

/// The loader's pipeline on an accepted image: prepare and copy each once under a failing
/// allocator (nothing may change), then for real: prepare, copy, check the persisted copy, a second
/// copy (`-EEXIST`), release, release again.
fn pipeline(image: &Image, info: &LoadInfo) {
    let original = image.bytes().to_vec();
    let name = (!info.name.is_null())
        // SAFETY: setup's `name` is NUL-terminated inside the live image.
        .then(|| unsafe { CStr::from_ptr(info.name) }.to_bytes().to_vec());
    let expected = match &name {
        None => ENOEXEC,
        Some(name) if name.is_empty() => ENOEXEC,
        Some(name) if name.len() >= MODULE_NAME_LEN => ENAMETOOLONG,
        Some(_) => 0,
    };
    let mut slot = ModuleSlot::new(0x5a);
    let mut info_slot = InfoSlot::new(0);
    // SAFETY: a bytewise copy of setup's load_info into storage of its size.
    unsafe { ptr::copy_nonoverlapping(info, info_slot.ptr(), 1) };
    without_memory(&mut slot, &mut info_slot, info, expected);
    let name = name.as_deref().unwrap_or_default();
    prepare(image, &original, &mut slot, info, name, expected);
    copy_and_release(&mut slot, &mut info_slot, info);
}

/// Prepare and copy under an allocator that fails: the documented errors, `*mod` untouched.
fn without_memory(slot: &mut ModuleSlot, info_slot: &mut InfoSlot, info: &LoadInfo, rc: c_int) {
    let untouched = slot.bytes();
    // SAFETY: the module is writable with NULL pointers; `info` is setup's, its image live.
    let (prepared, _) =
        with_allocator(AllocMode::Fail, || unsafe { klpelf_prepare_module(slot.ptr(), info) });
    assert_eq!(prepared, if rc == 0 { ENOMEM } else { rc }, "prepare, allocation failing");
    assert_eq!(slot.bytes(), untouched, "a failed prepare changed *mod");
    // SAFETY: the module is valid with klp_info NULL; the copy describes the live image.
    let (copied, _) =
        with_allocator(AllocMode::Fail, || unsafe { copy_module_elf(slot.ptr(), info_slot.ptr()) });
    assert_eq!(copied, ENOMEM, "copy_module_elf, allocation failing");
    assert_eq!(slot.bytes(), untouched, "a failed copy changed *mod");
}

/// `klpelf_prepare_module()` for real: `expected` (0 or the errno for the module's name). It may
/// change the `original` image only as the kernel's `rewrite_section_headers()` does
/// ([`rewritten`]), and only when it succeeds.
fn prepare(
    image: &Image,
    original: &[u8],
    slot: &mut ModuleSlot,
    info: &LoadInfo,
    name: &[u8],
    expected: c_int,
) {
    let untouched = slot.bytes();
    // SAFETY: as in `without_memory`.
    let rc = unsafe { klpelf_prepare_module(slot.ptr(), info) };
    assert_eq!(rc, expected, "prepare: {:?}", last_error());
    if rc == 0 {
        assert_prepared(slot.get(), info, original, name);
        assert!(image.bytes() == rewritten(original, info), "prepare's changes to the image");
    } else {
        assert_eq!(slot.bytes(), untouched, "a failed prepare changed *mod");
        assert!(image.bytes() == original, "a failed prepare changed the image");
    }
}

/// `copy_module_elf()` for real after prepare: it succeeds, changes only `klp_info`, persists the
/// tables; a second copy is refused; release frees everything, twice harmlessly.
fn copy_and_release(slot: &mut ModuleSlot, info_slot: &mut InfoSlot, info: &LoadInfo) {
    let info_before = fields(info);
    let prepared = module_fields(slot.get());
    // SAFETY: as in `without_memory`.
    let rc = unsafe { copy_module_elf(slot.ptr(), info_slot.ptr()) };
    assert_eq!(rc, 0, "copy_module_elf fails on an accepted image: {:?}", last_error());
    assert_eq!(fields(info_slot.get_mut()), info_before, "copy_module_elf changed *info");
    let mut rest = module_fields(slot.get());
    assert_persisted(slot.get(), info);
    *rest.last_mut().unwrap() = 0;
    assert_eq!(rest, prepared, "copy_module_elf changed *mod beyond klp_info");
    // SAFETY: klp_info was made by copy_module_elf: a second copy must refuse.
    let rc = unsafe { copy_module_elf(slot.ptr(), info_slot.ptr()) };
    assert_eq!(rc, EEXIST, "a second copy");
    // SAFETY: klp_info from copy_module_elf, core_kallsyms from prepare (or NULL).
    unsafe { klpelf_release_module(slot.ptr()) };
    let module = slot.get();
    assert!(module.klp_info.is_null() && module.core_kallsyms.symtab.is_null());
    assert!(module.core_kallsyms.strtab.is_null() && module.core_kallsyms.num_symtab == 0);
    // SAFETY: everything is NULL now: a second release is harmless.
    unsafe { klpelf_release_module(slot.ptr()) };
}

/// The image after a successful `klpelf_prepare_module()`: as the kernel's
/// `rewrite_section_headers()` leaves it, every section's `sh_addr` its address in the image
/// (section 0's 0), and `SHF_ALLOC` cleared from `__versions`, the extended-version sections and
/// `.modinfo` (from section 0 for an absent one, as the kernel does). Nothing else changes.
fn rewritten(original: &[u8], info: &LoadInfo) -> Vec<u8> {
    let mut elf = Elf(original.to_vec());
    let base = info.hdr as u64;
    let e_shnum = elf.get(E_SHNUM, 2);
    let count = if e_shnum == 0 { elf.shdr(0, SH_SIZE, 8) } else { e_shnum };
    for i in 0..count as u32 {
        let addr = if i == 0 { 0 } else { base.wrapping_add(elf.shdr(i, SH_OFFSET, 8)) };
        elf.set_shdr(i, SH_ADDR, 8, addr);
    }
    let i = &info.index;
    for index in [i.vers, i.vers_ext_crc, i.vers_ext_name, i.info] {
        let flags = elf.shdr(index, SH_FLAGS, 8) & !SHF_ALLOC;
        elf.set_shdr(index, SH_FLAGS, 8, flags);
    }
    elf.0
}

/// What prepare promises: the name, `klp`, and `core_kallsyms` as copies of the image's tables.
fn assert_prepared(module: &Module, info: &LoadInfo, original: &[u8], name: &[u8]) {
    let stored: Vec<u8> = module.name.iter().map(|&c| c as u8).collect();
    assert_eq!(&stored[..name.len()], name, "mod->name");
    assert!(stored[name.len()..].iter().all(|&b| b == 0), "mod->name is NUL-padded");
    // SAFETY: setup's info, image live; the tag is a C string.
    let livepatch = unsafe { klpelf_get_modinfo(info, c"livepatch".as_ptr()) };
    assert_eq!(module.klp, !livepatch.is_null(), "mod->klp");
    let (symbols, strings) = tables(original, info);
    let whole_symbols = &symbols[..symbols.len() / SYM * SYM];
    let kallsyms = &module.core_kallsyms;
    assert_eq!(kallsyms.num_symtab as usize, symbols.len() / SYM, "num_symtab");
    assert!(kallsyms.typetab.is_null());
    assert_eq!(kallsyms.symtab as usize % 8, 0, "symtab aligned");
    // SAFETY: prepare made blocks of `num_symtab` symbols and the string table's size.
    let (copied_syms, copied_strs) = unsafe {
        (
            std::slice::from_raw_parts(kallsyms.symtab.cast::<u8>(), whole_symbols.len()),
            std::slice::from_raw_parts(kallsyms.strtab.cast::<u8>(), strings.len()),
        )
    };
    assert_eq!(copied_syms, whole_symbols, "core_kallsyms.symtab");
    assert_eq!(copied_strs, strings, "core_kallsyms.strtab");
}

/// The symbol table and symbol string table of an accepted image, read from its bytes as they were
/// before prepare (which copies them before it rewrites the section headers: with a table that
/// overlaps the section header table, the bytes after the rewrite differ).
fn tables<'a>(image: &'a [u8], info: &LoadInfo) -> (&'a [u8], &'a [u8]) {
    let shoff = get_u64(image, E_SHOFF).unwrap() as usize;
    let section = |index: u32| {
        let shdr = Shdr::read(image, shoff + index as usize * SHDR);
        shdr.and_then(|shdr| shdr.bytes(image)).expect("setup proved it inside")
    };
    (section(info.index.sym), section(info.index.str))
}

/// The persisted copy equals the tables `info` describes, with only the symbol table's `sh_addr`
/// redirected to `core_kallsyms.symtab`, in fresh 8-aligned memory.
fn assert_persisted(module: &Module, info: &LoadInfo) {
    // SAFETY: `info` describes the live tables, which setup proved in the image.
    let source = unsafe {
        let hdr = &*info.hdr;
        let (count, shstrndx) = numbering(hdr, &*info.sechdrs);
        let sechdrs = std::slice::from_raw_parts(info.sechdrs, count as usize);
        let names_len = sechdrs[shstrndx as usize].sh_size as usize;
        let names = std::slice::from_raw_parts(info.secstrings.cast::<u8>(), names_len);
        let symtab = module.core_kallsyms.symtab;
        Source { hdr, sechdrs, names, symndx: info.index.sym, symtab }
    };
    // SAFETY: copy_module_elf made klp_info from these tables.
    unsafe { assert_copy("copy_module_elf", module.klp_info, &source) };
}
