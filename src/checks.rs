//! The kernel's ELF checks on a module image (spec §4, kernel v6.14 order), over the image's bytes:
//! what `klpelf_setup_load_info()` runs before it trusts anything in the image. The result,
//! [`Checked`], records where things are as offsets into the image; `ffi` turns them into the
//! pointers of `struct load_info`.
//!
//! [`check`] calls one function per group of rows, in the kernel's order, and each function tests
//! its rows in order, so a file breaking several rules gets the kernel's verdict. Every rejection
//! names its check:
//! - `row N`: row N of the spec's check table (rows 1–17 and 19–26). Row 4, the architecture check,
//!   also covers what the kernel leaves to `elf_check_arch()`: ELF class 64 and the host's byte order.
//!   Row 18 (the size of `.gnu.linkonce.this_module` against the running kernel's
//!   `sizeof(struct module)`) cannot be checked: that size belongs to a kernel klpelf does not know.
//! - `gap N`: a read the kernel makes without a bounds check, which klpelf turns into a rejection.
//!   Gaps 1–5 are the spec's list, in its order; 6 and 7 are two more of the same kind:
//!   1. the section-name table's bytes when it is `SHT_NOBITS`/`SHT_NULL` (row 9 skips those types);
//!   2. section 0 when `e_shnum` is 0 (row 7 then proves nothing about it);
//!   3. the names of `SHT_NULL` sections at index >= 1 (row 13 skips them, the name lookups don't);
//!   4. the symbol string table's bytes when it is `SHT_NOBITS`/`SHT_NULL`;
//!   5. symbol `st_shndx` values and relocation symbol indices (read later by the loader's
//!      `simplify_symbols()` / `apply_relocations()` and by livepatch);
//!   6. the bytes of the other sections `load_info` indexes (`.modinfo`, `__versions`,
//!      `__version_ext_crcs`, `__version_ext_names`, `.data..percpu`) when `SHT_NOBITS`/`SHT_NULL`;
//!   7. `SHT_NULL` sections with `SHF_ALLOC`, whose bytes the loader copies into the module.
//! - `alignment`: `e_shoff` and the symbol table's `sh_offset` must be multiples of 8, since C reads
//!   them as arrays of `Elf64_Shdr` / `Elf64_Sym`.
//!
//! Extended section numbering (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`) is rejected as the
//! kernel rejects it (rows 8 and 10) unless the caller allows it; then the count is section 0's
//! `sh_size` and the name table index its `sh_link`, read only once section 0 is proven in the file.
//!
//! Nothing here allocates; the tables are typed views into the image (see [`slice_at`]).

use core::fmt::{self, Write as _};
use core::mem::{align_of, size_of};
use core::ops::Range;
use core::slice;

use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFMAG, ET_REL};
use goblin::elf::section_header::{
    SHF_ALLOC, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_NOBITS, SHT_NULL,
    SHT_REL, SHT_RELA, SHT_SYMTAB, SHT_SYMTAB_SHNDX,
};

use crate::error::Error;
use crate::layout::{
    Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, LoadInfoIndex, SHF_RELA_LIVEPATCH, SHN_LIVEPATCH,
};
use crate::modinfo;

/// Size of an `Elf64_Rela` / `Elf64_Rel` record, and where `r_info` sits in both.
const RELA_SIZE: usize = 24;
const REL_SIZE: usize = 16;
const R_INFO_AT: usize = 8;

/// The host's `e_machine`, the one the kernel's `elf_check_arch()` accepts.
#[cfg(target_arch = "x86_64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_X86_64;
#[cfg(target_arch = "aarch64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_AARCH64;
#[cfg(target_arch = "riscv64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_RISCV;
#[cfg(target_arch = "powerpc64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_PPC64;
#[cfg(target_arch = "s390x")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_S390;
#[cfg(target_arch = "loongarch64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_LOONGARCH;
#[cfg(target_arch = "mips64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_MIPS;
#[cfg(target_arch = "sparc64")]
const HOST_MACHINE: u16 = goblin::elf::header::EM_SPARCV9;
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "powerpc64",
    target_arch = "s390x",
    target_arch = "loongarch64",
    target_arch = "mips64",
    target_arch = "sparc64"
)))]
compile_error!("klpelf does not know this architecture's ELF machine number");

/// The host's ELF data encoding.
#[cfg(target_endian = "little")]
const HOST_DATA: u8 = goblin::elf::header::ELFDATA2LSB;
#[cfg(target_endian = "big")]
const HOST_DATA: u8 = goblin::elf::header::ELFDATA2MSB;

// ---------------------------------------------------------------------------------------------
// Typed views into the image
// ---------------------------------------------------------------------------------------------

/// Records that may be read in place from an image's bytes.
///
/// # Safety
/// Implementors are `#[repr(C)]`, have no padding, and every bit pattern is a valid value.
pub unsafe trait Pod: Copy {}
// SAFETY: goblin's Elf64 header is #[repr(C)] with only integer fields and no padding (64 bytes,
// checked in layout.rs).
unsafe impl Pod for Elf64_Ehdr {}
// SAFETY: as above, a #[repr(C)] record of integers without padding (64 bytes).
unsafe impl Pod for Elf64_Shdr {}
// SAFETY: as above, a #[repr(C)] record of integers without padding (24 bytes).
unsafe impl Pod for Elf64_Sym {}

/// Why a typed view could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewError {
    /// The records would run past the end of the bytes.
    OutOfBounds,
    /// The records' address is not aligned for their type.
    Misaligned,
}

/// `count` records of `T` at `offset` in `bytes`, borrowed in place: bounds- and alignment-checked.
pub fn slice_at<T: Pod>(bytes: &[u8], offset: usize, count: usize) -> Result<&[T], ViewError> {
    let len = count.checked_mul(size_of::<T>()).ok_or(ViewError::OutOfBounds)?;
    let end = offset.checked_add(len).ok_or(ViewError::OutOfBounds)?;
    let bytes = bytes.get(offset..end).ok_or(ViewError::OutOfBounds)?;
    if bytes.as_ptr() as usize % align_of::<T>() != 0 {
        return Err(ViewError::Misaligned);
    }
    // SAFETY: `bytes` holds exactly `count * size_of::<T>()` bytes, aligned for `T` and borrowed for
    // the returned lifetime; `T: Pod` makes any bytes a valid `T`, and the shared borrow keeps them
    // from changing under the view.
    Ok(unsafe { slice::from_raw_parts(bytes.as_ptr().cast::<T>(), count) })
}

/// One record of `T` at `offset` in `bytes` (see [`slice_at`]).
fn one_at<T: Pod>(bytes: &[u8], offset: usize) -> Result<&T, ViewError> {
    slice_at(bytes, offset, 1)?.first().ok_or(ViewError::OutOfBounds)
}

/// The byte range `[offset, offset + size)` if it lies inside `len` bytes.
fn file_range(offset: u64, size: u64, len: usize) -> Option<Range<usize>> {
    let end = offset.checked_add(size)?;
    if end > len as u64 {
        return None;
    }
    Some(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)
}

/// The bytes of a NUL-terminated string starting at `offset` of `table`, without the NUL, if the
/// NUL is inside the table.
pub fn c_string(table: &[u8], offset: usize) -> Option<&[u8]> {
    let rest = table.get(offset..)?;
    core::ffi::CStr::from_bytes_until_nul(rest).ok().map(core::ffi::CStr::to_bytes)
}

// ---------------------------------------------------------------------------------------------
// What a rejection says
// ---------------------------------------------------------------------------------------------

/// The check that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A row of the spec's check table.
    Row(u8),
    /// A kernel gap klpelf closes (numbered as in this module's documentation).
    Gap(u8),
    /// The 8-byte alignment of `e_shoff` or of the symbol table.
    Alignment,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Check::Row(n) => write!(f, "row {n}"),
            Check::Gap(n) => write!(f, "gap {n}"),
            Check::Alignment => f.write_str("alignment"),
        }
    }
}

/// Room for a section name in a message; longer names are cut and marked with `...`.
const NAME_CAPACITY: usize = 40;

/// A section as a message names it: an optional role, its index and, when readable, its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SectionLabel {
    /// What the section is to the check ("section-name table", ...), or "".
    pub role: &'static str,
    /// The section's index (`u32::MAX` stands for any larger, out-of-range index).
    pub index: u32,
    name: [u8; NAME_CAPACITY],
    name_len: u8,
    /// The name could be read (rows 10–13 not yet passed, it may not be).
    readable: bool,
    /// The name is longer than `NAME_CAPACITY` and was cut.
    cut: bool,
}

impl SectionLabel {
    fn new(role: &'static str, index: u64, name: Option<&[u8]>) -> Self {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let mut label = SectionLabel {
            role,
            index,
            name: [0; NAME_CAPACITY],
            name_len: 0,
            readable: false,
            cut: false,
        };
        if let Some(name) = name {
            let kept = name.len().min(NAME_CAPACITY);
            label.name[..kept].copy_from_slice(&name[..kept]);
            label.name_len = kept as u8;
            label.readable = true;
            label.cut = kept < name.len();
        }
        label
    }

    /// The section's name as far as it was kept, if it was readable.
    pub fn name(&self) -> Option<&[u8]> {
        self.readable.then(|| &self.name[..usize::from(self.name_len)])
    }
}

impl fmt::Display for SectionLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.role.is_empty() {
            write!(f, "{} ", self.role)?;
        }
        write!(f, "section {}", self.index)?;
        if let Some(name) = self.name().filter(|name| !name.is_empty()) {
            f.write_str(" (")?;
            for &b in name {
                if b.is_ascii_graphic() || b == b' ' {
                    f.write_char(char::from(b))?;
                } else {
                    write!(f, "\\x{b:02x}")?;
                }
            }
            if self.cut {
                f.write_str("...")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// What is wrong, with the numbers involved; each variant's message (its `Display` arm) says what
/// it means. The text follows the section label when there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    TooShort { len: usize },
    BadMagic { magic: [u8; 4] },
    NotRelocatable { e_type: u16 },
    WrongClass { class: u8 },
    WrongByteOrder { data: u8 },
    WrongMachine { machine: u16 },
    ShentSize { size: u16 },
    ShoffPastEnd { shoff: u64, len: usize },
    TableTooLarge { count: u64, shoff: u64, len: usize },
    TooManySections { count: u64 },
    Section0OutsideFile { shoff: u64, len: usize },
    Misaligned { what: &'static str, offset: u64 },
    Section0NotNull { sh_type: u32, sh_size: u64, sh_addr: u64 },
    ExtendedNumbering { count: u64 },
    PastEnd { sh_type: u32, offset: u64, size: u64, len: usize },
    ShstrndxUndef,
    ShstrndxOutOfRange { index: u64, count: u64, xindex: bool },
    Empty,
    NotTerminated { last: u8 },
    NoLeadingNul { first: u8 },
    NameOutOfRange { sh_type: u32, sh_name: u32, size: u64 },
    Duplicate { name: &'static str, count: u64, first: u32, second: u32 },
    NotExactlyOne { name: &'static str, count: u64 },
    IsNobits,
    NotAlloc { flags: u64 },
    NoSymbols,
    SymtabCount { count: u64 },
    BadLink { link: u32, count: u64 },
    VersionsUnpaired { present: &'static str, missing: &'static str },
    MoreCrcsThanNames { crcs: u64, names: u64 },
    SymbolName { symbol: usize, st_name: u32, size: u64 },
    SymbolSection { symbol: usize, shndx: u64, count: u64 },
    SymbolReserved { symbol: usize, shndx: u16 },
    SymbolXindex { symbol: usize, allowed: bool },
    RelocationSymbol { relocation: usize, symbol: u64, count: usize },
}

/// A type name for messages.
fn type_name(sh_type: u32) -> &'static str {
    goblin::elf::section_header::sht_to_str(sh_type)
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const XNUM_HINT: &str = "extended section numbering, which the kernel rejects; pass \
                                 KLPELF_SETUP_ALLOW_XNUM to accept it";
        match *self {
            Fault::TooShort { len } => {
                write!(f, "the file has {len} bytes, fewer than an ELF header (64)")
            }
            Fault::BadMagic { magic } => {
                write!(
                    f,
                    "the file does not start with the ELF magic \\x7fELF (found {magic:02x?})"
                )
            }
            Fault::NotRelocatable { e_type } => {
                write!(f, "e_type is {e_type}, not ET_REL (1): a module is a relocatable object")
            }
            Fault::WrongClass { class } => write!(f, "EI_CLASS is {class}, not ELFCLASS64 (2)"),
            Fault::WrongByteOrder { data } => {
                write!(f, "EI_DATA is {data}, not the host's byte order ({HOST_DATA})")
            }
            Fault::WrongMachine { machine } => {
                write!(f, "e_machine is {machine}, not the host's ({HOST_MACHINE})")
            }
            Fault::ShentSize { size } => {
                write!(f, "e_shentsize is {size}, not sizeof(Elf64_Shdr) (64)")
            }
            Fault::ShoffPastEnd { shoff, len } => {
                write!(f, "e_shoff {shoff} is not below the file's length {len}")
            }
            Fault::TableTooLarge { count, shoff, len } => write!(
                f,
                "the section header table ({count} x 64 bytes at offset {shoff}) extends past the \
                 end of the file ({len} bytes)"
            ),
            Fault::TooManySections { count } => {
                write!(f, "{count} sections are more than a 32-bit section index can address")
            }
            Fault::Section0OutsideFile { shoff, len } => write!(
                f,
                "e_shnum is 0 but section 0 (64 bytes at offset {shoff}) does not lie inside the \
                 file ({len} bytes); the kernel would read it anyway"
            ),
            Fault::Misaligned { what, offset } => {
                write!(f, "{what} {offset} is not a multiple of 8")
            }
            Fault::Section0NotNull { sh_type, sh_size, sh_addr } => write!(
                f,
                "must be SHT_NULL with sh_size 0 and sh_addr 0 (it has type {} ({sh_type}), \
                 sh_size {sh_size}, sh_addr {sh_addr:#x})",
                type_name(sh_type)
            ),
            Fault::ExtendedNumbering { count } => {
                write!(f, "has sh_size {count} with e_shnum 0: {XNUM_HINT}")
            }
            Fault::PastEnd { sh_type, offset, size, len } => write!(
                f,
                "of type {} extends past the end of the file (offset {offset} + size {size} > \
                 {len})",
                type_name(sh_type)
            ),
            Fault::ShstrndxUndef => f.write_str("e_shstrndx is 0 (SHN_UNDEF)"),
            Fault::ShstrndxOutOfRange { index, count, xindex } => {
                write!(
                    f,
                    "the section-name table index {index} is not below the section count {count}"
                )?;
                if xindex {
                    write!(f, " (e_shstrndx is SHN_XINDEX: {XNUM_HINT})")?;
                }
                Ok(())
            }
            Fault::Empty => f.write_str("is empty"),
            Fault::NotTerminated { last } => {
                write!(f, "does not end with a NUL byte (its last byte is {last:#04x})")
            }
            Fault::NoLeadingNul { first } => {
                write!(f, "does not start with a NUL byte (its first byte is {first:#04x})")
            }
            Fault::NameOutOfRange { sh_type, sh_name, size } => {
                write!(
                    f,
                    "of type {} has sh_name {sh_name}, not below the section-name table's size \
                     {size}",
                    type_name(sh_type)
                )?;
                if sh_type == SHT_NULL {
                    f.write_str(
                        " (the kernel skips SHT_NULL sections here but compares their names later)",
                    )?;
                }
                Ok(())
            }
            Fault::Duplicate { name, count, first, second } => {
                let more = if count > 2 { ", ..." } else { "" };
                write!(
                    f,
                    "the file has {count} sections named {name} (sections {first}, {second}{more}), \
                     at most one is allowed"
                )
            }
            Fault::NotExactlyOne { name, count } => {
                write!(f, "the file has {count} sections named {name}, not exactly one")
            }
            Fault::IsNobits => f.write_str("is SHT_NOBITS: it must have contents in the file"),
            Fault::NotAlloc { flags } => {
                write!(f, "lacks SHF_ALLOC (sh_flags {flags:#x}): it must be loaded")
            }
            Fault::NoSymbols => {
                f.write_str("module has no symbols (stripped?): no SHT_SYMTAB section")
            }
            Fault::SymtabCount { count } => {
                write!(f, "the file has {count} SHT_SYMTAB sections, not exactly one")
            }
            Fault::BadLink { link, count } => write!(
                f,
                "has sh_link {link}: its string table must be a section in 1..{count}",
                count = count.saturating_sub(1)
            ),
            Fault::VersionsUnpaired { present, missing } => write!(
                f,
                "extended symbol versions are present in {present} but {missing} is missing"
            ),
            Fault::MoreCrcsThanNames { crcs, names } => write!(
                f,
                "holds {crcs} CRCs but __version_ext_names holds only {names} NUL-terminated names"
            ),
            Fault::SymbolName { symbol, st_name, size } => write!(
                f,
                "symbol {symbol} has st_name {st_name}, not below the string table's size {size}"
            ),
            Fault::SymbolSection { symbol, shndx, count } => write!(
                f,
                "symbol {symbol} has section index {shndx}, but the file has {count} sections"
            ),
            Fault::SymbolReserved { symbol, shndx } => write!(
                f,
                "symbol {symbol} has reserved st_shndx {shndx:#x}, which the loader would use as \
                 a section index"
            ),
            Fault::SymbolXindex { symbol, allowed } => {
                write!(f, "symbol {symbol} has st_shndx SHN_XINDEX")?;
                if allowed {
                    f.write_str(" but no SHT_SYMTAB_SHNDX section linked to the symbol table gives its index")
                } else {
                    write!(f, ": {XNUM_HINT}")
                }
            }
            Fault::RelocationSymbol { relocation, symbol, count } => write!(
                f,
                "relocation {relocation} refers to symbol {symbol}, but the symbol table has \
                 {count} symbols"
            ),
        }
    }
}

/// An image the checks reject: which check, which section, what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// The check that failed.
    pub check: Check,
    /// The section involved, if one is.
    pub section: Option<SectionLabel>,
    /// What is wrong.
    pub fault: Fault,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.check)?;
        if let Some(section) = &self.section {
            write!(f, "{section} ")?;
        }
        write!(f, "{}", self.fault)
    }
}

/// A rejection that involves no particular section.
fn reject(check: Check, fault: Fault) -> Error {
    Error::Rejected(Rejection { check, section: None, fault })
}

// ---------------------------------------------------------------------------------------------
// The image's parts, as the checks prove them
// ---------------------------------------------------------------------------------------------

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

/// The header and section header table, proven inside the image.
pub struct Sections<'a> {
    image: &'a [u8],
    hdr: &'a Elf64_Ehdr,
    /// Section 0, proven inside the file even when `table` is empty.
    sec0: &'a Elf64_Shdr,
    /// All sections: `e_shnum` entries, or section 0's `sh_size` under allowed extended numbering.
    table: &'a [Elf64_Shdr],
    allow_xnum: bool,
}

impl<'a> Sections<'a> {
    /// Number of sections.
    pub fn count(&self) -> usize {
        self.table.len()
    }

    /// The section-name table's index, decoded as the ELF specification says when extended
    /// numbering is allowed, as the kernel does otherwise. Not yet proven in range.
    fn shstrndx(&self) -> u64 {
        match u32::from(self.hdr.e_shstrndx) {
            SHN_XINDEX if self.allow_xnum => u64::from(self.sec0.sh_link),
            index => u64::from(index),
        }
    }

    fn get(&self, index: u64) -> Option<&'a Elf64_Shdr> {
        self.table.get(usize::try_from(index).ok()?)
    }

    /// Where a section's bytes lie in the image, whatever its type, if they lie inside it.
    fn range(&self, shdr: &Elf64_Shdr) -> Option<Range<usize>> {
        file_range(shdr.sh_offset, shdr.sh_size, self.image.len())
    }

    fn contents(&self, shdr: &Elf64_Shdr) -> Option<&'a [u8]> {
        self.image.get(self.range(shdr)?)
    }

    /// A section's name, if the name table and the name can be read (before rows 10–13 prove
    /// them, this is for messages only).
    fn name_of(&self, index: u64) -> Option<&'a [u8]> {
        let names = self.contents(self.get(self.shstrndx())?)?;
        c_string(names, usize::try_from(self.get(index)?.sh_name).ok()?)
    }

    /// A rejection that involves section `index`, named when its name is readable.
    fn reject(&self, check: Check, role: &'static str, index: u64, fault: Fault) -> Error {
        let section = SectionLabel::new(role, index, self.name_of(index));
        Error::Rejected(Rejection { check, section: Some(section), fault })
    }

    /// Proves that the bytes of section `index` (an index already proven below the count) lie in
    /// the file whatever its type (the gaps), or rejects it with `check`.
    fn in_file(&self, check: Check, role: &'static str, index: u64) -> Result<Range<usize>, Error> {
        let shdr = self.get(index).copied().unwrap_or_default();
        self.range(&shdr).ok_or_else(|| {
            let fault = Fault::PastEnd {
                sh_type: shdr.sh_type,
                offset: shdr.sh_offset,
                size: shdr.sh_size,
                len: self.image.len(),
            };
            self.reject(check, role, index, fault)
        })
    }
}

/// The section-name table, proven by rows 10–13.
struct Names<'a> {
    offset: usize,
    bytes: &'a [u8],
}

// ---------------------------------------------------------------------------------------------
// The check table, in the kernel's order
// ---------------------------------------------------------------------------------------------

/// Fails with `-EINVAL` unless the image starts at a multiple of 8, so that its header, section
/// table and symbol table can be typed views (and typed arrays for C).
pub fn require_aligned(image: &[u8]) -> Result<(), Error> {
    let address = image.as_ptr() as usize;
    if address % 8 == 0 {
        Ok(())
    } else {
        Err(Error::MisalignedImage { address })
    }
}

/// Runs every check on `image` (the ELF part: the signature already stripped) in the kernel's
/// order. `allow_xnum` accepts extended section numbering.
pub fn check(image: &[u8], allow_xnum: bool) -> Result<Checked, Error> {
    require_aligned(image)?;
    let hdr = check_header(image)?;
    let sections = check_section_table(image, hdr, allow_xnum)?;
    let names = check_section_names(&sections)?;
    let census = Census::take(&sections, &names);
    let (info, name) = check_modinfo(&sections, &census)?;
    let this_module = check_this_module(&sections, &census)?;
    let (sym, str) = check_symtab(&sections, &census)?;
    let (vers_ext_crc, vers_ext_name) = check_versions(&sections, &census)?;
    let vers = check_indexed(&sections, census.versions)?;
    let pcpu = check_indexed(&sections, census.pcpu)?;
    let (strtab, symbols) = check_strtab(&sections, sym, str)?;
    check_symbol_uses(&sections, sym, symbols)?;
    Ok(Checked {
        len: image.len(),
        sechdrs: usize::try_from(hdr.e_shoff).unwrap_or_default(),
        secstrings: names.offset,
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

/// Rows 1–4: the ELF header (`elf_validity_ehdr()`), plus the class and byte order row 4's
/// architecture check leaves to `elf_check_arch()`.
fn check_header(image: &[u8]) -> Result<&Elf64_Ehdr, Error> {
    if image.len() < size_of::<Elf64_Ehdr>() {
        return Err(reject(Check::Row(1), Fault::TooShort { len: image.len() }));
    }
    let hdr: &Elf64_Ehdr = one_at(image, 0)
        .map_err(|_| Error::MisalignedImage { address: image.as_ptr() as usize })?;
    let magic = [hdr.e_ident[0], hdr.e_ident[1], hdr.e_ident[2], hdr.e_ident[3]];
    if &magic != ELFMAG {
        return Err(reject(Check::Row(2), Fault::BadMagic { magic }));
    }
    if hdr.e_type != ET_REL {
        return Err(reject(Check::Row(3), Fault::NotRelocatable { e_type: hdr.e_type }));
    }
    if hdr.e_ident[EI_CLASS] != ELFCLASS64 {
        return Err(reject(Check::Row(4), Fault::WrongClass { class: hdr.e_ident[EI_CLASS] }));
    }
    if hdr.e_ident[EI_DATA] != HOST_DATA {
        return Err(reject(Check::Row(4), Fault::WrongByteOrder { data: hdr.e_ident[EI_DATA] }));
    }
    if hdr.e_machine != HOST_MACHINE {
        return Err(reject(Check::Row(4), Fault::WrongMachine { machine: hdr.e_machine }));
    }
    Ok(hdr)
}

/// Rows 6–9 (`elf_validity_cache_sechdrs()`): the section header table lies in the file, section 0
/// is null, every section with contents lies in the file. Also gap 2 (section 0 read with
/// `e_shnum == 0`), gap 7 (`SHT_NULL` sections with `SHF_ALLOC`) and the alignment of `e_shoff`.
fn check_section_table<'a>(
    image: &'a [u8],
    hdr: &'a Elf64_Ehdr,
    allow_xnum: bool,
) -> Result<Sections<'a>, Error> {
    let len = image.len();
    if usize::from(hdr.e_shentsize) != size_of::<Elf64_Shdr>() {
        return Err(reject(Check::Row(6), Fault::ShentSize { size: hdr.e_shentsize }));
    }
    // Row 7, first half. Then room left after e_shoff (fits: e_shoff < len).
    let shoff = hdr.e_shoff;
    if shoff >= len as u64 {
        return Err(reject(Check::Row(7), Fault::ShoffPastEnd { shoff, len }));
    }
    let room = len as u64 - shoff;
    let too_large = |count| reject(Check::Row(7), Fault::TableTooLarge { count, shoff, len });
    let count = match hdr.e_shnum {
        0 => {
            if room < size_of::<Elf64_Shdr>() as u64 {
                return Err(reject(Check::Gap(2), Fault::Section0OutsideFile { shoff, len }));
            }
            if allow_xnum {
                section0(image, shoff)?.sh_size
            } else {
                0
            }
        }
        n => u64::from(n),
    };
    // Row 7, second half.
    if count.checked_mul(size_of::<Elf64_Shdr>() as u64).is_none_or(|bytes| bytes > room) {
        return Err(too_large(count));
    }
    if count > u64::from(u32::MAX) {
        return Err(reject(Check::Row(7), Fault::TooManySections { count }));
    }
    // In bounds: the table holds section 0 (count >= 1), or gap 2 proved it in the file.
    let sec0 = section0(image, shoff)?;
    let table: &[Elf64_Shdr] =
        slice_at(image, shoff as usize, count as usize).map_err(|_| too_large(count))?;
    let sections = Sections { image, hdr, sec0, table, allow_xnum };
    check_section0(&sections)?;
    check_section_bounds(&sections)?;
    Ok(sections)
}

/// Section 0, once `e_shoff` is proven 8-aligned (and, by the caller, section 0 inside the file).
fn section0(image: &[u8], shoff: u64) -> Result<&Elf64_Shdr, Error> {
    if shoff % 8 != 0 {
        return Err(reject(Check::Alignment, Fault::Misaligned { what: "e_shoff", offset: shoff }));
    }
    let len = image.len();
    usize::try_from(shoff)
        .ok()
        .and_then(|at| one_at(image, at).ok())
        .ok_or(reject(Check::Row(7), Fault::TableTooLarge { count: 1, shoff, len }))
}

/// Row 8: section 0 is an empty `SHT_NULL` section; it may hold the section count in `sh_size` only
/// under allowed extended numbering.
fn check_section0(sections: &Sections<'_>) -> Result<(), Error> {
    let sec0 = sections.sec0;
    let xnum = sections.allow_xnum && sections.hdr.e_shnum == 0;
    if sec0.sh_type != SHT_NULL || (sec0.sh_size != 0 && !xnum) || sec0.sh_addr != 0 {
        let fault = if sec0.sh_type == SHT_NULL && sec0.sh_addr == 0 && sections.hdr.e_shnum == 0 {
            Fault::ExtendedNumbering { count: sec0.sh_size }
        } else {
            Fault::Section0NotNull {
                sh_type: sec0.sh_type,
                sh_size: sec0.sh_size,
                sh_addr: sec0.sh_addr,
            }
        };
        return Err(sections.reject(Check::Row(8), "", 0, fault));
    }
    Ok(())
}

/// Row 9: every section with contents lies in the file; gap 7: so does every `SHT_NULL` section
/// the loader would copy (`SHF_ALLOC`).
fn check_section_bounds(sections: &Sections<'_>) -> Result<(), Error> {
    for (index, shdr) in sections.table.iter().enumerate().skip(1) {
        let check = match shdr.sh_type {
            SHT_NOBITS => continue,
            SHT_NULL if shdr.sh_flags & u64::from(SHF_ALLOC) == 0 => continue,
            SHT_NULL => Check::Gap(7),
            _ => Check::Row(9),
        };
        if sections.range(shdr).is_none() {
            let fault = Fault::PastEnd {
                sh_type: shdr.sh_type,
                offset: shdr.sh_offset,
                size: shdr.sh_size,
                len: sections.image.len(),
            };
            return Err(sections.reject(check, "", index as u64, fault));
        }
    }
    Ok(())
}

/// Rows 10–13 (`elf_validity_cache_secstrings()`): the section-name table exists, is NUL-terminated
/// and holds every section's name. Also gap 1 (its bytes when it has a type without contents) and
/// gap 3 (names of `SHT_NULL` sections).
fn check_section_names<'a>(sections: &Sections<'a>) -> Result<Names<'a>, Error> {
    let count = sections.count() as u64;
    let index = sections.shstrndx();
    if index == u64::from(SHN_UNDEF) {
        return Err(reject(Check::Row(10), Fault::ShstrndxUndef));
    }
    let xindex = u32::from(sections.hdr.e_shstrndx) == SHN_XINDEX && !sections.allow_xnum;
    let shdr = sections
        .get(index)
        .ok_or(reject(Check::Row(10), Fault::ShstrndxOutOfRange { index, count, xindex }))?;
    const ROLE: &str = "section-name table";
    if shdr.sh_size == 0 {
        return Err(sections.reject(Check::Row(11), ROLE, index, Fault::Empty));
    }
    let range = sections.in_file(Check::Gap(1), ROLE, index)?;
    let bytes = sections.image.get(range.clone()).unwrap_or_default();
    let last = bytes.last().copied().unwrap_or_default();
    if last != 0 {
        return Err(sections.reject(Check::Row(12), ROLE, index, Fault::NotTerminated { last }));
    }
    for (i, shdr) in sections.table.iter().enumerate() {
        if u64::from(shdr.sh_name) < bytes.len() as u64 || (shdr.sh_type == SHT_NULL && i == 0) {
            continue;
        }
        let check = if shdr.sh_type == SHT_NULL { Check::Gap(3) } else { Check::Row(13) };
        let fault = Fault::NameOutOfRange {
            sh_type: shdr.sh_type,
            sh_name: shdr.sh_name,
            size: bytes.len() as u64,
        };
        return Err(sections.reject(check, "", i as u64, fault));
    }
    Ok(Names { offset: range.start, bytes })
}

/// How often a name occurs, and where (the kernel's `find_any_unique_sec()` keeps the last match;
/// with one match that is the only one).
#[derive(Debug, Default, Clone, Copy)]
struct Occurrences {
    count: u64,
    first: u32,
    second: u32,
    last: u32,
}

impl Occurrences {
    fn add(&mut self, index: u32) {
        match self.count {
            0 => self.first = index,
            1 => self.second = index,
            _ => {}
        }
        self.count += 1;
        self.last = index;
    }
}

/// One pass over the sections recording everything the kernel's lookups find
/// (`find_any_unique_sec()` by name, `find_sec()` by name among `SHF_ALLOC` sections, the
/// `SHT_SYMTAB` count), so that the rows below can apply them in the kernel's order.
#[derive(Debug, Default)]
struct Census {
    modinfo: Occurrences,
    this_module: Occurrences,
    symtabs: Occurrences,
    versions: u32,
    ext_crcs: u32,
    ext_names: u32,
    pcpu: u32,
}

/// The section names the census looks for, NUL included, so that a name is recognised by comparing
/// in place, without first finding where it ends. Each is at least 8 bytes long, so its first 8
/// bytes, read as one word, rule out nearly every other section at once.
const MODINFO: &[u8] = b".modinfo\0";
const THIS_MODULE: &[u8] = b".gnu.linkonce.this_module\0";
const VERSIONS: &[u8] = b"__versions\0";
const EXT_CRCS: &[u8] = b"__version_ext_crcs\0";
const EXT_NAMES: &[u8] = b"__version_ext_names\0";
const PCPU: &[u8] = b".data..percpu\0";

/// The first 8 bytes of a name, as one word.
const fn head(name: &[u8]) -> u64 {
    u64::from_ne_bytes([name[0], name[1], name[2], name[3], name[4], name[5], name[6], name[7]])
}

/// Which of the census's names starts `rest` (the name table from a section's `sh_name` on).
fn known_name(rest: &[u8]) -> Option<&'static [u8]> {
    let word = head(rest.get(..8)?);
    let candidate = match word {
        w if w == head(MODINFO) => MODINFO,
        w if w == head(THIS_MODULE) => THIS_MODULE,
        w if w == head(PCPU) => PCPU,
        w if w == head(VERSIONS) => {
            // `__versions` and the two `__version_ext_*` names share their first 8 bytes.
            return [VERSIONS, EXT_CRCS, EXT_NAMES].into_iter().find(|n| rest.starts_with(n));
        }
        _ => return None,
    };
    rest.starts_with(candidate).then_some(candidate)
}

impl Census {
    fn take(sections: &Sections<'_>, names: &Names<'_>) -> Self {
        let mut census = Census::default();
        for (i, shdr) in sections.table.iter().enumerate().skip(1) {
            let index = i as u32; // count <= u32::MAX (row 7)
            if shdr.sh_type == SHT_SYMTAB {
                census.symtabs.add(index);
            }
            let rest = names.bytes.get(shdr.sh_name as usize..).unwrap_or_default();
            let Some(name) = known_name(rest) else { continue };
            match name {
                MODINFO => census.modinfo.add(index),
                THIS_MODULE => census.this_module.add(index),
                _ => {}
            }
            if shdr.sh_flags & u64::from(SHF_ALLOC) == 0 {
                continue;
            }
            let first = match name {
                VERSIONS => &mut census.versions,
                EXT_CRCS => &mut census.ext_crcs,
                EXT_NAMES => &mut census.ext_names,
                PCPU => &mut census.pcpu,
                _ => continue,
            };
            if *first == 0 {
                *first = index;
            }
        }
        census
    }
}

/// Row 14 (`elf_validity_cache_index_info()`): at most one `.modinfo`; gap 6: its bytes lie in the
/// file whatever its type, since the kernel reads `name=` from it right away.
fn check_modinfo(sections: &Sections<'_>, census: &Census) -> Result<(u32, Option<usize>), Error> {
    let found = census.modinfo;
    if found.count > 1 {
        let fault = Fault::Duplicate {
            name: ".modinfo",
            count: found.count,
            first: found.first,
            second: found.second,
        };
        return Err(reject(Check::Row(14), fault));
    }
    if found.count == 0 {
        return Ok((0, None));
    }
    let range = sections.in_file(Check::Gap(6), "", u64::from(found.last))?;
    let bytes = sections.image.get(range.clone()).unwrap_or_default();
    let name = modinfo::find(bytes, b"name").map(|value| range.start + value.start);
    Ok((found.last, name))
}

/// Rows 15–17 (`elf_validity_cache_index_mod()`): exactly one `.gnu.linkonce.this_module`, with
/// contents, loaded. Row 18 (its size equals the running kernel's `sizeof(struct module)`) cannot be
/// checked: klpelf does not know the target kernel's configuration.
fn check_this_module(sections: &Sections<'_>, census: &Census) -> Result<u32, Error> {
    let found = census.this_module;
    if found.count != 1 {
        let fault = Fault::NotExactlyOne { name: ".gnu.linkonce.this_module", count: found.count };
        return Err(reject(Check::Row(15), fault));
    }
    let index = found.last;
    let shdr = sections.get(u64::from(index)).copied().unwrap_or_default();
    if shdr.sh_type == SHT_NOBITS {
        return Err(sections.reject(Check::Row(16), "", u64::from(index), Fault::IsNobits));
    }
    if shdr.sh_flags & u64::from(SHF_ALLOC) == 0 {
        let fault = Fault::NotAlloc { flags: shdr.sh_flags };
        return Err(sections.reject(Check::Row(17), "", u64::from(index), fault));
    }
    Ok(index)
}

/// Rows 19–20 (`elf_validity_cache_index_sym()` / `_str()`): exactly one symbol table, linked to a
/// real section.
fn check_symtab(sections: &Sections<'_>, census: &Census) -> Result<(u32, u32), Error> {
    let found = census.symtabs;
    match found.count {
        1 => {}
        0 => return Err(reject(Check::Row(19), Fault::NoSymbols)),
        count => return Err(reject(Check::Row(19), Fault::SymtabCount { count })),
    }
    let sym = found.last;
    let link = sections.get(u64::from(sym)).map(|shdr| shdr.sh_link).unwrap_or_default();
    let count = sections.count() as u64;
    if link == SHN_UNDEF || u64::from(link) >= count {
        let fault = Fault::BadLink { link, count };
        return Err(sections.reject(Check::Row(20), "symbol table", u64::from(sym), fault));
    }
    Ok((sym, link))
}

/// Rows 21–22 (`elf_validity_cache_index_versions()`, v6.14): the extended symbol-version sections
/// come in pairs, with a name for every CRC. Gap 6: both lie in the file whatever their type.
fn check_versions(sections: &Sections<'_>, census: &Census) -> Result<(u32, u32), Error> {
    const CRCS: &str = "__version_ext_crcs";
    const NAMES: &str = "__version_ext_names";
    let (crcs, names) = (census.ext_crcs, census.ext_names);
    match (crcs, names) {
        (0, 0) => return Ok((0, 0)),
        (_, 0) => {
            return Err(reject(
                Check::Row(21),
                Fault::VersionsUnpaired { present: CRCS, missing: NAMES },
            ))
        }
        (0, _) => {
            return Err(reject(
                Check::Row(21),
                Fault::VersionsUnpaired { present: NAMES, missing: CRCS },
            ))
        }
        _ => {}
    }
    sections.in_file(Check::Gap(6), "", u64::from(crcs))?;
    let range = sections.in_file(Check::Gap(6), "", u64::from(names))?;
    let crc_count = sections.get(u64::from(crcs)).map_or(0, |shdr| shdr.sh_size / 4);
    // Every NUL ends one name (the kernel's strnlen() walk counts empty names too).
    let bytes = sections.image.get(range).unwrap_or_default();
    let name_count = bytes.iter().filter(|&&b| b == 0).count() as u64;
    if crc_count > name_count {
        let fault = Fault::MoreCrcsThanNames { crcs: crc_count, names: name_count };
        return Err(sections.reject(Check::Row(22), "", u64::from(crcs), fault));
    }
    Ok((crcs, names))
}

/// Gap 6 for an index the kernel finds with `find_sec()` (0: none): its bytes lie in the file.
fn check_indexed(sections: &Sections<'_>, index: u32) -> Result<u32, Error> {
    if index != 0 {
        sections.in_file(Check::Gap(6), "", u64::from(index))?;
    }
    Ok(index)
}

/// Rows 23–26 (`elf_validity_cache_strtab()`): the symbol string table is non-empty, starts and
/// ends with NUL, and holds every symbol's name. Also gap 4 (its bytes when it has a type without
/// contents) and the symbol table's alignment. Returns the string table's offset and the symbols.
fn check_strtab<'a>(
    sections: &Sections<'a>,
    sym: u32,
    str: u32,
) -> Result<(usize, &'a [Elf64_Sym]), Error> {
    const ROLE: &str = "symbol string table";
    let index = u64::from(str);
    let size = sections.get(index).map_or(0, |shdr| shdr.sh_size);
    if size == 0 {
        return Err(sections.reject(Check::Row(23), ROLE, index, Fault::Empty));
    }
    let range = sections.in_file(Check::Gap(4), ROLE, index)?;
    let bytes = sections.image.get(range.clone()).unwrap_or_default();
    let first = bytes.first().copied().unwrap_or_default();
    if first != 0 {
        return Err(sections.reject(Check::Row(24), ROLE, index, Fault::NoLeadingNul { first }));
    }
    let last = bytes.last().copied().unwrap_or_default();
    if last != 0 {
        return Err(sections.reject(Check::Row(25), ROLE, index, Fault::NotTerminated { last }));
    }
    let symbols = symbols_of(sections, u64::from(sym))?;
    if let Some((symbol, s)) =
        symbols.iter().enumerate().find(|(_, s)| u64::from(s.st_name) >= size)
    {
        let fault = Fault::SymbolName { symbol, st_name: s.st_name, size };
        return Err(sections.reject(Check::Row(26), "symbol table", u64::from(sym), fault));
    }
    Ok((range.start, symbols))
}

/// The symbols of symbol table section `index` (row 9 put it in the file), `sh_size / 24` of them
/// as the kernel counts, once its offset is proven 8-aligned.
fn symbols_of<'a>(sections: &Sections<'a>, index: u64) -> Result<&'a [Elf64_Sym], Error> {
    const ROLE: &str = "symbol table";
    let shdr = sections.get(index).copied().unwrap_or_default();
    let misaligned = || {
        let fault = Fault::Misaligned { what: "sh_offset", offset: shdr.sh_offset };
        sections.reject(Check::Alignment, ROLE, index, fault)
    };
    if shdr.sh_offset % 8 != 0 {
        return Err(misaligned());
    }
    let range = sections.in_file(Check::Row(9), ROLE, index)?;
    let count = range.len() / size_of::<Elf64_Sym>();
    slice_at(sections.image, range.start, count).map_err(|_| misaligned())
}

/// Gap 5: every section index a symbol gives, and every symbol index an applied relocation gives,
/// is in range. The kernel's `simplify_symbols()` uses `st_shndx` (except `SHN_UNDEF`, `SHN_ABS`,
/// `SHN_COMMON`, `SHN_LIVEPATCH`) to index the section table, and relocations index the symbol
/// table, without bounds checks.
fn check_symbol_uses(
    sections: &Sections<'_>,
    sym: u32,
    symbols: &[Elf64_Sym],
) -> Result<(), Error> {
    let count = sections.count() as u64;
    let xindex = extended_indices(sections, sym);
    for (symbol, s) in symbols.iter().enumerate().skip(1) {
        let shndx = u32::from(s.st_shndx);
        let real = match shndx {
            SHN_UNDEF | SHN_ABS | SHN_COMMON | SHN_LIVEPATCH => continue,
            SHN_XINDEX => match xindex.and_then(|table| extended_index(table, symbol)) {
                Some(real) if sections.allow_xnum && real != 0 => u64::from(real),
                _ => {
                    let fault = Fault::SymbolXindex { symbol, allowed: sections.allow_xnum };
                    return Err(sections.reject(
                        Check::Gap(5),
                        "symbol table",
                        u64::from(sym),
                        fault,
                    ));
                }
            },
            _ if shndx >= SHN_LORESERVE => {
                let fault = Fault::SymbolReserved { symbol, shndx: s.st_shndx };
                return Err(sections.reject(Check::Gap(5), "symbol table", u64::from(sym), fault));
            }
            _ => u64::from(shndx),
        };
        if real >= count {
            let fault = Fault::SymbolSection { symbol, shndx: real, count };
            return Err(sections.reject(Check::Gap(5), "symbol table", u64::from(sym), fault));
        }
    }
    check_relocations(sections, symbols.len())
}

/// The `SHT_SYMTAB_SHNDX` section of symbol table `sym`, if there is one in the file.
fn extended_indices<'a>(sections: &Sections<'a>, sym: u32) -> Option<&'a [u8]> {
    let shdr = sections
        .table
        .iter()
        .find(|shdr| shdr.sh_type == SHT_SYMTAB_SHNDX && shdr.sh_link == sym)?;
    sections.contents(shdr)
}

/// Entry `symbol` of an `SHT_SYMTAB_SHNDX` section (host-order 32-bit words).
fn extended_index(table: &[u8], symbol: usize) -> Option<u32> {
    let at = symbol.checked_mul(4)?;
    let word = table.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(word.try_into().ok()?))
}

/// The relocation half of gap 5: the relocation sections the kernel applies (`SHF_RELA_LIVEPATCH`
/// ones, and those whose target section `sh_info` is a loaded section) refer only to real symbols.
/// Records are read unaligned: klpelf does not require relocation sections to be 8-aligned.
fn check_relocations(sections: &Sections<'_>, symbol_count: usize) -> Result<(), Error> {
    for (index, shdr) in sections.table.iter().enumerate().skip(1) {
        let record = match shdr.sh_type {
            SHT_RELA => RELA_SIZE,
            SHT_REL => REL_SIZE,
            _ => continue,
        };
        let target_loaded = sections
            .get(u64::from(shdr.sh_info))
            .is_some_and(|target| target.sh_flags & u64::from(SHF_ALLOC) != 0);
        if shdr.sh_flags & SHF_RELA_LIVEPATCH == 0 && !target_loaded {
            continue;
        }
        // Row 9 put relocation sections in the file.
        let bytes = sections.contents(shdr).unwrap_or_default();
        for (relocation, chunk) in bytes.chunks_exact(record).enumerate() {
            let info = chunk
                .get(R_INFO_AT..R_INFO_AT + 8)
                .and_then(|word| word.try_into().ok())
                .map(u64::from_ne_bytes)
                .unwrap_or_default();
            let symbol = info >> 32; // ELF64_R_SYM
            if symbol >= symbol_count as u64 {
                let fault = Fault::RelocationSymbol { relocation, symbol, count: symbol_count };
                return Err(sections.reject(Check::Gap(5), "relocation", index as u64, fault));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Re-opening a checked image from what `struct load_info` keeps
// ---------------------------------------------------------------------------------------------

impl<'a> Sections<'a> {
    /// Re-opens an image that [`check`] accepted, from its bytes alone (`info->hdr`, `info->len`),
    /// re-proving only what memory safety needs: the header and section table in range and aligned.
    /// Extended numbering is decoded. Fails with [`Error::BadLoadInfo`].
    pub fn reopen(image: &'a [u8]) -> Result<Self, Error> {
        let bad = |what| Error::BadLoadInfo { what };
        require_aligned(image)?;
        let hdr: &Elf64_Ehdr =
            one_at(image, 0).map_err(|_| bad("info->len is shorter than an ELF header"))?;
        let outside = "the section header table is not inside the image at an 8-aligned offset";
        let shoff = usize::try_from(hdr.e_shoff).map_err(|_| bad(outside))?;
        let sec0: &Elf64_Shdr = one_at(image, shoff).map_err(|_| bad(outside))?;
        let count = match hdr.e_shnum {
            0 => usize::try_from(sec0.sh_size).map_err(|_| bad(outside))?,
            n => usize::from(n),
        };
        let table = slice_at(image, shoff, count).map_err(|_| bad(outside))?;
        Ok(Sections { image, hdr, sec0, table, allow_xnum: true })
    }

    /// The bytes of section `index` and their offset in the image; fails with
    /// [`Error::BadLoadInfo`] (`what` names the index) unless the section exists and lies inside.
    pub fn section(&self, index: u32, what: &'static str) -> Result<(usize, &'a [u8]), Error> {
        let range = self
            .get(u64::from(index))
            .and_then(|shdr| self.range(shdr))
            .ok_or(Error::BadLoadInfo { what })?;
        Ok((range.start, self.image.get(range.clone()).unwrap_or_default()))
    }

    /// The symbols of symbol table section `index`, a typed view; fails with
    /// [`Error::BadLoadInfo`] unless it is an `SHT_SYMTAB` section inside the image, 8-aligned.
    pub fn symbol_table(&self, index: u32) -> Result<&'a [Elf64_Sym], Error> {
        let what = "index.sym is not an 8-aligned SHT_SYMTAB section inside the image";
        let shdr = self.get(u64::from(index)).ok_or(Error::BadLoadInfo { what })?;
        if shdr.sh_type != SHT_SYMTAB {
            return Err(Error::BadLoadInfo { what });
        }
        let range = self.range(shdr).ok_or(Error::BadLoadInfo { what })?;
        let count = range.len() / size_of::<Elf64_Sym>();
        slice_at(self.image, range.start, count).map_err(|_| Error::BadLoadInfo { what })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An 8-aligned copy of `bytes` (the checks need an aligned image, as the C API does).
    struct Aligned(Vec<u64>, usize);

    impl Aligned {
        fn new(bytes: &[u8]) -> Self {
            let mut words = vec![0u64; bytes.len().div_ceil(8)];
            for (word, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
                let mut buf = [0; 8];
                buf[..chunk.len()].copy_from_slice(chunk);
                *word = u64::from_ne_bytes(buf);
            }
            Aligned(words, bytes.len())
        }

        fn bytes(&self) -> &[u8] {
            // SAFETY: the vector holds at least `self.1` initialized bytes, borrowed with `self`.
            unsafe { slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), self.1) }
        }
    }

    #[test]
    fn views_are_bounds_and_alignment_checked() {
        let buf = Aligned::new(&[0; 200]);
        let bytes = buf.bytes();
        assert_eq!(slice_at::<Elf64_Shdr>(bytes, 0, 3).map(<[_]>::len), Ok(3));
        assert_eq!(
            slice_at::<Elf64_Shdr>(bytes, 16, 3).map(<[_]>::len),
            Err(ViewError::OutOfBounds)
        );
        assert_eq!(slice_at::<Elf64_Shdr>(bytes, 4, 1).map(<[_]>::len), Err(ViewError::Misaligned));
        assert_eq!(
            slice_at::<Elf64_Sym>(bytes, usize::MAX, 1).map(<[_]>::len),
            Err(ViewError::OutOfBounds)
        );
        assert_eq!(
            slice_at::<Elf64_Sym>(bytes, 0, usize::MAX).map(<[_]>::len),
            Err(ViewError::OutOfBounds)
        );
        assert_eq!(slice_at::<Elf64_Sym>(bytes, 200, 0).map(<[_]>::len), Ok(0));
    }

    #[test]
    fn file_ranges_reject_overflow_and_overrun() {
        assert_eq!(file_range(10, 5, 15), Some(10..15));
        assert_eq!(file_range(10, 6, 15), None);
        assert_eq!(file_range(u64::MAX, 2, 15), None);
        assert_eq!(file_range(16, 0, 15), None);
    }

    #[test]
    fn labels_escape_and_cut_names() {
        let label = SectionLabel::new("", 5, Some(b".text"));
        assert_eq!(label.to_string(), "section 5 (.text)");
        let label = SectionLabel::new("symbol table", 7, None);
        assert_eq!(label.to_string(), "symbol table section 7");
        let label = SectionLabel::new("", 1, Some(b"a\nb"));
        assert_eq!(label.to_string(), "section 1 (a\\x0ab)");
        let long = [b'x'; 60];
        let label = SectionLabel::new("", 2, Some(&long));
        assert_eq!(label.to_string(), format!("section 2 ({}...)", "x".repeat(NAME_CAPACITY)));
    }

    #[test]
    fn rejections_read_as_one_sentence() {
        let rejection = Rejection {
            check: Check::Row(9),
            section: Some(SectionLabel::new("", 5, Some(b".text"))),
            fault: Fault::PastEnd { sh_type: 1, offset: 4096, size: 900, len: 4500 },
        };
        assert_eq!(
            rejection.to_string(),
            "row 9: section 5 (.text) of type SHT_PROGBITS extends past the end of the file \
             (offset 4096 + size 900 > 4500)"
        );
        // Below clippy's result_large_err threshold.
        assert!(size_of::<Error>() < 128, "Error stays small: {}", size_of::<Error>());
    }

    #[test]
    fn short_and_misaligned_images() {
        let buf = Aligned::new(&[0; 80]);
        let error = check(&buf.bytes()[..63], false).err().unwrap();
        assert!(error.to_string().starts_with("row 1: "), "{error}");
        assert!(matches!(check(&buf.bytes()[1..], false), Err(Error::MisalignedImage { .. })));
        let error = check(buf.bytes(), false).err().unwrap();
        assert!(error.to_string().starts_with("row 2: "), "{error}");
    }

    #[test]
    fn extended_indices_are_read_bounded() {
        let table = [1u32, 2, 70_000].map(u32::to_ne_bytes).concat();
        assert_eq!(extended_index(&table, 2), Some(70_000));
        assert_eq!(extended_index(&table, 3), None);
        assert_eq!(extended_index(&table, usize::MAX), None);
    }
}
