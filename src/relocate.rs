//! The x86-64 relocation step of livepatch, `__write_relocate_add()` of
//! `arch/x86/kernel/module.c`, as safe Rust: for each entry of one relocation section, the value
//! the kernel computes (`S + A`, or `S + A - P` for the PC-relative types), its overflow checks,
//! and the write (apply: the target must be zero) or the erase (clear: the target must hold the
//! value). Same types, same checks in the same order, same errors, same bytes.
//!
//! Where the kernel trusts the module, klpelf checks first: a relocation's symbol index must be
//! below the symbol count, and the bytes it writes must lie inside its target section. The target
//! section's bytes are reached through a [`Target`], which bounds-checks every access again.

use core::ffi::c_int;

use crate::errno;
use crate::error::{report, Error};
use crate::layout::{Elf64_Rela, Elf64_Sym};
use crate::placement::{Exchange, Target, Width};

/// `R_X86_64_NONE`: nothing is written.
pub(crate) const R_X86_64_NONE: u32 = 0;
/// `R_X86_64_64`: `S + A`, 8 bytes.
pub(crate) const R_X86_64_64: u32 = 1;
/// `R_X86_64_PC32`: `S + A - P`, 4 bytes, not checked for overflow by the kernel.
pub(crate) const R_X86_64_PC32: u32 = 2;
/// `R_X86_64_PLT32`: as `R_X86_64_PC32` (a module has no PLT).
pub(crate) const R_X86_64_PLT32: u32 = 4;
/// `R_X86_64_32`: `S + A`, 4 bytes, zero-extended: refused when it does not fit.
pub(crate) const R_X86_64_32: u32 = 10;
/// `R_X86_64_32S`: `S + A`, 4 bytes, sign-extended: refused when it does not fit.
pub(crate) const R_X86_64_32S: u32 = 11;
/// `R_X86_64_PC64`: `S + A - P`, 8 bytes.
pub(crate) const R_X86_64_PC64: u32 = 24;

const EINVAL: c_int = -errno::EINVAL;
const ENOEXEC: c_int = -errno::ENOEXEC;

/// Apply writes relocations into zeroed targets; clear zeroes the targets again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `apply_relocate_add()`: the target must be zero; the value is written.
    Apply,
    /// `clear_relocate_add()`: the target must hold the value; zeroes are written.
    Clear,
}

/// What the kernel's `switch` makes of one relocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `R_X86_64_NONE`: skipped.
    Nothing,
    /// The low bytes of the value are written.
    Write { width: Width },
    /// `R_X86_64_32` or `R_X86_64_32S` whose value does not fit: the kernel refuses the module.
    Overflow,
    /// A type the kernel does not know: it refuses the module.
    Unknown,
}

/// One relocation as the kernel computes it: the value is `S + A`, minus `P` for the PC-relative
/// types (all 64 bits; the kernel writes the low `size` bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Computed {
    /// The kernel's `val`.
    pub value: u64,
    /// What the kernel does with it.
    pub outcome: Outcome,
}

impl Computed {
    /// True for a PC-relative 32-bit value that does not fit in 32 signed bits: the kernel writes
    /// its low 4 bytes without a check, so the code would jump or load somewhere else.
    pub fn truncated(&self, r_type: u32) -> bool {
        matches!(r_type, R_X86_64_PC32 | R_X86_64_PLT32)
            && self.value as i64 != i64::from(self.value as i32)
    }
}

/// The kernel's computation for a relocation of type `r_type` with symbol value `s`, addend `a`
/// and target address `p`, with its wrapping 64-bit arithmetic.
pub fn compute(r_type: u32, s: u64, a: i64, p: u64) -> Computed {
    let value = s.wrapping_add(a as u64);
    let (value, outcome) = match r_type {
        R_X86_64_NONE => (value, Outcome::Nothing),
        R_X86_64_64 => (value, Outcome::Write { width: Width::Eight }),
        R_X86_64_32 if value != u64::from(value as u32) => (value, Outcome::Overflow),
        R_X86_64_32S if value as i64 != i64::from(value as i32) => (value, Outcome::Overflow),
        R_X86_64_32 | R_X86_64_32S => (value, Outcome::Write { width: Width::Four }),
        R_X86_64_PC32 | R_X86_64_PLT32 => {
            (value.wrapping_sub(p), Outcome::Write { width: Width::Four })
        }
        R_X86_64_PC64 => (value.wrapping_sub(p), Outcome::Write { width: Width::Eight }),
        _ => (value, Outcome::Unknown),
    };
    Computed { value, outcome }
}

/// `ELF64_R_SYM()`.
pub fn r_sym(rela: &Elf64_Rela) -> u64 {
    rela.r_info >> 32
}

/// `ELF64_R_TYPE()`.
pub fn r_type(rela: &Elf64_Rela) -> u32 {
    rela.r_info as u32
}

/// One relocation section to write: its index (`relsec`), its entries, and the module's name.
pub struct Section<'a> {
    /// The relocation section's index, as the kernel's messages give it.
    pub index: u32,
    /// Its entries.
    pub relas: &'a [Elf64_Rela],
    /// The module's name, for the kernel's "Unknown rela relocation" message.
    pub modname: &'a [u8],
}

/// Symbol `symndx` of the table, if there is one.
pub fn lookup(symbols: &[Elf64_Sym], symndx: u64) -> Option<&Elf64_Sym> {
    usize::try_from(symndx).ok().and_then(|n| symbols.get(n))
}

/// klpelf's error where the kernel would read past the symbol table.
#[cold]
fn bad_symbol(section: &Section<'_>, i: usize, symndx: u64, count: usize) -> Error {
    report(
        EINVAL,
        format_args!(
            "section {}: relocation {i} uses symbol {symndx}, but the module keeps {count} symbols",
            section.index
        ),
    )
}

/// `__write_relocate_add()` over one section: every relocation is computed, checked and written
/// (or erased) in order, through `target`; the first failure stops the section, leaving what was
/// written before it.
pub fn write_section(
    section: &Section<'_>,
    symbols: &[Elf64_Sym],
    target: &mut Target<'_>,
    mode: Mode,
) -> Result<(), Error> {
    for (i, rela) in section.relas.iter().enumerate() {
        let symndx = r_sym(rela);
        let sym =
            lookup(symbols, symndx).ok_or_else(|| bad_symbol(section, i, symndx, symbols.len()))?;
        let r_type = r_type(rela);
        let loc = target.address(rela.r_offset);
        let computed = compute(r_type, sym.st_value, rela.r_addend, loc);
        let width = match computed.outcome {
            Outcome::Nothing => continue,
            Outcome::Write { width } => width,
            Outcome::Overflow => return Err(overflow(section, i, r_type, computed.value)),
            Outcome::Unknown => return Err(unknown(section, r_type)),
        };
        let (old, new) = match mode {
            Mode::Apply => (0, computed.value),
            Mode::Clear => (computed.value, 0),
        };
        match target.exchange(rela.r_offset, width, old, new)? {
            Exchange::Replaced => {}
            Exchange::Held => return Err(refused(section, i, r_type, loc, computed, mode)),
            Exchange::Outside => return Err(outside(section, i, target, rela.r_offset, width)),
        }
    }
    Ok(())
}

/// klpelf's error where the kernel would write outside the target section.
#[cold]
fn outside(
    section: &Section<'_>,
    i: usize,
    target: &Target<'_>,
    r_offset: u64,
    width: Width,
) -> Error {
    report(
        ENOEXEC,
        format_args!(
            "section {}: relocation {i} writes {} bytes at offset {r_offset:#x} of section {} ({} bytes): outside the section",
            section.index,
            width as u8,
            target.index(),
            target.size()
        ),
    )
}

#[cold]
fn overflow(section: &Section<'_>, i: usize, r_type: u32, value: u64) -> Error {
    report(
        ENOEXEC,
        format_args!(
            "overflow in relocation type {} val {value:x} sec {} idx {i}: `{}' likely not compiled with -mcmodel=kernel",
            r_type as i32,
            section.index,
            section.modname.escape_ascii()
        ),
    )
}

#[cold]
fn unknown(section: &Section<'_>, r_type: u32) -> Error {
    report(
        ENOEXEC,
        format_args!(
            "{}: Unknown rela relocation: {r_type} (sec {})",
            section.modname.escape_ascii(),
            section.index
        ),
    )
}

#[cold]
fn refused(
    section: &Section<'_>,
    i: usize,
    r_type: u32,
    loc: u64,
    computed: Computed,
    mode: Mode,
) -> Error {
    let why = match mode {
        Mode::Apply => "existing value is nonzero",
        Mode::Clear => "existing value does not match expected value",
    };
    report(
        ENOEXEC,
        format_args!(
            "x86/modules: Invalid relocation target, {why} for sec {}, idx {i}, type {}, loc {loc:x}, val {:x}",
            section.index,
            r_type as i32,
            computed.value
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernels_values() {
        let s = 0xffff_ffff_8100_0000;
        assert_eq!(compute(R_X86_64_64, s, 8, 0).value, s + 8);
        assert_eq!(compute(R_X86_64_PC32, s, -4, s - 0x100).value, 0xfc);
        assert_eq!(compute(R_X86_64_PC64, 0, 0, 1).value, u64::MAX);
        assert_eq!(compute(R_X86_64_NONE, s, 0, 0).outcome, Outcome::Nothing);
        assert_eq!(compute(R_X86_64_GOTPCREL, s, 0, 0).outcome, Outcome::Unknown);
    }

    const R_X86_64_GOTPCREL: u32 = 9;

    #[test]
    fn overflow_boundaries() {
        let fits = |t, v: u64| compute(t, v, 0, 0).outcome == Outcome::Write { width: Width::Four };
        assert!(fits(R_X86_64_32, 0xffff_ffff) && !fits(R_X86_64_32, 0x1_0000_0000));
        assert!(fits(R_X86_64_32S, 0x7fff_ffff) && !fits(R_X86_64_32S, 0x8000_0000));
        assert!(fits(R_X86_64_32S, 0xffff_ffff_8000_0000));
        assert!(!fits(R_X86_64_32S, 0xffff_ffff_7fff_ffff));
        assert!(!fits(R_X86_64_32, u64::MAX));
    }

    #[test]
    fn truncation_is_only_for_pc32() {
        let far = compute(R_X86_64_PC32, 0x1_0000_0000, 0, 0);
        assert!(far.truncated(R_X86_64_PC32) && far.truncated(R_X86_64_PLT32));
        assert!(!far.truncated(R_X86_64_64));
        assert!(!compute(R_X86_64_PC32, 0, -0x8000_0000, 0).truncated(R_X86_64_PC32));
        assert!(compute(R_X86_64_PC32, 0, -0x8000_0001, 0).truncated(R_X86_64_PC32));
    }
}
