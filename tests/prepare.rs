//! After setup, the loader's steps: `klpelf_prepare_module()` (the module's name, `klp`, the symbol
//! and string tables copied into `core_kallsyms`), `copy_module_elf()` and
//! `klpelf_release_module()`, with a counting allocator to show every block freed.

mod support;

use std::ffi::c_char;
use std::ptr;

use klpelf::ffi::{
    copy_module_elf, klpelf_prepare_module, klpelf_release_module, KLPELF_SETUP_ALLOW_XNUM,
};
use klpelf::layout::{Elf64_Sym, LoadInfo, LoadInfoIndex};
use support::alloc::{serial, CountingAllocator};
use support::api::{c_str, last_error, module_name, setup_ok, zeroed_module, EINVAL, ENOEXEC};
use support::elf::Elf;
use support::image::Image;
use support::objects::{livepatch, long_name, plain, xnum, Fixture};

/// The bytes `len` bytes at `p`.
///
/// # Safety
/// `p` is valid for reads of `len` bytes.
unsafe fn bytes_at<'a>(p: *const u8, len: usize) -> &'a [u8] {
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts(p, len) }
}

#[test]
fn prepare_copy_and_release_a_livepatch_module() {
    let _lock = serial();
    let counted = CountingAllocator::set();
    let before = counted.live();
    let fixture = livepatch();
    let image = Image::new(&fixture.bytes);
    let mut info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    let elf = fixture.elf();
    let symtab = elf.contents(info.index.sym);
    let strtab = elf.contents(info.index.str);
    // SAFETY: the module is zeroed and writable; info comes from setup over the live image; the
    // pointers read below are klpelf's live blocks, read with the sizes it reports.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert_eq!(module_name(&module), "klptest");
        assert!(module.klp, "livepatch=Y sets klp");
        let kallsyms = &module.core_kallsyms;
        assert_eq!(kallsyms.num_symtab as usize, fixture.symbols, "every symbol is kept");
        let copied = bytes_at(kallsyms.symtab.cast(), fixture.symbols * size_of::<Elf64_Sym>());
        assert_eq!(copied, &fixture.bytes[symtab], "symbols copied in their original order");
        let strings = bytes_at(kallsyms.strtab.cast(), strtab.len());
        assert_eq!(strings, &fixture.bytes[strtab], "the string table is copied whole");
        assert!(kallsyms.typetab.is_null());
        assert!(module.klp_info.is_null(), "prepare leaves klp_info alone");
        assert_eq!(counted.live(), before + 1);

        assert_eq!(copy_module_elf(&mut module, &mut info), 0, "{:?}", last_error());
        let klp = &*module.klp_info;
        assert_eq!(klp.symndx, info.index.sym);
        let count = fixture.sections.len();
        let sechdrs = std::slice::from_raw_parts(klp.sechdrs, count);
        assert_eq!(sechdrs[klp.symndx as usize].sh_addr, module.core_kallsyms.symtab as u64);
        assert_eq!(counted.live(), before + 2);

        klpelf_release_module(&mut module);
        assert!(module.klp_info.is_null());
        assert!(module.core_kallsyms.symtab.is_null() && module.core_kallsyms.strtab.is_null());
        assert_eq!(module.core_kallsyms.num_symtab, 0);
        assert_eq!(counted.live(), before);
        klpelf_release_module(&mut module);
        klpelf_release_module(ptr::null_mut());
        assert_eq!(last_error(), None);
    }
    assert_eq!(counted.live(), before);
    drop(counted);
    assert_eq!(module_name(&module), "klptest", "release leaves the name");
}

#[test]
fn a_plain_module_is_not_a_livepatch() {
    let _lock = serial();
    let image = Image::new(&plain().bytes);
    let info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    module.klp = true;
    // SAFETY: as in the test above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert!(!module.klp, "no livepatch tag: klp is false");
        assert_eq!(module_name(&module), "plainmod");
        klpelf_release_module(&mut module);
    }
}

#[test]
fn prepare_refuses_a_module_that_already_has_kallsyms() {
    let _lock = serial();
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    // SAFETY: as in the tests above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0);
        let symtab = module.core_kallsyms.symtab;
        module.name[0] = b'X' as c_char;
        assert_eq!(klpelf_prepare_module(&mut module, &info), -libc::EEXIST);
        assert!(last_error().unwrap().contains("core_kallsyms is already set"));
        assert_eq!(module.core_kallsyms.symtab, symtab, "*mod unchanged");
        assert_eq!(module.name[0], b'X' as c_char, "*mod unchanged");
        klpelf_release_module(&mut module);
    }
}

#[test]
fn prepare_checks_the_name() {
    let fixture = long_name();
    let image = Image::new(&fixture.bytes);
    let info = setup_ok(&image, 0);
    let name = c_str(info.name).unwrap();
    assert_eq!(name.len(), 56);
    let mut module = zeroed_module();
    // SAFETY: as in the tests above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), -libc::ENAMETOOLONG);
        assert!(module.core_kallsyms.symtab.is_null() && module.name[0] == 0, "*mod unchanged");
    }

    // 55 bytes fit with the NUL: cut the name's last byte in the image.
    let mut elf = fixture.elf();
    let at = modinfo_entry(&elf, fixture, b"name=") + 5 + 55;
    elf.0[at] = 0;
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    let _lock = serial();
    // SAFETY: as in the tests above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert_eq!(module_name(&module), name[..55]);
        klpelf_release_module(&mut module);
    }

    // No name= at all: setup gives a NULL name, prepare refuses.
    let mut elf = fixture.elf();
    let at = modinfo_entry(&elf, fixture, b"name=");
    elf.0[at] = b'N';
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    assert!(info.name.is_null());
    let mut module = zeroed_module();
    // SAFETY: as in the tests above.
    unsafe { assert_eq!(klpelf_prepare_module(&mut module, &info), ENOEXEC) };
    assert!(last_error().unwrap().contains("no name"));
}

/// Offset in the file of the `.modinfo` entry starting with `prefix`.
fn modinfo_entry(elf: &Elf, fixture: &Fixture, prefix: &[u8]) -> usize {
    let modinfo = elf.contents(fixture.index(".modinfo"));
    let found = elf.0[modinfo.clone()].windows(prefix.len()).position(|w| w == prefix);
    modinfo.start + found.expect("the entry")
}

#[test]
fn prepare_rejects_a_load_info_that_no_longer_holds() {
    let _lock = serial();
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    let tampered = [
        LoadInfo { index: LoadInfoIndex { sym: 1, ..info.index }, ..info },
        LoadInfo { index: LoadInfoIndex { str: 9999, ..info.index }, ..info },
        LoadInfo { len: 100, ..info },
        LoadInfo { hdr: ptr::null_mut(), ..info },
    ];
    for bad in &tampered {
        // SAFETY: every pointer in `bad` is NULL or into the live image, with a length within it.
        let rc = unsafe { klpelf_prepare_module(&mut module, bad) };
        assert_eq!(rc, EINVAL, "{:?}", last_error());
        assert!(module.core_kallsyms.symtab.is_null());
    }
    // SAFETY: NULL arguments are rejected.
    unsafe {
        assert_eq!(klpelf_prepare_module(ptr::null_mut(), &info), EINVAL);
        assert_eq!(klpelf_prepare_module(&mut module, ptr::null()), EINVAL);
    }
}

#[test]
fn extended_numbering_goes_through_prepare_and_copy() {
    let _lock = serial();
    let fixture = xnum();
    let image = Image::new(&fixture.bytes);
    let mut info = setup_ok(&image, KLPELF_SETUP_ALLOW_XNUM);
    let mut module = zeroed_module();
    // SAFETY: the module is zeroed and writable, the info fresh from setup over a live image.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert!(module.klp);
        assert_eq!(module.core_kallsyms.num_symtab as usize, fixture.symbols);
        assert_eq!(copy_module_elf(&mut module, &mut info), 0, "{:?}", last_error());
        let klp = &*module.klp_info;
        assert_eq!(klp.hdr.e_shnum, 0);
        let sechdrs = std::slice::from_raw_parts(klp.sechdrs, fixture.sections.len());
        assert_eq!(sechdrs[klp.symndx as usize].sh_addr, module.core_kallsyms.symtab as u64);
        klpelf_release_module(&mut module);
    }
    assert!(module.klp_info.is_null() && module.core_kallsyms.symtab.is_null());
}
