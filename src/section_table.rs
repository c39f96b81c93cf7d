//! The one view of a module's section header table: the ELF header, the section headers and, once
//! proven, the section-name table. Extended section numbering is decoded here and nowhere else
//! ([`Numbering::decode`]); the checks, the copy, the livepatch walk and the re-opening of an
//! accepted image all go through [`SectionTable`], and [`Image`] adds the image's bytes for the
//! readers that need section contents.

use core::mem::size_of;
use core::ops::Range;

use goblin::elf::section_header::{SHN_XINDEX, SHT_SYMTAB};

use crate::error::Error;
use crate::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym};
use crate::view::{c_string, file_range, one_at, require_aligned, slice_at};

/// A module's section count and section-name table index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbering {
    /// Entries in the section header table.
    pub count: u64,
    /// Index of the section-name table; not proven in range.
    pub shstrndx: u64,
}

impl Numbering {
    /// Decodes `e_shnum` and `e_shstrndx`. With `sec0`, as the ELF specification says: under
    /// extended numbering (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`) the count is section 0's
    /// `sh_size` and the index its `sh_link`. Without, as the kernel reads them: the header's
    /// fields as they are, so that a file using extended numbering has 0 sections and the name
    /// table index `SHN_XINDEX`.
    pub fn decode(hdr: &Elf64_Ehdr, sec0: Option<&Elf64_Shdr>) -> Self {
        let count = match (hdr.e_shnum, sec0) {
            (0, Some(sec0)) => sec0.sh_size,
            (n, _) => u64::from(n),
        };
        let shstrndx = match (u32::from(hdr.e_shstrndx), sec0) {
            (SHN_XINDEX, Some(sec0)) => u64::from(sec0.sh_link),
            (n, _) => u64::from(n),
        };
        Numbering { count, shstrndx }
    }
}

/// The header, the section headers and the section-name table of a module.
#[derive(Clone, Copy)]
pub struct SectionTable<'a> {
    /// The ELF header.
    pub hdr: &'a Elf64_Ehdr,
    /// Every section header.
    pub sechdrs: &'a [Elf64_Shdr],
    /// The section-name table's index, as decoded (below `sechdrs.len()` once proven).
    pub shstrndx: u64,
    /// The section-name table's bytes; empty until proven.
    pub secstrings: &'a [u8],
}

impl<'a> SectionTable<'a> {
    /// Number of sections.
    pub fn count(&self) -> usize {
        self.sechdrs.len()
    }

    /// Section `index`, if the table has it.
    pub fn get(&self, index: u64) -> Option<&'a Elf64_Shdr> {
        self.sechdrs.get(usize::try_from(index).ok()?)
    }

    /// The name of `shdr` from the proven section-name table, if it ends inside the table.
    pub fn name(&self, shdr: &Elf64_Shdr) -> Option<&'a [u8]> {
        c_string(self.secstrings, usize::try_from(shdr.sh_name).ok()?)
    }
}

/// A module image and its section table, proven to lie inside it.
#[derive(Clone, Copy)]
pub struct Image<'a> {
    /// The image's bytes (the ELF part: an appended signature is not included).
    pub bytes: &'a [u8],
    /// Its section table.
    pub table: SectionTable<'a>,
}

impl<'a> Image<'a> {
    /// Where a section's bytes lie in the image, whatever its type, if they lie inside it.
    pub fn range(&self, shdr: &Elf64_Shdr) -> Option<Range<usize>> {
        file_range(shdr.sh_offset, shdr.sh_size, self.bytes.len())
    }

    /// A section's bytes, whatever its type, if they lie inside the image.
    pub fn contents(&self, shdr: &Elf64_Shdr) -> Option<&'a [u8]> {
        self.bytes.get(self.range(shdr)?)
    }

    /// Section `index`'s name, read from whatever the section-name table index points at, if that
    /// can be read: for messages, before the checks have proven the name table.
    pub fn name_of(&self, index: u64) -> Option<&'a [u8]> {
        let names = self.contents(self.table.get(self.table.shstrndx)?)?;
        c_string(names, usize::try_from(self.table.get(index)?.sh_name).ok()?)
    }

    /// Re-opens an image that the checks accepted, from its bytes alone (`info->hdr`,
    /// `info->len`), re-proving only what memory safety needs: the header and the section table
    /// inside the image and 8-aligned. Fails with [`Error::BadLoadInfo`].
    pub fn reopen(bytes: &'a [u8]) -> Result<Self, Error> {
        let bad = |what| Error::BadLoadInfo { what };
        require_aligned(bytes)?;
        let hdr: &Elf64_Ehdr =
            one_at(bytes, 0).map_err(|_| bad("info->len is shorter than an ELF header"))?;
        let outside = "the section header table is not inside the image at an 8-aligned offset";
        let shoff = usize::try_from(hdr.e_shoff).map_err(|_| bad(outside))?;
        let sec0: &Elf64_Shdr = one_at(bytes, shoff).map_err(|_| bad(outside))?;
        let numbering = Numbering::decode(hdr, Some(sec0));
        let count = usize::try_from(numbering.count).map_err(|_| bad(outside))?;
        let sechdrs = slice_at(bytes, shoff, count).map_err(|_| bad(outside))?;
        let table = SectionTable { hdr, sechdrs, shstrndx: numbering.shstrndx, secstrings: &[] };
        Ok(Image { bytes, table })
    }

    /// The bytes of section `index` and their offset in the image; fails with
    /// [`Error::BadLoadInfo`] (`what` names the index) unless the section exists and lies inside.
    pub fn section(&self, index: u32, what: &'static str) -> Result<(usize, &'a [u8]), Error> {
        let range = self
            .table
            .get(u64::from(index))
            .and_then(|shdr| self.range(shdr))
            .ok_or(Error::BadLoadInfo { what })?;
        Ok((range.start, self.bytes.get(range.clone()).unwrap_or_default()))
    }

    /// The symbols of symbol table section `index`, a typed view; fails with
    /// [`Error::BadLoadInfo`] unless it is an `SHT_SYMTAB` section inside the image, 8-aligned.
    pub fn symbol_table(&self, index: u32) -> Result<&'a [Elf64_Sym], Error> {
        let bad = Error::BadLoadInfo {
            what: "index.sym is not an 8-aligned SHT_SYMTAB section inside the image",
        };
        let shdr = self.table.get(u64::from(index)).ok_or(bad)?;
        if shdr.sh_type != SHT_SYMTAB {
            return Err(bad);
        }
        let range = self.range(shdr).ok_or(bad)?;
        let count = range.len() / size_of::<Elf64_Sym>();
        slice_at(self.bytes, range.start, count).map_err(|_| bad)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header with only the numbering fields set.
    pub(crate) fn hdr(shnum: u16, shstrndx: u16) -> Elf64_Ehdr {
        Elf64_Ehdr { e_shnum: shnum, e_shstrndx: shstrndx, ..Default::default() }
    }

    /// A section 0 holding a count and a name table index, as extended numbering does.
    pub(crate) fn sec0(size: u64, link: u32) -> Elf64_Shdr {
        Elf64_Shdr { sh_size: size, sh_link: link, ..Default::default() }
    }

    #[test]
    fn plain_numbering_ignores_section_0() {
        let n = Numbering::decode(&hdr(12, 11), Some(&sec0(99, 98)));
        assert_eq!(n, Numbering { count: 12, shstrndx: 11 });
    }

    #[test]
    fn extended_numbering_comes_from_section_0() {
        let xindex = SHN_XINDEX as u16;
        let n = Numbering::decode(&hdr(0, xindex), Some(&sec0(70_000, 69_999)));
        assert_eq!(n, Numbering { count: 70_000, shstrndx: 69_999 });
    }

    #[test]
    fn the_kernels_reading_takes_the_header_as_it_is() {
        let n = Numbering::decode(&hdr(0, SHN_XINDEX as u16), None);
        assert_eq!(n, Numbering { count: 0, shstrndx: u64::from(SHN_XINDEX) });
    }
}
