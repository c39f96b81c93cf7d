//! Using the persisted info, as `kernel/livepatch/core.c` does: the walk over the
//! `SHF_RELA_LIVEPATCH` sections of `mod->klp_info` (`klp_write_object_relocs()`) and the
//! resolution of the `.klp.sym.*` symbols their relocations use (`klp_resolve_symbols()`), with
//! the kernel's parsing rules and wording, and with the bounds checks the kernel lacks: every
//! section name, relocation symbol index and `st_name` is proven in range before it is read.

use core::ffi::c_int;

use crate::error::{report, Error};
use crate::klp_names::{parse_klp_rela_name, parse_klp_sym_name};
use crate::layout::{Elf64_Rela, Elf64_Shdr, Elf64_Sym, SHF_RELA_LIVEPATCH, SHN_LIVEPATCH};
use crate::persist::ElfTables;

/// The object name that stands for the core kernel.
pub const VMLINUX: &[u8] = b"vmlinux";

const EINVAL: c_int = -libc::EINVAL;

/// The NUL-terminated string at `offset` in `table`, without its NUL; `None` when `offset` is
/// outside the table or the string runs to its end unterminated.
pub fn c_str_at(table: &[u8], offset: usize) -> Option<&[u8]> {
    let tail = table.get(offset..)?;
    let len = tail.iter().position(|&c| c == 0)?;
    Some(&tail[..len])
}

/// A livepatch relocation section of the persisted info.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlpRelaSection<'a> {
    /// Its index in the section table.
    pub index: u32,
    /// Its name, `.klp.rela.<objname>.<section>`.
    pub name: &'a [u8],
    /// The object it patches (at most 55 bytes, as the kernel reads it).
    pub objname: &'a [u8],
    /// Its section header.
    pub shdr: &'a Elf64_Shdr,
}

impl KlpRelaSection<'_> {
    /// True when the section patches the object `objname` (`None`: vmlinux).
    pub fn patches(&self, objname: Option<&[u8]>) -> bool {
        self.objname == objname.unwrap_or(VMLINUX)
    }
}

/// The `SHF_RELA_LIVEPATCH` sections of the persisted info, in index order, as
/// `klp_write_object_relocs()` visits them (from section 1). A name outside the section-name table
/// or not of the form `.klp.rela.<objname>...` ends the walk with `-EINVAL`.
pub fn klp_rela_sections<'a>(
    tables: &ElfTables<'a>,
) -> impl Iterator<Item = Result<KlpRelaSection<'a>, Error>> + 'a {
    let secstrings = tables.secstrings;
    tables
        .sechdrs
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, shdr)| shdr.sh_flags & SHF_RELA_LIVEPATCH != 0)
        .map(move |(index, shdr)| {
            let name = c_str_at(secstrings, shdr.sh_name as usize).ok_or_else(|| {
                report(
                    EINVAL,
                    format_args!(
                        "section {index}: name offset {} is outside the section-name table ({} bytes)",
                        shdr.sh_name,
                        secstrings.len()
                    ),
                )
            })?;
            let objname = parse_klp_rela_name(name).ok_or_else(|| {
                report(
                    EINVAL,
                    format_args!("section {} has an incorrectly formatted name", name.escape_ascii()),
                )
            })?;
            // Section indices are below the section count, which is at most u32::MAX.
            Ok(KlpRelaSection { index: index as u32, name, objname, shdr })
        })
}

/// Finds the address of a livepatch symbol: `objname` `None` means vmlinux.
pub trait Resolver {
    /// The symbol's address, or the error that stops the resolution.
    fn resolve(
        &mut self,
        objname: Option<&[u8]>,
        symname: &[u8],
        sympos: u64,
    ) -> Result<u64, Error>;
}

/// The module's kept symbol table (`core_kallsyms`), which resolution writes `st_value` into.
pub struct KeptSymbols<'a> {
    /// The symbols `sechdrs[symndx].sh_addr` points at.
    pub symbols: &'a mut [Elf64_Sym],
    /// Their string table.
    pub strtab: &'a [u8],
}

/// `klp_resolve_symbols()` for one section: for every relocation, the symbol it uses must exist,
/// be a livepatch symbol (`SHN_LIVEPATCH`) with a `.klp.sym.<objname>.<symname>,<sympos>` name,
/// and, in a section patching a module, not be a vmlinux symbol; its resolved address is written
/// to its `st_value`. Stops at the first failure.
pub fn resolve_section(
    section: &KlpRelaSection<'_>,
    relas: &[Elf64_Rela],
    kept: &mut KeptSymbols<'_>,
    resolver: &mut impl Resolver,
) -> Result<(), Error> {
    let sec_vmlinux = section.objname == VMLINUX;
    let section_name = section.name.escape_ascii();
    for (i, rela) in relas.iter().enumerate() {
        let symndx = rela.r_info >> 32;
        let count = kept.symbols.len();
        let sym = usize::try_from(symndx).ok().and_then(|n| kept.symbols.get_mut(n)).ok_or_else(|| {
            report(
                EINVAL,
                format_args!(
                    "section {section_name}: relocation {i} uses symbol {symndx}, but the module keeps {count} symbols"
                ),
            )
        })?;
        let name = c_str_at(kept.strtab, sym.st_name as usize).ok_or_else(|| {
            report(
                EINVAL,
                format_args!(
                    "section {section_name}: relocation {i}: symbol {symndx} has st_name {} outside the string table ({} bytes)",
                    sym.st_name,
                    kept.strtab.len()
                ),
            )
        })?;
        let name_text = name.escape_ascii();
        if u32::from(sym.st_shndx) != SHN_LIVEPATCH {
            return Err(report(
                EINVAL,
                format_args!("symbol {name_text} is not marked as a livepatch symbol"),
            ));
        }
        let parsed = parse_klp_sym_name(name).ok_or_else(|| {
            report(EINVAL, format_args!("symbol {name_text} has an incorrectly formatted name"))
        })?;
        let sym_vmlinux = parsed.objname == VMLINUX;
        if !sec_vmlinux && sym_vmlinux {
            return Err(report(
                EINVAL,
                format_args!(
                    "invalid access to vmlinux symbol '{}' from module-specific livepatch relocation section",
                    parsed.symname.escape_ascii()
                ),
            ));
        }
        let objname = if sym_vmlinux { None } else { Some(parsed.objname) };
        sym.st_value = resolver.resolve(objname, parsed.symname, parsed.sympos)?;
    }
    Ok(())
}
