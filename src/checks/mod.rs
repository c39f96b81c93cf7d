//! The kernel's ELF checks on a module image (`kernel/module/main.c`, `elf_validity_cache_copy()`
//! and the functions it calls), in the kernel's order: what `klpelf_setup_load_info()` runs before
//! it trusts anything in the image. The result, [`Checked`], records where things are as offsets
//! into the image; [`crate::load_info`] turns them into the pointers of `struct load_info`.
//!
//! [`check`] calls one function per kernel function, and each tests its conditions in the kernel's
//! order, so a file breaking several rules gets the kernel's verdict. Every rejection names its
//! check ([`KlpelfCheck`]). Besides the kernel's own checks, klpelf:
//! - also checks what the kernel leaves to `elf_check_arch()`: ELF class 64 and the host's byte
//!   order;
//! - cannot check the size of `.gnu.linkonce.this_module` against the running kernel's
//!   `sizeof(struct module)`: that size belongs to a kernel klpelf does not know;
//! - closes the reads the kernel makes without bounds checks on a malformed file (section 0 when
//!   `e_shnum` is 0, names of `SHT_NULL` sections, sections `load_info` indexes, loaded `SHT_NULL`
//!   sections, symbol section indices, relocation symbol indices), each as a check of its own;
//! - requires `e_shoff` and the symbol table's `sh_offset` to be multiples of 8, since C reads them
//!   as arrays of `Elf64_Shdr` / `Elf64_Sym`.
//!
//! Extended section numbering (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`) is rejected as the
//! kernel rejects it unless the caller allows it; then the count and the name table index come
//! from section 0, read only once section 0 is proven in the file.
//!
//! Nothing here allocates; the tables are typed views into the image (see [`crate::view`]).

mod census;
mod index;
mod symbols;

use core::mem::size_of;
use core::ops::Range;

use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFMAG, ET_REL};
use goblin::elf::section_header::{
    SHF_ALLOC, SHN_UNDEF, SHN_XINDEX, SHT_NOBITS, SHT_NULL, SHT_STRTAB,
};

use crate::check_id::KlpelfCheck;
use crate::error::Error;
use crate::layout::{Elf64_Ehdr, Elf64_Shdr, LoadInfoIndex, HOST_DATA, HOST_MACHINE};
use crate::rejection::{Fault, Rejection, SectionLabel};
use crate::section_table::{Image, Numbering, SectionTable};
use crate::view::{one_at, require_aligned, slice_at};

use census::Census;

/// What [`check`] proved, as offsets into the image (the ELF part, signature stripped).
#[derive(Clone, Copy)]
pub struct Checked {
    /// Length of the ELF part.
    pub len: usize,
    /// Offset of the section header table (`e_shoff`).
    pub sechdrs: usize,
    /// Offset of the section-name table.
    pub secstrings: usize,
    /// Offset of the symbol string table.
    pub strtab: usize,
    /// Offset of the `name=` value in `.modinfo`, NUL-terminated there; `None` without one.
    pub name: Option<usize>,
    /// The section indices, as the kernel finds them.
    pub index: LoadInfoIndex,
}

/// The image under check, once its section header table is proven in the file.
struct Subject<'a> {
    image: Image<'a>,
    /// Section 0, proven inside the file even when the table is empty (`e_shnum` 0).
    sec0: &'a Elf64_Shdr,
    /// The caller accepts extended section numbering.
    allow_xnum: bool,
}

impl<'a> Subject<'a> {
    fn table(&self) -> &SectionTable<'a> {
        &self.image.table
    }

    fn count(&self) -> u64 {
        self.image.table.count() as u64
    }

    /// A rejection that involves section `index`, named when its name is readable.
    fn reject(&self, check: KlpelfCheck, role: &'static str, index: u64, fault: Fault) -> Error {
        let section = SectionLabel::new(role, index, self.image.name_of(index));
        Error::Rejected(Rejection { check, section: Some(section), fault })
    }

    /// Proves that the bytes of section `index` (an index already proven below the count) lie in
    /// the file whatever its type, or rejects it with `check`.
    fn in_file(
        &self,
        check: KlpelfCheck,
        role: &'static str,
        index: u64,
    ) -> Result<Range<usize>, Error> {
        let shdr = self.table().get(index).copied().unwrap_or_default();
        self.image.range(&shdr).ok_or_else(|| {
            let len = self.image.bytes.len();
            let fault = Fault::PastEnd {
                sh_type: shdr.sh_type,
                offset: shdr.sh_offset,
                size: shdr.sh_size,
                len,
            };
            self.reject(check, role, index, fault)
        })
    }

    /// The bytes the loader reads of section `index` whatever its type: none when it is empty
    /// (wherever its offset points), else its bytes, proven in the file or rejected with `check`.
    fn contents_read(
        &self,
        check: KlpelfCheck,
        role: &'static str,
        index: u64,
    ) -> Result<&'a [u8], Error> {
        if self.table().get(index).is_some_and(|shdr| shdr.sh_size == 0) {
            return Ok(&[]);
        }
        let range = self.in_file(check, role, index)?;
        Ok(self.image.bytes.get(range).unwrap_or_default())
    }
}

/// A rejection that involves no particular section.
fn reject(check: KlpelfCheck, fault: Fault) -> Error {
    Error::Rejected(Rejection { check, section: None, fault })
}

/// Runs every check on `image` (the ELF part: the signature already stripped) in the kernel's
/// order. `allow_xnum` accepts extended section numbering.
pub fn check(image: &[u8], allow_xnum: bool) -> Result<Checked, Error> {
    require_aligned(image)?;
    let hdr = elf_validity_ehdr(image)?;
    let mut subject = elf_validity_cache_sechdrs(image, hdr, allow_xnum)?;
    let secstrings = elf_validity_cache_secstrings(&mut subject)?;
    let census = Census::take(subject.table());
    let (info, name) = index::elf_validity_cache_index_info(&subject, &census)?;
    let this_module = index::elf_validity_cache_index_mod(&subject, &census)?;
    let sym = index::elf_validity_cache_index_sym(&census)?;
    let str = index::elf_validity_cache_index_str(&subject, sym)?;
    let (vers_ext_crc, vers_ext_name) =
        index::elf_validity_cache_index_versions(&subject, &census)?;
    let vers = index::indexed_in_file(&subject, census.versions)?;
    let pcpu = index::indexed_in_file(&subject, census.pcpu)?;
    let (strtab, symbols) = symbols::elf_validity_cache_strtab(&subject, sym, str)?;
    symbols::symbol_uses(&subject, sym, symbols)?;
    Ok(Checked {
        len: image.len(),
        sechdrs: usize::try_from(hdr.e_shoff).unwrap_or_default(),
        secstrings,
        strtab,
        name,
        index: LoadInfoIndex {
            sym,
            str,
            r#mod: this_module,
            vers,
            info,
            pcpu,
            vers_ext_crc,
            vers_ext_name,
        },
    })
}

/// `elf_validity_ehdr()`: the ELF header, plus the class and byte order that the kernel's
/// `elf_check_arch()` leaves to its architecture code.
fn elf_validity_ehdr(image: &[u8]) -> Result<&Elf64_Ehdr, Error> {
    if image.len() < size_of::<Elf64_Ehdr>() {
        return Err(reject(KlpelfCheck::EhdrLen, Fault::TooShort { len: image.len() }));
    }
    let hdr: &Elf64_Ehdr = one_at(image, 0)
        .map_err(|_| Error::MisalignedImage { address: image.as_ptr() as usize })?;
    let magic = [hdr.e_ident[0], hdr.e_ident[1], hdr.e_ident[2], hdr.e_ident[3]];
    if &magic != ELFMAG {
        return Err(reject(KlpelfCheck::EhdrMagic, Fault::BadMagic { magic }));
    }
    if hdr.e_type != ET_REL {
        return Err(reject(KlpelfCheck::EhdrType, Fault::NotRelocatable { e_type: hdr.e_type }));
    }
    let arch = |fault| Err(reject(KlpelfCheck::EhdrArch, fault));
    if hdr.e_ident[EI_CLASS] != ELFCLASS64 {
        return arch(Fault::WrongClass { class: hdr.e_ident[EI_CLASS] });
    }
    if hdr.e_ident[EI_DATA] != HOST_DATA {
        return arch(Fault::WrongByteOrder { data: hdr.e_ident[EI_DATA] });
    }
    if hdr.e_machine != HOST_MACHINE {
        return arch(Fault::WrongMachine { machine: hdr.e_machine });
    }
    Ok(hdr)
}

/// `elf_validity_cache_sechdrs()`: the section header table lies in the file, section 0 is null,
/// every section with contents lies in the file. Also klpelf's checks that section 0 lies in the
/// file when `e_shnum` is 0, that loaded `SHT_NULL` sections lie in the file, and that `e_shoff` is
/// 8-aligned.
fn elf_validity_cache_sechdrs<'a>(
    image: &'a [u8],
    hdr: &'a Elf64_Ehdr,
    allow_xnum: bool,
) -> Result<Subject<'a>, Error> {
    let len = image.len();
    if usize::from(hdr.e_shentsize) != size_of::<Elf64_Shdr>() {
        return Err(reject(
            KlpelfCheck::SechdrsEntsize,
            Fault::ShentSize { size: hdr.e_shentsize },
        ));
    }
    let shoff = hdr.e_shoff;
    if shoff >= len as u64 {
        return Err(reject(KlpelfCheck::SechdrsOverflow, Fault::ShoffPastEnd { shoff, len }));
    }
    let room = len as u64 - shoff; // e_shoff < len
    let too_large =
        |count| reject(KlpelfCheck::SechdrsOverflow, Fault::TableTooLarge { count, shoff, len });
    let mut count = Numbering::decode(hdr, None).count;
    if count == 0 {
        // The kernel reads section 0 below whatever e_shnum says.
        if room < size_of::<Elf64_Shdr>() as u64 {
            let fault = Fault::Section0OutsideFile { shoff, len };
            return Err(reject(KlpelfCheck::Section0InFile, fault));
        }
        if allow_xnum {
            count = Numbering::decode(hdr, Some(section0(image, shoff)?)).count;
        }
    }
    if count.checked_mul(size_of::<Elf64_Shdr>() as u64).is_none_or(|bytes| bytes > room) {
        return Err(too_large(count));
    }
    if count > u64::from(u32::MAX) {
        return Err(reject(KlpelfCheck::SechdrsOverflow, Fault::TooManySections { count }));
    }
    // In bounds: the table holds section 0 (count >= 1), or it was proven in the file above.
    let sec0 = section0(image, shoff)?;
    let sechdrs: &[Elf64_Shdr] =
        slice_at(image, shoff as usize, count as usize).map_err(|_| too_large(count))?;
    let shstrndx = Numbering::decode(hdr, allow_xnum.then_some(sec0)).shstrndx;
    let table = SectionTable { hdr, sechdrs, shstrndx, secstrings: &[] };
    let subject = Subject { image: Image { bytes: image, table }, sec0, allow_xnum };
    check_section0(&subject)?;
    check_section_bounds(&subject)?;
    Ok(subject)
}

/// Section 0, once `e_shoff` is proven 8-aligned (and, by the caller, section 0 inside the file).
fn section0(image: &[u8], shoff: u64) -> Result<&Elf64_Shdr, Error> {
    if shoff % 8 != 0 {
        let fault = Fault::Misaligned { what: "e_shoff", offset: shoff };
        return Err(reject(KlpelfCheck::Alignment, fault));
    }
    let len = image.len();
    usize::try_from(shoff)
        .ok()
        .and_then(|at| one_at(image, at).ok())
        .ok_or(reject(KlpelfCheck::SechdrsOverflow, Fault::TableTooLarge { count: 1, shoff, len }))
}

/// Section 0 is an empty `SHT_NULL` section; it may hold the section count in `sh_size` only under
/// allowed extended numbering.
fn check_section0(subject: &Subject<'_>) -> Result<(), Error> {
    let sec0 = subject.sec0;
    let e_shnum = subject.table().hdr.e_shnum;
    let xnum = subject.allow_xnum && e_shnum == 0;
    if sec0.sh_type != SHT_NULL || (sec0.sh_size != 0 && !xnum) || sec0.sh_addr != 0 {
        let fault = if sec0.sh_type == SHT_NULL && sec0.sh_addr == 0 && e_shnum == 0 {
            Fault::ExtendedNumbering { count: sec0.sh_size }
        } else {
            Fault::Section0NotNull {
                sh_type: sec0.sh_type,
                sh_size: sec0.sh_size,
                sh_addr: sec0.sh_addr,
            }
        };
        return Err(subject.reject(KlpelfCheck::SechdrsSection0, "", 0, fault));
    }
    Ok(())
}

/// Every section with contents lies in the file; so does every `SHT_NULL` section the loader
/// would copy (`SHF_ALLOC`), which the kernel does not check.
fn check_section_bounds(subject: &Subject<'_>) -> Result<(), Error> {
    for (index, shdr) in subject.table().sechdrs.iter().enumerate().skip(1) {
        let check = match shdr.sh_type {
            SHT_NOBITS => continue,
            // The loader copies sh_size bytes of a loaded section: none of an empty one.
            SHT_NULL if shdr.sh_flags & u64::from(SHF_ALLOC) == 0 || shdr.sh_size == 0 => continue,
            SHT_NULL => KlpelfCheck::NullAllocInFile,
            _ => KlpelfCheck::SechdrsOffset,
        };
        if subject.image.range(shdr).is_none() {
            let fault = Fault::PastEnd {
                sh_type: shdr.sh_type,
                offset: shdr.sh_offset,
                size: shdr.sh_size,
                len: subject.image.bytes.len(),
            };
            return Err(subject.reject(check, "", index as u64, fault));
        }
    }
    Ok(())
}

/// `elf_validity_cache_secstrings()`: the section-name table exists, is `SHT_STRTAB` (and so was
/// proven in the file above), is NUL-terminated and holds every section's name; klpelf also holds
/// the names of `SHT_NULL` sections to it. On success the subject's table has its names, and the
/// name table's offset is returned.
fn elf_validity_cache_secstrings(subject: &mut Subject<'_>) -> Result<usize, Error> {
    const ROLE: &str = "section-name table";
    let count = subject.count();
    let index = subject.table().shstrndx;
    if index == u64::from(SHN_UNDEF) {
        return Err(reject(KlpelfCheck::SecstringsIndex, Fault::ShstrndxUndef));
    }
    let xindex = u32::from(subject.table().hdr.e_shstrndx) == SHN_XINDEX && !subject.allow_xnum;
    let out_of_range = Fault::ShstrndxOutOfRange { index, count, xindex };
    let shdr =
        subject.table().get(index).ok_or(reject(KlpelfCheck::SecstringsIndex, out_of_range))?;
    if shdr.sh_type != SHT_STRTAB {
        let fault = Fault::NotStrtab { sh_type: shdr.sh_type };
        return Err(subject.reject(KlpelfCheck::SecstringsType, ROLE, index, fault));
    }
    if shdr.sh_size == 0 {
        return Err(subject.reject(KlpelfCheck::SecstringsEmpty, ROLE, index, Fault::Empty));
    }
    let range = subject.in_file(KlpelfCheck::SechdrsOffset, ROLE, index)?;
    let bytes = subject.image.bytes.get(range.clone()).unwrap_or_default();
    let last = bytes.last().copied().unwrap_or_default();
    if last != 0 {
        let fault = Fault::NotTerminated { last };
        return Err(subject.reject(KlpelfCheck::SecstringsNul, ROLE, index, fault));
    }
    for (i, shdr) in subject.table().sechdrs.iter().enumerate() {
        if u64::from(shdr.sh_name) < bytes.len() as u64 || (shdr.sh_type == SHT_NULL && i == 0) {
            continue;
        }
        let check = if shdr.sh_type == SHT_NULL {
            KlpelfCheck::NullSectionName
        } else {
            KlpelfCheck::SecstringsName
        };
        let fault = Fault::NameOutOfRange {
            sh_type: shdr.sh_type,
            sh_name: shdr.sh_name,
            size: bytes.len() as u64,
        };
        return Err(subject.reject(check, "", i as u64, fault));
    }
    subject.image.table.secstrings = bytes;
    Ok(range.start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::tests::Aligned;

    #[test]
    fn short_and_misaligned_images() {
        let buf = Aligned::new(&[0; 80]);
        let error = check(&buf.bytes()[..63], false).err().unwrap();
        assert!(matches!(error, Error::Rejected(r) if r.check == KlpelfCheck::EhdrLen), "{error}");
        assert!(matches!(check(&buf.bytes()[1..], false), Err(Error::MisalignedImage { .. })));
        let error = check(buf.bytes(), false).err().unwrap();
        assert!(matches!(error, Error::Rejected(r) if r.check == KlpelfCheck::EhdrMagic));
        assert!(error.to_string().starts_with("elf_validity_ehdr: "), "{error}");
        // Below clippy's result_large_err threshold.
        assert!(size_of::<Error>() < 128, "Error stays small: {}", size_of::<Error>());
    }
}
