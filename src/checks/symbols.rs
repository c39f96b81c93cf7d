//! `elf_validity_cache_strtab()`: the symbol string table and every symbol's name, in the kernel's
//! order; then klpelf's checks on what the loader later reads without bounds checks: each symbol's
//! section index (`simplify_symbols()`) and each applied relocation's symbol index
//! (`apply_relocations()`, and livepatch's own relocation walk).

use core::mem::size_of;

use goblin::elf::section_header::{
    SHF_ALLOC, SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_REL, SHT_RELA,
    SHT_SYMTAB_SHNDX,
};

use super::Subject;
use crate::check_id::KlpelfCheck;
use crate::error::Error;
use crate::layout::{Elf64_Sym, SHF_RELA_LIVEPATCH, SHN_LIVEPATCH};
use crate::rejection::Fault;
use crate::view::slice_at;

/// Size of an `Elf64_Rela` / `Elf64_Rel` record, and where `r_info` sits in both.
const RELA_SIZE: usize = 24;
const REL_SIZE: usize = 16;
const R_INFO_AT: usize = 8;

/// `elf_validity_cache_strtab()`: the symbol string table is non-empty, starts and ends with NUL,
/// and holds every symbol's name. (Its type is `SHT_STRTAB`, so `elf_validity_cache_sechdrs()`
/// proved it in the file.) Also klpelf's alignment check of the symbol table. Returns the string
/// table's offset and the symbols.
pub(super) fn elf_validity_cache_strtab<'a>(
    subject: &Subject<'a>,
    sym: u32,
    str: u32,
) -> Result<(usize, &'a [Elf64_Sym]), Error> {
    const ROLE: &str = "symbol string table";
    let index = u64::from(str);
    let size = subject.table().get(index).map_or(0, |shdr| shdr.sh_size);
    if size == 0 {
        return Err(subject.reject(KlpelfCheck::StrtabEmpty, ROLE, index, Fault::Empty));
    }
    let range = subject.in_file(KlpelfCheck::SechdrsOffset, ROLE, index)?;
    let bytes = subject.image.bytes.get(range.clone()).unwrap_or_default();
    let first = bytes.first().copied().unwrap_or_default();
    if first != 0 {
        let fault = Fault::NoLeadingNul { first };
        return Err(subject.reject(KlpelfCheck::StrtabLeadingNul, ROLE, index, fault));
    }
    let last = bytes.last().copied().unwrap_or_default();
    if last != 0 {
        let fault = Fault::NotTerminated { last };
        return Err(subject.reject(KlpelfCheck::StrtabNul, ROLE, index, fault));
    }
    let symbols = symbols_of(subject, u64::from(sym))?;
    if let Some((symbol, s)) =
        symbols.iter().enumerate().find(|(_, s)| u64::from(s.st_name) >= size)
    {
        let fault = Fault::SymbolName { symbol, st_name: s.st_name, size };
        let sym = u64::from(sym);
        return Err(subject.reject(KlpelfCheck::StrtabName, "symbol table", sym, fault));
    }
    Ok((range.start, symbols))
}

/// The symbols of symbol table section `index` (proven in the file), `sh_size / 24` of them as the
/// kernel counts, once its offset is proven 8-aligned.
fn symbols_of<'a>(subject: &Subject<'a>, index: u64) -> Result<&'a [Elf64_Sym], Error> {
    const ROLE: &str = "symbol table";
    let shdr = subject.table().get(index).copied().unwrap_or_default();
    let misaligned = || {
        let fault = Fault::Misaligned { what: "sh_offset", offset: shdr.sh_offset };
        subject.reject(KlpelfCheck::Alignment, ROLE, index, fault)
    };
    if shdr.sh_offset % 8 != 0 {
        return Err(misaligned());
    }
    let range = subject.in_file(KlpelfCheck::SechdrsOffset, ROLE, index)?;
    let count = range.len() / size_of::<Elf64_Sym>();
    slice_at(subject.image.bytes, range.start, count).map_err(|_| misaligned())
}

/// Every section index a symbol gives, and every symbol index an applied relocation gives, is in
/// range. The kernel's `simplify_symbols()` uses `st_shndx` (except `SHN_UNDEF`, `SHN_ABS`,
/// `SHN_COMMON`, `SHN_LIVEPATCH`) to index the section table, and relocations index the symbol
/// table, without bounds checks.
pub(super) fn symbol_uses(
    subject: &Subject<'_>,
    sym: u32,
    symbols: &[Elf64_Sym],
) -> Result<(), Error> {
    let count = subject.count();
    let xindex = extended_indices(subject, sym);
    let reject =
        |fault| subject.reject(KlpelfCheck::SymbolShndx, "symbol table", u64::from(sym), fault);
    for (symbol, s) in symbols.iter().enumerate().skip(1) {
        let shndx = u32::from(s.st_shndx);
        let real = match shndx {
            SHN_UNDEF | SHN_ABS | SHN_COMMON | SHN_LIVEPATCH => continue,
            SHN_XINDEX => match xindex.and_then(|table| extended_index(table, symbol)) {
                Some(real) if subject.allow_xnum && real != 0 => u64::from(real),
                _ => {
                    return Err(reject(Fault::SymbolXindex { symbol, allowed: subject.allow_xnum }))
                }
            },
            _ if shndx >= SHN_LORESERVE => {
                return Err(reject(Fault::SymbolReserved { symbol, shndx: s.st_shndx }));
            }
            _ => u64::from(shndx),
        };
        if real >= count {
            return Err(reject(Fault::SymbolSection { symbol, shndx: real, count }));
        }
    }
    relocation_symbols(subject, symbols.len())
}

/// The `SHT_SYMTAB_SHNDX` section of symbol table `sym`, if there is one in the file.
fn extended_indices<'a>(subject: &Subject<'a>, sym: u32) -> Option<&'a [u8]> {
    let shdr = subject
        .table()
        .sechdrs
        .iter()
        .find(|shdr| shdr.sh_type == SHT_SYMTAB_SHNDX && shdr.sh_link == sym)?;
    subject.image.contents(shdr)
}

/// Entry `symbol` of an `SHT_SYMTAB_SHNDX` section (host-order 32-bit words).
fn extended_index(table: &[u8], symbol: usize) -> Option<u32> {
    let at = symbol.checked_mul(4)?;
    let word = table.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(word.try_into().ok()?))
}

/// The relocation sections the kernel applies (`SHF_RELA_LIVEPATCH` ones, and those whose target
/// section `sh_info` is a loaded section) refer only to real symbols. Records are read unaligned:
/// klpelf does not require relocation sections to be 8-aligned.
fn relocation_symbols(subject: &Subject<'_>, symbol_count: usize) -> Result<(), Error> {
    for (index, shdr) in subject.table().sechdrs.iter().enumerate().skip(1) {
        let record = match shdr.sh_type {
            SHT_RELA => RELA_SIZE,
            SHT_REL => REL_SIZE,
            _ => continue,
        };
        let target_loaded = subject
            .table()
            .get(u64::from(shdr.sh_info))
            .is_some_and(|target| target.sh_flags & u64::from(SHF_ALLOC) != 0);
        if shdr.sh_flags & SHF_RELA_LIVEPATCH == 0 && !target_loaded {
            continue;
        }
        // elf_validity_cache_sechdrs() put relocation sections in the file.
        let bytes = subject.image.contents(shdr).unwrap_or_default();
        for (relocation, chunk) in bytes.chunks_exact(record).enumerate() {
            let info = chunk
                .get(R_INFO_AT..R_INFO_AT + 8)
                .and_then(|word| word.try_into().ok())
                .map(u64::from_ne_bytes)
                .unwrap_or_default();
            let symbol = info >> 32; // ELF64_R_SYM
            if symbol >= symbol_count as u64 {
                let fault = Fault::RelocationSymbol { relocation, symbol, count: symbol_count };
                let check = KlpelfCheck::RelocationSymbol;
                return Err(subject.reject(check, "relocation", index as u64, fault));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_indices_are_read_bounded() {
        let table = [1u32, 2, 70_000].map(u32::to_ne_bytes).concat();
        assert_eq!(extended_index(&table, 2), Some(70_000));
        assert_eq!(extended_index(&table, 3), None);
        assert_eq!(extended_index(&table, usize::MAX), None);
    }
}
