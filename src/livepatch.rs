//! Using the persisted info, as `kernel/livepatch/core.c` does: the walk over the
//! `SHF_RELA_LIVEPATCH` sections of `mod->klp_info` (`klp_write_object_relocs()`) and the
//! resolution of the `.klp.sym.*` symbols their relocations use (`klp_resolve_symbols()`), with
//! the kernel's parsing rules and wording, and with the bounds checks the kernel lacks: every
//! section name, relocation symbol index and `st_name` is proven in range before it is read.

use core::ffi::c_int;

use crate::errno;
use crate::error::{report, Error};
use crate::klp_names::{parse_klp_rela_name, parse_klp_sym_name};
use crate::layout::{Elf64_Rela, Elf64_Shdr, Elf64_Sym, SHF_RELA_LIVEPATCH, SHN_LIVEPATCH};
use crate::persist::ElfTables;
use crate::view::c_string as c_str_at;

/// The object name that stands for the core kernel.
pub const VMLINUX: &[u8] = b"vmlinux";

const EINVAL: c_int = -errno::EINVAL;

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
    let tables = *tables;
    tables
        .table
        .sechdrs
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, shdr)| shdr.sh_flags & SHF_RELA_LIVEPATCH != 0)
        // Section indices are below the section count, which is at most u32::MAX.
        .map(move |(index, _)| klp_rela_section(&tables, index as u32))
}

/// Section `index` as a livepatch relocation section, its name parsed as
/// `klp_write_section_relocs()` does (`-EINVAL` when the name is outside the section-name table or
/// not `.klp.rela.<objname>...`, or when `index` is not a section).
pub fn klp_rela_section<'a>(
    tables: &ElfTables<'a>,
    index: u32,
) -> Result<KlpRelaSection<'a>, Error> {
    let secstrings = tables.table.secstrings;
    let count = tables.table.sechdrs.len();
    let shdr = tables.table.sechdrs.get(index as usize).ok_or_else(|| {
        report(EINVAL, format_args!("section {index} is not a section: the module has {count}"))
    })?;
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
    Ok(KlpRelaSection { index, name, objname, shdr })
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
    resolver: &mut (impl Resolver + ?Sized),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Elf64_Ehdr;
    use crate::section_table::SectionTable;

    /// Section names: 1 = .klp.rela.vmlinux..text, 11 = .klp.rela.ext4..text, 20 = .text, 26 = bad.
    const SECSTRINGS: &[u8] =
        b"\0.klp.rela.vmlinux..text\0.klp.rela.ext4..text\0.text\0.klp.rela.\0";

    fn shdr(name: u32, flags: u64) -> Elf64_Shdr {
        Elf64_Shdr { sh_name: name, sh_flags: flags, ..Default::default() }
    }

    fn tables<'a>(hdr: &'a Elf64_Ehdr, sechdrs: &'a [Elf64_Shdr]) -> ElfTables<'a> {
        let table = SectionTable { hdr, sechdrs, shstrndx: 0, secstrings: SECSTRINGS };
        ElfTables { table, symndx: 1 }
    }

    fn names<'a>(tables: &ElfTables<'a>) -> Vec<Result<(u32, &'a [u8]), c_int>> {
        klp_rela_sections(tables)
            .map(|s| s.map(|s| (s.index, s.objname)).map_err(|e| e.errno()))
            .collect()
    }

    #[test]
    fn the_walk_visits_livepatch_sections_in_order() {
        let hdr = Elf64_Ehdr::default();
        let sechdrs = [
            shdr(1, SHF_RELA_LIVEPATCH), // section 0 is never visited, as in the kernel
            shdr(46, 0),
            shdr(25, SHF_RELA_LIVEPATCH),
            shdr(1, SHF_RELA_LIVEPATCH | 2),
        ];
        assert_eq!(
            names(&tables(&hdr, &sechdrs)),
            vec![Ok((2, &b"ext4"[..])), Ok((3, &b"vmlinux"[..]))]
        );
    }

    #[test]
    fn bad_section_names_stop_the_walk() {
        let hdr = Elf64_Ehdr::default();
        let bad_format = [shdr(0, 0), shdr(52, SHF_RELA_LIVEPATCH), shdr(1, SHF_RELA_LIVEPATCH)];
        assert_eq!(names(&tables(&hdr, &bad_format))[0], Err(-errno::EINVAL));
        let outside = [shdr(0, 0), shdr(4096, SHF_RELA_LIVEPATCH)];
        assert_eq!(names(&tables(&hdr, &outside)), vec![Err(-errno::EINVAL)]);
    }

    /// Resolves every name to its length times 0x1000, and records what it was asked.
    struct Lengths(Vec<(Option<Vec<u8>>, Vec<u8>, u64)>);

    impl Resolver for Lengths {
        fn resolve(&mut self, obj: Option<&[u8]>, name: &[u8], pos: u64) -> Result<u64, Error> {
            self.0.push((obj.map(<[u8]>::to_vec), name.to_vec(), pos));
            Ok(name.len() as u64 * 0x1000)
        }
    }

    const STRTAB: &[u8] =
        b"\0.klp.sym.vmlinux.printk,0\0.klp.sym.ext4.helper,2\0plain\0.klp.sym.bad\0";

    fn livepatch_sym(st_name: u32) -> Elf64_Sym {
        Elf64_Sym { st_name, st_shndx: SHN_LIVEPATCH as u16, ..Default::default() }
    }

    fn rela(sym: u64) -> Elf64_Rela {
        Elf64_Rela { r_info: sym << 32 | 1, ..Default::default() }
    }

    fn resolve(
        objname: &[u8],
        relas: &[Elf64_Rela],
        symbols: &mut [Elf64_Sym],
    ) -> (Result<(), c_int>, Lengths) {
        let shdr = Elf64_Shdr::default();
        let section = KlpRelaSection { index: 1, name: b".klp.rela.x..text", objname, shdr: &shdr };
        let mut kept = KeptSymbols { symbols, strtab: STRTAB };
        let mut resolver = Lengths(Vec::new());
        let result =
            resolve_section(&section, relas, &mut kept, &mut resolver).map_err(|e| e.errno());
        (result, resolver)
    }

    #[test]
    fn resolved_addresses_land_in_st_value() {
        let mut symbols = [Elf64_Sym::default(), livepatch_sym(1), livepatch_sym(27)];
        let (result, asked) = resolve(b"vmlinux", &[rela(1), rela(2)], &mut symbols);
        assert_eq!(result, Ok(()));
        assert_eq!(symbols[1].st_value, 6 * 0x1000);
        assert_eq!(symbols[2].st_value, 6 * 0x1000);
        assert_eq!(
            asked.0,
            vec![(None, b"printk".to_vec(), 0), (Some(b"ext4".to_vec()), b"helper".to_vec(), 2)]
        );
    }

    #[test]
    fn the_kernels_symbol_rules() {
        // Not a livepatch symbol (the null symbol, or a plain one).
        let mut symbols = [Elf64_Sym::default(), Elf64_Sym { st_name: 50, ..Default::default() }];
        assert_eq!(resolve(b"vmlinux", &[rela(0)], &mut symbols).0, Err(-errno::EINVAL));
        assert_eq!(resolve(b"vmlinux", &[rela(1)], &mut symbols).0, Err(-errno::EINVAL));
        // A badly formatted .klp.sym name.
        let mut symbols = [Elf64_Sym::default(), livepatch_sym(56)];
        assert_eq!(resolve(b"vmlinux", &[rela(1)], &mut symbols).0, Err(-errno::EINVAL));
        // A module's section may not use a vmlinux symbol; vmlinux sections may use module ones.
        let mut symbols = [Elf64_Sym::default(), livepatch_sym(1), livepatch_sym(27)];
        assert_eq!(resolve(b"ext4", &[rela(1)], &mut symbols).0, Err(-errno::EINVAL));
        assert_eq!(resolve(b"ext4", &[rela(2)], &mut symbols).0, Ok(()));
    }

    #[test]
    fn out_of_range_indices_are_errors_not_reads() {
        let mut symbols = [Elf64_Sym::default(), livepatch_sym(1)];
        let (result, asked) = resolve(b"vmlinux", &[rela(2)], &mut symbols);
        assert_eq!(result, Err(-errno::EINVAL));
        assert!(asked.0.is_empty());
        let mut symbols = [Elf64_Sym::default(), livepatch_sym(STRTAB.len() as u32)];
        assert_eq!(resolve(b"vmlinux", &[rela(1)], &mut symbols).0, Err(-errno::EINVAL));
        let mut symbols = [Elf64_Sym::default(), livepatch_sym(u32::MAX)];
        assert_eq!(
            resolve(b"vmlinux", &[rela(u64::from(u32::MAX))], &mut symbols).0,
            Err(-errno::EINVAL)
        );
    }

    #[test]
    fn c_strings_are_bounded() {
        assert_eq!(c_str_at(b"ab\0cd\0", 3), Some(&b"cd"[..]));
        assert_eq!(c_str_at(b"ab\0cd", 3), None);
        assert_eq!(c_str_at(b"ab\0", 9), None);
    }
}
