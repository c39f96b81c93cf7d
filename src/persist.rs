//! The livepatch ELF persistence itself: the kernel's `copy_module_elf()` / `free_module_elf()`
//! (`kernel/module/livepatch.c`) over tables already proven in range.
//!
//! Where the kernel makes three allocations, klpelf makes one block (an [`OwnedBlock`]) holding, in
//! order, the `struct klp_modinfo`, the section header table and the section-name table, each table
//! placed to line up with its source in the cache (a few bytes of padding). The pointers inside
//! `klp_info` point into that block, so only `release` may free them, all at once.

use core::mem::{align_of, size_of};
use core::ptr::{self, NonNull};

use goblin::elf::section_header::{SHN_LORESERVE, SHN_XINDEX};

use crate::alloc::OwnedBlock;
use crate::error::Error;
use crate::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, KlpModinfo, Module};
use crate::section_table::{Numbering, SectionTable};

/// The largest section count accepted: section indices are 32-bit in ELF64 (`SHT_SYMTAB_SHNDX`).
const MAX_SECTIONS: u64 = u32::MAX as u64;

/// What `copy_module_elf()` reads (and what it persists): the section table with its names, and
/// the symbol table's index, below the section count.
#[derive(Clone, Copy)]
pub struct ElfTables<'a> {
    /// The header, the section headers and the section-name table.
    pub table: SectionTable<'a>,
    /// Index of the symbol table.
    pub symndx: u32,
}

/// The section count and section-name table index of tables that `copy_module_elf()` is given
/// (decoded as the ELF specification says: extended numbering is understood), proven to name real
/// sections together with the symbol table index `symndx`.
pub fn copy_numbering(
    hdr: &Elf64_Ehdr,
    sec0: &Elf64_Shdr,
    symndx: u32,
) -> Result<(usize, usize), Error> {
    let Numbering { count, shstrndx } = Numbering::decode(hdr, Some(sec0));
    if count > MAX_SECTIONS {
        return Err(Error::TooManySections { count });
    }
    if u32::from(hdr.e_shstrndx) != SHN_XINDEX && u32::from(hdr.e_shstrndx) >= SHN_LORESERVE {
        return Err(Error::IndexReserved { what: "e_shstrndx", index: u32::from(hdr.e_shstrndx) });
    }
    check_index("e_shstrndx", shstrndx, count)?;
    check_index("index.sym", u64::from(symndx), count)?;
    // Both fit: they are below `count`, which is at most u32::MAX.
    Ok((count as usize, shstrndx as usize))
}

/// A section index must name a section other than the null section 0.
fn check_index(what: &'static str, index: u64, count: u64) -> Result<(), Error> {
    if index == 0 {
        Err(Error::IndexUndefined { what })
    } else if index >= count {
        Err(Error::IndexOutOfRange { what, index, count })
    } else {
        Ok(())
    }
}

/// Length of the section-name table that `shdr` (section `e_shstrndx`) describes.
pub fn secstrings_len(shdr: &Elf64_Shdr) -> Result<usize, Error> {
    match usize::try_from(shdr.sh_size) {
        Ok(len) if len <= isize::MAX as usize => Ok(len),
        _ => Err(Error::TooLarge { what: "section-name table", size: shdr.sh_size }),
    }
}

/// The cache line size that [`line_up`] matches.
const CACHE_LINE: usize = 64;

/// Room in a block for [`line_up`] to move a table forward.
const LINE_UP_SLACK: usize = CACHE_LINE - 1;

/// The first address at or after `at` whose offset in a 64-byte cache line is that of `src`
/// rounded down to `align` (a power of two, to which `at` is aligned), so that the result keeps
/// `align`. A copy from `src` to there runs on whole lines: x86 `memcpy` (glibc's uses `rep movsb`
/// from 2 KiB up) is markedly faster between addresses that line up (BENCHMARKS.md has the
/// figures).
fn line_up(at: *mut u8, src: *const u8, align: usize) -> *mut u8 {
    debug_assert!(align.is_power_of_two() && at as usize % align == 0);
    let shift = ((src as usize & !(align - 1)).wrapping_sub(at as usize)) % CACHE_LINE;
    at.wrapping_add(shift)
}

/// The size of one persisted block: `struct klp_modinfo`, then the section header table and the
/// section-name table, each with [`LINE_UP_SLACK`] bytes in front to line it up with its source.
fn block_size(sections: usize, secstrings: usize) -> Result<usize, Error> {
    const _: () = assert!(align_of::<KlpModinfo>() <= 8 && align_of::<Elf64_Shdr>() <= 8);
    const _: () = assert!(size_of::<KlpModinfo>() % 8 == 0 && size_of::<Elf64_Shdr>() % 8 == 0);
    const FIXED: usize = size_of::<KlpModinfo>() + 2 * LINE_UP_SLACK;
    sections
        .checked_mul(size_of::<Elf64_Shdr>())
        .and_then(|bytes| bytes.checked_add(FIXED))
        .and_then(|bytes| bytes.checked_add(secstrings))
        .ok_or(Error::TooLarge { what: "persisted ELF info", size: u64::MAX })
}

/// The kernel's `copy_module_elf()`: copies the header, the section header table and the
/// section-name table, and points the copied symbol table section's `sh_addr` at `symtab` (the
/// module's `core_kallsyms.symtab`). Returns the new `klp_info`; only [`release`] frees it.
pub fn persist(
    tables: &ElfTables<'_>,
    symtab: *mut Elf64_Sym,
) -> Result<NonNull<KlpModinfo>, Error> {
    let (sechdrs_src, secstrings_src) = (tables.table.sechdrs, tables.table.secstrings);
    let block = OwnedBlock::new(block_size(sechdrs_src.len(), secstrings_src.len())?)?;
    let base = block.as_ptr();
    // SAFETY: `base` is an 8-aligned block of `block_size` bytes: the header at its start, then
    // each table at most LINE_UP_SLACK bytes after the end of what precedes it, so every part is
    // inside the block and the parts are disjoint. The section headers stay 8-aligned: the header's
    // size is a multiple of 8 and `line_up` keeps the alignment it is given. The sources are live
    // borrowed slices that cannot overlap a block just allocated.
    unsafe {
        let after_info = base.add(size_of::<KlpModinfo>());
        let sechdrs = line_up(after_info, sechdrs_src.as_ptr().cast(), align_of::<Elf64_Shdr>())
            .cast::<Elf64_Shdr>();
        ptr::copy_nonoverlapping(sechdrs_src.as_ptr(), sechdrs, sechdrs_src.len());
        (*sechdrs.add(tables.symndx as usize)).sh_addr = symtab as u64;
        let after_sechdrs = sechdrs.add(sechdrs_src.len()).cast::<u8>();
        let secstrings = line_up(after_sechdrs, secstrings_src.as_ptr(), 1);
        ptr::copy_nonoverlapping(secstrings_src.as_ptr(), secstrings, secstrings_src.len());
        base.cast::<KlpModinfo>().write(KlpModinfo {
            hdr: *tables.table.hdr,
            sechdrs,
            secstrings: secstrings.cast(),
            symndx: tables.symndx,
        });
    }
    Ok(block.into_raw().cast())
}

/// The kernel's `free_module_elf()`: frees everything [`persist`] made.
///
/// # Safety
/// `info` was returned by [`persist`] and has not been released.
pub unsafe fn release(info: NonNull<KlpModinfo>) {
    // SAFETY: the caller's contract: `info` is the data pointer of a block `persist` gave up.
    drop(unsafe { OwnedBlock::from_raw(info.cast()) });
}

/// `free_module_elf()` on a module: frees its `klp_info`, if any, and sets it to NULL first, so
/// that it is released once.
///
/// # Safety
/// `module.klp_info` is NULL or was made by [`persist`].
pub unsafe fn free_klp_info(module: &mut Module) {
    if let Some(info) = NonNull::new(core::mem::replace(&mut module.klp_info, ptr::null_mut())) {
        // SAFETY: the caller's contract; the pointer is no longer reachable from `module`.
        unsafe { release(info) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::section_table::tests::{hdr, sec0};

    #[test]
    fn copies_understand_extended_numbering() {
        assert_eq!(copy_numbering(&hdr(12, 11), &sec0(0, 0), 3), Ok((12, 11)));
        let xindex = SHN_XINDEX as u16;
        assert_eq!(copy_numbering(&hdr(0, xindex), &sec0(70_000, 69_999), 5), Ok((70_000, 69_999)));
    }

    #[test]
    fn bad_indices() {
        let s0 = sec0(0, 0);
        assert_eq!(
            copy_numbering(&hdr(12, 12), &s0, 3),
            Err(Error::IndexOutOfRange { what: "e_shstrndx", index: 12, count: 12 })
        );
        assert_eq!(
            copy_numbering(&hdr(12, 0), &s0, 3),
            Err(Error::IndexUndefined { what: "e_shstrndx" })
        );
        assert_eq!(
            copy_numbering(&hdr(12, 11), &s0, 0),
            Err(Error::IndexUndefined { what: "index.sym" })
        );
        assert_eq!(
            copy_numbering(&hdr(12, 11), &s0, 12),
            Err(Error::IndexOutOfRange { what: "index.sym", index: 12, count: 12 })
        );
        assert_eq!(
            copy_numbering(&hdr(0, 0xff05), &sec0(70_000, 2), 1),
            Err(Error::IndexReserved { what: "e_shstrndx", index: 0xff05 })
        );
        assert_eq!(
            copy_numbering(&hdr(0, SHN_XINDEX as u16), &sec0(1 << 40, 2), 1),
            Err(Error::TooManySections { count: 1 << 40 })
        );
    }

    #[test]
    fn line_up_matches_the_source_within_the_slack() {
        for (align, at_base) in [(8usize, 0x1000usize), (1, 0x1000)] {
            for at_off in (0..2 * CACHE_LINE).step_by(align) {
                for src in 0x5000..0x5000 + CACHE_LINE {
                    let at = (at_base + at_off) as *mut u8;
                    let to = line_up(at, src as *const u8, align) as usize;
                    assert!(to >= at as usize && to - (at as usize) <= LINE_UP_SLACK);
                    assert_eq!(to % align, 0);
                    assert_eq!(to.wrapping_sub(src & !(align - 1)) % CACHE_LINE, 0);
                }
            }
        }
    }

    #[test]
    fn persist_copies_and_redirects() {
        let h = hdr(3, 1);
        let mut secs = [Elf64_Shdr::default(); 3];
        secs[1].sh_size = 5;
        secs[2].sh_addr = 0x1234;
        secs[2].sh_name = 7;
        let names = *b"\0abc\0";
        let table = SectionTable { hdr: &h, sechdrs: &secs, shstrndx: 1, secstrings: &names };
        let tables = ElfTables { table, symndx: 2 };
        let info = persist(&tables, 0xdead_beef as *mut Elf64_Sym).unwrap();
        // SAFETY: `info` is a live block from `persist`, read before it is released.
        unsafe {
            let i = info.as_ref();
            assert!(i.hdr == h);
            assert_eq!(i.symndx, 2);
            let copied = core::slice::from_raw_parts(i.sechdrs, 3);
            assert_eq!(copied[2].sh_addr, 0xdead_beef);
            assert_eq!(copied[2].sh_name, 7);
            assert!(copied[1] == secs[1]);
            assert_eq!(core::slice::from_raw_parts(i.secstrings.cast::<u8>(), 5), &names);
            assert_eq!((i.sechdrs as usize).wrapping_sub(secs.as_ptr() as usize) % CACHE_LINE, 0);
            let names_at = i.secstrings as usize;
            assert_eq!(names_at.wrapping_sub(names.as_ptr() as usize) % CACHE_LINE, 0);
            release(info);
        }
    }
}
