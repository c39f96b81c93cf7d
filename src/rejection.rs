//! Why an image is rejected, in words a user can act on: which check failed ([`KlpelfCheck`]),
//! which section it concerns ([`SectionLabel`]) and what is wrong, with the numbers involved
//! ([`Fault`]). A [`Rejection`] reads as one sentence that starts with the kernel function whose
//! check failed, e.g. `elf_validity_cache_sechdrs: section 5 (.text) of type SHT_PROGBITS extends
//! past the end of the file (offset 4096 + size 900 > 4500)`.

use core::fmt::{self, Write as _};

use goblin::elf::section_header::SHT_NULL;

use crate::check_id::KlpelfCheck;
use crate::layout::{HOST_DATA, HOST_MACHINE};

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
    /// The name could be read (before the section-name table is proven, it may not be).
    readable: bool,
    /// The name is longer than `NAME_CAPACITY` and was cut.
    cut: bool,
}

impl SectionLabel {
    pub fn new(role: &'static str, index: u64, name: Option<&[u8]>) -> Self {
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
    NotStrtab { sh_type: u32 },
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

/// Extended section numbering, which the kernel rejects, and the flag that accepts it.
const XNUM_HINT: &str =
    "extended section numbering, which the kernel rejects; pass KLPELF_SETUP_ALLOW_XNUM to accept it";

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::TooShort { .. }
            | Fault::BadMagic { .. }
            | Fault::NotRelocatable { .. }
            | Fault::WrongClass { .. }
            | Fault::WrongByteOrder { .. }
            | Fault::WrongMachine { .. }
            | Fault::ShentSize { .. }
            | Fault::ShoffPastEnd { .. }
            | Fault::TableTooLarge { .. }
            | Fault::TooManySections { .. }
            | Fault::Section0OutsideFile { .. }
            | Fault::Misaligned { .. }
            | Fault::Section0NotNull { .. }
            | Fault::ExtendedNumbering { .. }
            | Fault::PastEnd { .. } => self.fmt_file(f),
            Fault::SymbolName { .. }
            | Fault::SymbolSection { .. }
            | Fault::SymbolReserved { .. }
            | Fault::SymbolXindex { .. }
            | Fault::RelocationSymbol { .. } => self.fmt_symbols(f),
            _ => self.fmt_sections(f),
        }
    }
}

impl Fault {
    /// What is wrong with the header or the section header table.
    fn fmt_file(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            _ => Ok(()),
        }
    }

    /// What is wrong with a section the checks look up.
    fn fmt_sections(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
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
            Fault::NotStrtab { sh_type } => {
                write!(f, "is of type {} ({sh_type}), not SHT_STRTAB", type_name(sh_type))
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
            _ => Ok(()),
        }
    }

    /// What is wrong with a symbol or a relocation.
    fn fmt_symbols(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
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
            _ => Ok(()),
        }
    }
}

/// An image the checks reject: which check, which section, what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// The check that failed.
    pub check: KlpelfCheck,
    /// The section involved, if one is.
    pub section: Option<SectionLabel>,
    /// What is wrong.
    pub fault: Fault,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let function = self.check.kernel_function();
        if self.check.is_kernels() {
            write!(f, "{function}: ")?;
        } else if function.is_empty() {
            f.write_str("klpelf needs 8-byte aligned tables: ")?;
        } else {
            write!(f, "{function} would read out of bounds: ")?;
        }
        if let Some(section) = &self.section {
            write!(f, "{section} ")?;
        }
        write!(f, "{}", self.fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn rejections_read_as_one_sentence_naming_the_kernel_function() {
        let rejection = Rejection {
            check: KlpelfCheck::SechdrsOffset,
            section: Some(SectionLabel::new("", 5, Some(b".text"))),
            fault: Fault::PastEnd { sh_type: 1, offset: 4096, size: 900, len: 4500 },
        };
        assert_eq!(
            rejection.to_string(),
            "elf_validity_cache_sechdrs: section 5 (.text) of type SHT_PROGBITS extends past the \
             end of the file (offset 4096 + size 900 > 4500)"
        );
        let rejection = Rejection {
            check: KlpelfCheck::SymbolShndx,
            section: Some(SectionLabel::new("symbol table", 7, Some(b".symtab"))),
            fault: Fault::SymbolSection { symbol: 4, shndx: 70, count: 30 },
        };
        assert_eq!(
            rejection.to_string(),
            "simplify_symbols would read out of bounds: symbol table section 7 (.symtab) symbol 4 \
             has section index 70, but the file has 30 sections"
        );
    }
}
