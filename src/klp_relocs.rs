//! Applying and clearing a livepatch module's relocations from its persisted info, as
//! `kernel/livepatch/core.c` does: `klp_write_section_relocs()` checks a `.klp.rela.<obj>.<sec>`
//! section's name, skips it unless it patches the object asked for, resolves its `.klp.sym`
//! symbols (apply only: `klp_resolve_symbols()`) and hands it to the architecture's relocation
//! code ([`crate::relocate`]); `klp_write_object_relocs()` does that for every livepatch
//! relocation section of the module, in index order.
//!
//! The kernel's clear (`clear_relocate_add()`) returns nothing: a section that cannot be cleared
//! stops at that relocation with a warning, and the walk goes on with the next section. klpelf
//! makes exactly the same writes and reports the first failure afterwards.

use core::ffi::{c_int, c_uint};

use crate::errno;
use crate::error::{report, Error, SavedMessage};
use crate::layout::{Elf64_Rela, HOST_MACHINE};
use crate::livepatch::{klp_rela_sections, resolve_section, KeptSymbols, KlpRelaSection, Resolver};
use crate::persist::ElfTables;
use crate::placement::{span, Places, Writer};
use crate::relocate::{self, Mode, Outcome, Section};

const ENOEXEC: c_int = -errno::ENOEXEC;

/// `EM_X86_64`: the only machine whose relocations klpelf applies.
const EM_X86_64: u16 = 62;

/// A livepatch module as relocation needs it: its persisted tables, its kept symbols, its name,
/// and where its relocation entries are (the persisted `sh_addr`, read by the caller's code).
pub struct PatchModule<'a, 'k> {
    /// `mod->klp_info`'s tables.
    pub tables: ElfTables<'a>,
    /// `mod->core_kallsyms`: resolution writes `st_value` here; relocation reads it.
    pub kept: KeptSymbols<'k>,
    /// `mod->name`.
    pub name: &'a [u8],
    /// The entries of a relocation section.
    pub relas: &'a dyn Fn(&KlpRelaSection<'a>) -> Result<&'a [Elf64_Rela], Error>,
}

/// Apply resolves symbols first; clear uses the values resolution left.
pub enum Action<'r> {
    /// `klp_apply_object_relocs()` / `klp_apply_section_relocs()`.
    Apply(&'r mut dyn Resolver),
    /// `klp_clear_object_relocs()`.
    Clear,
}

impl Action<'_> {
    fn mode(&self) -> Mode {
        match self {
            Action::Apply(_) => Mode::Apply,
            Action::Clear => Mode::Clear,
        }
    }
}

/// What a write of relocations does (apply or clear), where the sections are, and how the bytes
/// get there.
pub struct Writing<'r, 'p> {
    /// Apply (with its resolver) or clear.
    pub action: Action<'r>,
    /// The caller's placement.
    pub places: Places<'p>,
    /// Plain stores, or the caller's write and sync.
    pub writer: &'r mut dyn Writer,
}

/// Fails unless the module is for x86-64, the architecture whose relocation code this is.
pub fn require_x86_64(tables: &ElfTables<'_>) -> Result<(), Error> {
    let machine = tables.table.hdr.e_machine;
    if machine == EM_X86_64 && HOST_MACHINE == EM_X86_64 {
        return Ok(());
    }
    Err(report(
        ENOEXEC,
        format_args!(
            "klpelf writes x86-64 relocations only (the module's e_machine is {machine}, this host's {HOST_MACHINE})"
        ),
    ))
}

/// `klp_write_section_relocs()` for section `index`: its name must parse (`-EINVAL`); a section
/// for another object than `objname` (`None`: vmlinux) is left alone; then resolution (apply)
/// and the relocation code.
pub fn write_section_relocs(
    module: &mut PatchModule<'_, '_>,
    index: u32,
    objname: Option<&[u8]>,
    writing: &mut Writing<'_, '_>,
) -> Result<(), Error> {
    require_x86_64(&module.tables)?;
    let section = crate::livepatch::klp_rela_section(&module.tables, index)?;
    write_relocs(module, &section, objname, writing)
}

/// `klp_write_object_relocs()`: every livepatch relocation section that patches `objname`, in
/// index order. A malformed section name stops the walk (`-EINVAL`); so does any failure to
/// apply. A failure to clear stops only its section; the first is returned at the end.
pub fn write_object_relocs(
    module: &mut PatchModule<'_, '_>,
    objname: Option<&[u8]>,
    writing: &mut Writing<'_, '_>,
) -> Result<(), Error> {
    require_x86_64(&module.tables)?;
    let tables = module.tables;
    let mut first: Option<(Error, SavedMessage)> = None;
    let mut more = 0usize;
    for section in klp_rela_sections(&tables) {
        let section = section?;
        let Err(error) = write_relocs(module, &section, objname, writing) else {
            continue;
        };
        if matches!(writing.action, Action::Apply(_)) {
            return Err(error);
        }
        match first {
            None => first = Some((error, SavedMessage::take())),
            Some(_) => more += 1,
        }
    }
    let Some((error, message)) = first else { return Ok(()) };
    if more == 0 {
        return Err(report(error.errno(), format_args!("{message}")));
    }
    Err(report(
        error.errno(),
        format_args!("{message} (and {more} more section(s) could not be cleared)"),
    ))
}

/// The body of `klp_write_section_relocs()` once the name has parsed.
fn write_relocs<'a>(
    module: &mut PatchModule<'a, '_>,
    section: &KlpRelaSection<'a>,
    objname: Option<&[u8]>,
    writing: &mut Writing<'_, '_>,
) -> Result<(), Error> {
    if !section.patches(objname) {
        return Ok(());
    }
    let relas = (module.relas)(section)?;
    if let Action::Apply(resolver) = &mut writing.action {
        resolve_section(section, relas, &mut module.kept, *resolver)?;
    }
    let mode = writing.action.mode();
    let result = write_relocate_add(module, section, relas, mode, writing.places, writing.writer);
    writing.writer.sync();
    result
}

/// The architecture's `write_relocate_add()` for one section: its target section (`sh_info`)
/// must be a section, placed, with memory; then every relocation in order.
fn write_relocate_add(
    module: &PatchModule<'_, '_>,
    section: &KlpRelaSection<'_>,
    relas: &[Elf64_Rela],
    mode: Mode,
    places: Places<'_>,
    writer: &mut dyn Writer,
) -> Result<(), Error> {
    if relas.is_empty() {
        return Ok(());
    }
    let target = target_index(&module.tables, section)?;
    let size = module.tables.table.sechdrs[target as usize].sh_size;
    let mut target = places.target(target, size, writer)?;
    let arch = Section { index: section.index, relas, modname: module.name };
    relocate::write_section(&arch, module.kept.symbols, &mut target, mode)
}

/// The section a relocation section writes to (`sh_info`), proven to be one (the kernel reads
/// its header without a check).
pub fn target_index(tables: &ElfTables<'_>, section: &KlpRelaSection<'_>) -> Result<u32, Error> {
    let target = section.shdr.sh_info;
    let count = tables.table.sechdrs.len();
    if (target as usize) < count {
        return Ok(target);
    }
    Err(report(
        ENOEXEC,
        format_args!(
            "section {} ({}): sh_info {target} is not a section: the module has {count}",
            section.index,
            section.name.escape_ascii()
        ),
    ))
}

/// What the kernel would do with one relocation.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlpelfRelocStatus {
    /// The value is written and fits.
    Ok = 0,
    /// `R_X86_64_NONE`: nothing is written.
    None = 1,
    /// `R_X86_64_PC32` or `R_X86_64_PLT32` whose displacement does not fit in 32 signed bits: the
    /// kernel writes its low 4 bytes without a check, so the reference lands elsewhere.
    Truncated = 2,
    /// `R_X86_64_32` or `R_X86_64_32S` whose value does not fit: the kernel refuses (`-ENOEXEC`).
    Overflow = 3,
    /// A type the kernel does not know: it refuses (`-ENOEXEC`).
    UnknownType = 4,
    /// The bytes to write are not inside the target section: klpelf refuses (`-ENOEXEC`) where
    /// the kernel would write out of bounds.
    Outside = 5,
    /// The symbol index is past the symbol table: klpelf refuses (`-EINVAL`) where the kernel
    /// would read out of bounds.
    BadSymbol = 6,
}

/// One relocation of a livepatch relocation section, as the kernel would compute it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlpelfReloc {
    /// The entry's index in its section.
    pub index: c_uint,
    /// `ELF64_R_SYM(r_info)`: the symbol's index in the symbol table.
    pub symndx: c_uint,
    /// `ELF64_R_TYPE(r_info)`: `R_X86_64_*`.
    pub r_type: c_uint,
    /// The bytes the kernel writes: 4 or 8, or 0 when it writes nothing (`R_X86_64_NONE`, a
    /// refused type).
    pub size: c_uint,
    /// `r_offset`: where in the target section (the relocation section's `sh_info`).
    pub r_offset: u64,
    /// `r_addend`.
    pub r_addend: i64,
    /// The symbol's `st_value` now: for a livepatch symbol, its resolved address once resolution
    /// ran; 0 when `status` is `KLPELF_RELOC_STATUS_BAD_SYMBOL`.
    pub st_value: u64,
    /// Where the value goes: the target section's placed address plus `r_offset`.
    pub loc: u64,
    /// The kernel's value, all 64 bits: `st_value + r_addend`, minus `loc` for the PC-relative
    /// types; the kernel writes its low `size` bytes.
    pub value: u64,
    /// What the kernel would do.
    pub status: KlpelfRelocStatus,
}

/// Calls `visit` for every relocation of section `index`, as the kernel would compute it against
/// the placement: no symbol is resolved and nothing is read from or written to the target. The
/// section's name must parse and its target (`sh_info`) must be a placed section.
pub fn describe_relocs(
    module: &PatchModule<'_, '_>,
    index: u32,
    places: Places<'_>,
    visit: &mut dyn FnMut(&KlpelfReloc) -> Result<(), Error>,
) -> Result<(), Error> {
    require_x86_64(&module.tables)?;
    let section = crate::livepatch::klp_rela_section(&module.tables, index)?;
    let relas = (module.relas)(&section)?;
    if relas.is_empty() {
        return Ok(());
    }
    let target = target_index(&module.tables, &section)?;
    let size = module.tables.table.sechdrs[target as usize].sh_size;
    let base = places.address(target)?;
    for (i, rela) in relas.iter().enumerate() {
        visit(&describe(module, i, rela, base, size))?;
    }
    Ok(())
}

/// Relocation `i`, `rela`, into a target placed at `base` of `size` bytes.
fn describe(
    module: &PatchModule<'_, '_>,
    i: usize,
    rela: &Elf64_Rela,
    base: u64,
    size: u64,
) -> KlpelfReloc {
    let (symndx, r_type) = (relocate::r_sym(rela), relocate::r_type(rela));
    let loc = base.wrapping_add(rela.r_offset);
    let sym = relocate::lookup(module.kept.symbols, symndx);
    let st_value = sym.map_or(0, |s| s.st_value);
    let computed = relocate::compute(r_type, st_value, rela.r_addend, loc);
    let (written, status) = match computed.outcome {
        _ if sym.is_none() => (0, KlpelfRelocStatus::BadSymbol),
        Outcome::Nothing => (0, KlpelfRelocStatus::None),
        Outcome::Overflow => (0, KlpelfRelocStatus::Overflow),
        Outcome::Unknown => (0, KlpelfRelocStatus::UnknownType),
        Outcome::Write { width } if span(rela.r_offset, width, size).is_none() => {
            (width as usize, KlpelfRelocStatus::Outside)
        }
        Outcome::Write { width } if computed.truncated(r_type) => {
            (width as usize, KlpelfRelocStatus::Truncated)
        }
        Outcome::Write { width } => (width as usize, KlpelfRelocStatus::Ok),
    };
    KlpelfReloc {
        index: i as c_uint,
        symndx: symndx as c_uint,
        r_type,
        size: written as c_uint,
        r_offset: rela.r_offset,
        r_addend: rela.r_addend,
        st_value,
        loc,
        value: computed.value,
        status,
    }
}
