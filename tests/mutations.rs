//! No input reaches a panic: thousands of structural mutations of real objects, each given a
//! verdict by `klpelf_setup_load_info()` (never the caught-panic code), and whatever it accepts
//! taken through the rest of the loader's steps.

mod support;

use std::ffi::CString;

use klpelf::ffi::{
    copy_module_elf, klpelf_get_modinfo, klpelf_prepare_module, klpelf_release_module,
    KLPELF_SETUP_ALLOW_XNUM,
};
use klpelf::layout::LoadInfo;
use support::alloc::serial;
use support::api::{last_error, setup, zeroed_module, EBADMSG, ENAMETOOLONG, ENOEXEC};
use support::elf::{
    Elf, E_SHENTSIZE, E_SHNUM, E_SHOFF, E_SHSTRNDX, E_TYPE, SHDR, SH_ADDR, SH_FLAGS, SH_INFO,
    SH_LINK, SH_NAME, SH_OFFSET, SH_SIZE, SH_TYPE,
};
use support::image::Image;
use support::objects::{livepatch, xnum};

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A value likely to sit on a boundary: 0, 1, around the file length, the type's extremes.
fn edgy(rng: &mut Rng, len: u64) -> u64 {
    match rng.below(8) {
        0 => 0,
        1 => 1,
        2 => len,
        3 => len.wrapping_sub(rng.below(80) as u64),
        4 => u64::MAX - rng.below(4) as u64,
        5 => 0xff00 + rng.below(0x100) as u64,
        6 => rng.below(64) as u64,
        _ => rng.next(),
    }
}

/// Section header fields a mutation may change, with their sizes.
const SHDR_FIELDS: [(usize, usize); 8] = [
    (SH_NAME, 4),
    (SH_TYPE, 4),
    (SH_FLAGS, 8),
    (SH_ADDR, 8),
    (SH_OFFSET, 8),
    (SH_SIZE, 8),
    (SH_LINK, 4),
    (SH_INFO, 4),
];

/// ELF header fields a mutation may change, with their sizes.
const HEADER_FIELDS: [(usize, usize); 5] =
    [(E_SHOFF, 8), (E_SHNUM, 2), (E_SHSTRNDX, 2), (E_SHENTSIZE, 2), (E_TYPE, 2)];

/// One to three random changes to `elf`, an object with `sections` sections: a section header
/// field, an ELF header field, or any byte.
fn mutate(elf: &mut Elf, rng: &mut Rng, sections: usize) {
    let len = elf.len() as u64;
    for _ in 0..1 + rng.below(3) {
        match rng.below(4) {
            0 | 1 => {
                let (field, size) = SHDR_FIELDS[rng.below(SHDR_FIELDS.len())];
                let value = edgy(rng, len);
                // Through the (possibly already mutated) e_shoff, when that is still in the file.
                let index = rng.below(sections);
                let at = elf
                    .shoff()
                    .checked_add(index * SHDR + field)
                    .filter(|at| at + size <= elf.len());
                if let Some(at) = at {
                    elf.set(at, size, value);
                }
            }
            2 => {
                let (field, size) = HEADER_FIELDS[rng.below(HEADER_FIELDS.len())];
                let value = edgy(rng, len);
                elf.set_hdr(field, size, value);
            }
            _ => {
                let at = rng.below(elf.len());
                elf.0[at] = rng.next() as u8;
            }
        }
    }
}

/// The loader's steps on an image setup accepted: get_modinfo, prepare (which may refuse the
/// module's name), copy_module_elf (which must succeed) and release.
fn load(info: &mut LoadInfo, round: usize) {
    let tag = CString::new("livepatch").unwrap();
    let mut module = zeroed_module();
    // SAFETY: info comes from setup over the live image; the module is zeroed.
    unsafe {
        klpelf_get_modinfo(info, tag.as_ptr());
        assert_eq!(last_error(), None, "round {round}");
        let rc = klpelf_prepare_module(&mut module, info);
        assert!([0, ENOEXEC, ENAMETOOLONG].contains(&rc), "round {round}: {rc} {:?}", last_error());
        let rc = copy_module_elf(&mut module, info);
        assert_eq!(rc, 0, "round {round}: {:?}", last_error());
        klpelf_release_module(&mut module);
    }
}

/// Thousands of structural mutations of a real object, with and without extended numbering: every
/// call returns a verdict (never the caught-panic code), and whatever setup accepts goes through
/// get_modinfo, prepare, copy_module_elf and release.
#[test]
fn random_mutations_never_panic() {
    let _lock = serial();
    let fixture = livepatch();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut rejected) = (0, 0);
    for round in 0..20_000 {
        let mut elf = fixture.elf();
        mutate(&mut elf, &mut rng, fixture.sections.len());
        let flags = if rng.below(2) == 0 { 0 } else { KLPELF_SETUP_ALLOW_XNUM };
        let image = Image::new(&elf.0);
        match setup(&image, flags) {
            Ok(mut info) => {
                accepted += 1;
                load(&mut info, round);
            }
            Err((rc, message)) => {
                assert!(rc == ENOEXEC || rc == EBADMSG, "round {round}: {rc} {message}");
                rejected += 1;
            }
        }
    }
    assert!(accepted > 100 && rejected > 10_000, "accepted {accepted}, rejected {rejected}");
}

/// The same for the extended-numbering fields: section 0's count and name-table link, the header's
/// numbering fields, and the extended symbol indices.
#[test]
fn random_extended_numbering_mutations_never_panic() {
    let fixture = xnum();
    let shndx = fixture.elf().contents(fixture.index(".symtab_shndx"));
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut accepted = 0;
    for round in 0..150 {
        let mut elf = fixture.elf();
        let len = elf.len() as u64;
        let value = edgy(&mut rng, len);
        match rng.below(6) {
            0 => elf.set_shdr(0, SH_SIZE, 8, value),
            1 => elf.set_shdr(0, SH_LINK, 4, value),
            2 => elf.set_hdr(E_SHNUM, 2, value),
            3 => elf.set_hdr(E_SHSTRNDX, 2, value),
            4 => elf.set_hdr(E_SHOFF, 8, value & !7),
            _ => {
                let at = shndx.start + rng.below(shndx.len() / 4) * 4;
                elf.set(at, 4, value);
            }
        }
        let image = Image::new(&elf.0);
        match setup(&image, KLPELF_SETUP_ALLOW_XNUM) {
            Ok(_) => accepted += 1,
            Err((rc, message)) => assert_eq!(rc, ENOEXEC, "round {round}: {message}"),
        }
    }
    assert!(accepted > 0);
}
