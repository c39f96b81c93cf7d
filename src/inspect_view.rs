//! A read-only view of a module file of any 64-bit architecture, in either byte order, for
//! inspection (`.modinfo`, `__versions`, the extended version tables): what kmod's `modinfo` reads.
//!
//! The loading path ([`crate::section_table`]) reads headers in place as typed records, which
//! only works in the host's byte order and needs an 8-aligned image. Inspection must also read an
//! s390x (big-endian) module on an x86-64 host, from any address, so this view copies each header
//! it needs into a host-order [`Elf64_Ehdr`] / [`Elf64_Shdr`] value, decoding each field in the
//! file's byte order. Everything after that is shared with the loading path: extended section
//! numbering is decoded by [`Numbering::decode`], byte ranges by [`file_range`] and names by
//! [`c_string`]. goblin's endian-aware parser is not used because it needs an allocator, which the
//! freestanding build does not have for Rust code.

use core::fmt;

use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB};

use crate::error::Error;
use crate::layout::{Elf64_Ehdr, Elf64_Shdr};
use crate::section_table::Numbering;
use crate::view::{c_string, file_range};

/// Size of an ELF64 header and of an ELF64 section header.
const EHDR_LEN: usize = 64;
const SHDR_LEN: usize = 64;

/// A module file's byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endian {
    /// `ELFDATA2LSB`: x86-64, arm64, riscv64, ppc64le, loongarch64, ...
    Little,
    /// `ELFDATA2MSB`: s390x, big-endian ppc64, sparc64, ...
    Big,
}

impl Endian {
    /// A 16-bit field at `at` of `bytes` (which the caller proved long enough).
    fn u16(self, bytes: &[u8], at: usize) -> u16 {
        let b = array::<2>(bytes, at);
        match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        }
    }

    /// A 32-bit field.
    pub fn u32(self, bytes: &[u8], at: usize) -> u32 {
        let b = array::<4>(bytes, at);
        match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        }
    }

    /// A 64-bit field.
    pub fn u64(self, bytes: &[u8], at: usize) -> u64 {
        let b = array::<8>(bytes, at);
        match self {
            Endian::Little => u64::from_le_bytes(b),
            Endian::Big => u64::from_be_bytes(b),
        }
    }
}

/// `N` bytes at `at`, zeros where `bytes` ends early (callers check lengths first, so this only
/// keeps the reads total).
fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(src) = at.checked_add(N).and_then(|end| bytes.get(at..end)) {
        out.copy_from_slice(src);
    }
    out
}

/// Why a file cannot be inspected (`-ENOEXEC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InspectFault {
    /// Shorter than an ELF header, or without the ELF magic.
    NotElf,
    /// `EI_CLASS` is not `ELFCLASS64`.
    NotElf64 {
        /// The file's `EI_CLASS`.
        class: u8,
    },
    /// `EI_DATA` is neither `ELFDATA2LSB` nor `ELFDATA2MSB`.
    BadByteOrder {
        /// The file's `EI_DATA`.
        data: u8,
    },
    /// `e_shentsize` is not 64.
    BadShentsize {
        /// The file's `e_shentsize`.
        shentsize: u16,
    },
    /// The section header table does not lie inside the file.
    SectionTableOutside,
    /// The section-name table is missing, outside the file or does not end with a NUL.
    BadSectionNames,
    /// A version table is malformed; `what` says how.
    BadVersions {
        /// What is wrong, in the kernel's terms.
        what: &'static str,
    },
}

impl fmt::Display for InspectFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            InspectFault::NotElf => f.write_str("not an ELF file (no ELF magic or too short)"),
            InspectFault::NotElf64 { class } => {
                write!(f, "EI_CLASS {class} is not ELFCLASS64: only 64-bit modules are read")
            }
            InspectFault::BadByteOrder { data } => {
                write!(f, "EI_DATA {data} is neither little- (1) nor big-endian (2)")
            }
            InspectFault::BadShentsize { shentsize } => {
                write!(f, "e_shentsize {shentsize} is not the 64 bytes of an Elf64_Shdr")
            }
            InspectFault::SectionTableOutside => {
                f.write_str("the section header table does not lie inside the file")
            }
            InspectFault::BadSectionNames => f.write_str(
                "the section-name table is missing, outside the file or not NUL-terminated",
            ),
            InspectFault::BadVersions { what } => f.write_str(what),
        }
    }
}

impl From<InspectFault> for Error {
    fn from(fault: InspectFault) -> Self {
        Error::Inspect(fault)
    }
}

/// A module file opened for inspection: its header in host order and where its section table is.
#[derive(Clone, Copy)]
pub struct ModuleView<'a> {
    /// The whole file (an appended signature included, as kmod reads it).
    pub bytes: &'a [u8],
    /// The file's byte order.
    pub endian: Endian,
    /// The ELF header, decoded into host order.
    pub hdr: Elf64_Ehdr,
    /// Offset of the section header table.
    shoff: usize,
    /// Number of section headers (extended numbering decoded).
    count: usize,
    /// The section-name table's bytes, ending with a NUL.
    secstrings: &'a [u8],
}

impl<'a> ModuleView<'a> {
    /// Opens `bytes`: the ELF identification, the header and the section table and section-name
    /// table inside the file (as kmod's `kmod_elf_new()` requires). Any address, either byte order.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, InspectFault> {
        if bytes.len() < EHDR_LEN || !bytes.starts_with(b"\x7fELF") {
            return Err(InspectFault::NotElf);
        }
        let class = bytes[EI_CLASS];
        if class != ELFCLASS64 {
            return Err(InspectFault::NotElf64 { class });
        }
        let endian = match bytes[EI_DATA] {
            ELFDATA2LSB => Endian::Little,
            ELFDATA2MSB => Endian::Big,
            data => return Err(InspectFault::BadByteOrder { data }),
        };
        let hdr = read_ehdr(bytes, endian);
        if usize::from(hdr.e_shentsize) != SHDR_LEN {
            return Err(InspectFault::BadShentsize { shentsize: hdr.e_shentsize });
        }
        let shoff = usize::try_from(hdr.e_shoff).map_err(|_| InspectFault::SectionTableOutside)?;
        let sec0 = shoff
            .checked_add(SHDR_LEN)
            .filter(|&end| end <= bytes.len())
            .map(|_| read_shdr(bytes, shoff, endian));
        let numbering = Numbering::decode(&hdr, sec0.as_ref());
        let count = usize::try_from(numbering.count)
            .ok()
            .filter(|&count| {
                let end = count.checked_mul(SHDR_LEN).and_then(|len| len.checked_add(shoff));
                end.is_some_and(|end| end <= bytes.len())
            })
            .ok_or(InspectFault::SectionTableOutside)?;
        let mut view = ModuleView { bytes, endian, hdr, shoff, count, secstrings: &[] };
        let names = view
            .section_header(numbering.shstrndx)
            .filter(|_| numbering.shstrndx != 0)
            .and_then(|shdr| view.contents(&shdr))
            .filter(|names| names.last() == Some(&0))
            .ok_or(InspectFault::BadSectionNames)?;
        view.secstrings = names;
        Ok(view)
    }

    /// Number of sections.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Section header `index`, decoded into host order, if the table has it.
    pub fn section_header(&self, index: u64) -> Option<Elf64_Shdr> {
        let index = usize::try_from(index).ok().filter(|&i| i < self.count)?;
        Some(read_shdr(self.bytes, self.shoff + index * SHDR_LEN, self.endian))
    }

    /// A section's bytes, if they lie inside the file (`SHT_NOBITS` included, as kmod reads them).
    pub fn contents(&self, shdr: &Elf64_Shdr) -> Option<&'a [u8]> {
        self.bytes.get(file_range(shdr.sh_offset, shdr.sh_size, self.bytes.len())?)
    }

    /// The first section named `name` whose bytes lie inside the file, with its index, as kmod's
    /// `kmod_elf_get_section()` finds it (section 0 is never a match).
    pub fn find(&self, name: &[u8]) -> Option<(usize, Elf64_Shdr, &'a [u8])> {
        (1..self.count).find_map(|index| {
            let shdr = self.section_header(index as u64)?;
            let bytes = self.contents(&shdr)?;
            let found = c_string(self.secstrings, usize::try_from(shdr.sh_name).ok()?)?;
            (found == name).then_some((index, shdr, bytes))
        })
    }
}

/// The ELF header at the start of `bytes` (at least 64 bytes), in host order.
fn read_ehdr(b: &[u8], e: Endian) -> Elf64_Ehdr {
    Elf64_Ehdr {
        e_ident: array::<16>(b, 0),
        e_type: e.u16(b, 16),
        e_machine: e.u16(b, 18),
        e_version: e.u32(b, 20),
        e_entry: e.u64(b, 24),
        e_phoff: e.u64(b, 32),
        e_shoff: e.u64(b, 40),
        e_flags: e.u32(b, 48),
        e_ehsize: e.u16(b, 52),
        e_phentsize: e.u16(b, 54),
        e_phnum: e.u16(b, 56),
        e_shentsize: e.u16(b, 58),
        e_shnum: e.u16(b, 60),
        e_shstrndx: e.u16(b, 62),
    }
}

/// The section header at `at` of `bytes` (64 bytes proven inside), in host order.
fn read_shdr(b: &[u8], at: usize, e: Endian) -> Elf64_Shdr {
    Elf64_Shdr {
        sh_name: e.u32(b, at),
        sh_type: e.u32(b, at + 4),
        sh_flags: e.u64(b, at + 8),
        sh_addr: e.u64(b, at + 16),
        sh_offset: e.u64(b, at + 24),
        sh_size: e.u64(b, at + 32),
        sh_link: e.u32(b, at + 40),
        sh_info: e.u32(b, at + 44),
        sh_addralign: e.u64(b, at + 48),
        sh_entsize: e.u64(b, at + 56),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_follow_the_byte_order() {
        let bytes = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(Endian::Little.u32(&bytes, 0), 0x0403_0201);
        assert_eq!(Endian::Big.u32(&bytes, 0), 0x0102_0304);
        assert_eq!(Endian::Big.u64(&bytes, 0), 0x0102_0304_0506_0708);
        assert_eq!(Endian::Little.u16(&bytes, 6), 0x0807);
        assert_eq!(Endian::Big.u32(&bytes, 6), 0, "a short read is zero, never a panic");
    }

    #[test]
    fn non_elf_and_32_bit_files_are_refused() {
        assert_eq!(ModuleView::parse(b"").err(), Some(InspectFault::NotElf));
        let mut elf = [0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[EI_CLASS] = 1;
        assert_eq!(ModuleView::parse(&elf).err(), Some(InspectFault::NotElf64 { class: 1 }));
        elf[EI_CLASS] = 2;
        elf[EI_DATA] = 3;
        assert_eq!(ModuleView::parse(&elf).err(), Some(InspectFault::BadByteOrder { data: 3 }));
        elf[EI_DATA] = 2;
        assert_eq!(
            ModuleView::parse(&elf).err(),
            Some(InspectFault::BadShentsize { shentsize: 0 })
        );
        elf[59] = 64; // e_shentsize, big-endian
        assert_eq!(ModuleView::parse(&elf).err(), Some(InspectFault::BadSectionNames));
        // A section table whose end overflows is outside the file, not wrapped around.
        elf[40..48].copy_from_slice(&u64::MAX.to_be_bytes()); // e_shoff
        elf[61] = 2; // e_shnum
        assert_eq!(ModuleView::parse(&elf).err(), Some(InspectFault::SectionTableOutside));
    }
}
