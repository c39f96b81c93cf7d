//! `elf_validity_cache_index()`: the kernel's checks on the sections `load_info` indexes
//! (`.modinfo`, `.gnu.linkonce.this_module`, the symbol table and its string table, the extended
//! symbol versions), in its order, applied to the name census; and klpelf's check that the
//! indexed sections the loader reads lie in the file whatever their type.

use goblin::elf::section_header::{SHF_ALLOC, SHN_UNDEF, SHT_NOBITS, SHT_STRTAB};

use super::census::Census;
use super::{reject, Subject};
use crate::check_id::KlpelfCheck;
use crate::error::Error;
use crate::modinfo;
use crate::rejection::Fault;

/// `elf_validity_cache_index_info()`: at most one `.modinfo`. Its bytes must lie in the file
/// whatever its type, since the kernel reads `name=` from it right away (its first byte even when
/// it is empty). Returns its index (0:
/// none) and the offset of the `name=` value.
pub(super) fn elf_validity_cache_index_info(
    subject: &Subject<'_>,
    census: &Census,
) -> Result<(u32, Option<usize>), Error> {
    let found = census.modinfo;
    if found.count > 1 {
        let fault = Fault::Duplicate {
            name: ".modinfo",
            count: found.count,
            first: found.first,
            second: found.second,
        };
        return Err(reject(KlpelfCheck::IndexInfoUnique, fault));
    }
    if found.count == 0 {
        return Ok((0, None));
    }
    let range = subject.in_file(KlpelfCheck::IndexedInFile, "", u64::from(found.last))?;
    let bytes = subject.image.bytes.get(range.clone()).unwrap_or_default();
    let name = modinfo::find(bytes, b"name").map(|value| range.start + value.start);
    Ok((found.last, name))
}

/// `elf_validity_cache_index_mod()`: exactly one `.gnu.linkonce.this_module`, with contents,
/// loaded. Its size against the running kernel's `sizeof(struct module)` cannot be checked: klpelf
/// does not know the target kernel's configuration.
pub(super) fn elf_validity_cache_index_mod(
    subject: &Subject<'_>,
    census: &Census,
) -> Result<u32, Error> {
    let found = census.this_module;
    if found.count != 1 {
        let fault = Fault::NotExactlyOne { name: ".gnu.linkonce.this_module", count: found.count };
        return Err(reject(KlpelfCheck::IndexModUnique, fault));
    }
    let index = u64::from(found.last);
    let shdr = subject.table().get(index).copied().unwrap_or_default();
    if shdr.sh_type == SHT_NOBITS {
        return Err(subject.reject(KlpelfCheck::IndexModNobits, "", index, Fault::IsNobits));
    }
    if shdr.sh_flags & u64::from(SHF_ALLOC) == 0 {
        let fault = Fault::NotAlloc { flags: shdr.sh_flags };
        return Err(subject.reject(KlpelfCheck::IndexModAlloc, "", index, fault));
    }
    Ok(found.last)
}

/// `elf_validity_cache_index_sym()`: exactly one symbol table.
pub(super) fn elf_validity_cache_index_sym(census: &Census) -> Result<u32, Error> {
    match census.symtabs.count {
        1 => Ok(census.symtabs.last),
        0 => Err(reject(KlpelfCheck::IndexSymUnique, Fault::NoSymbols)),
        count => Err(reject(KlpelfCheck::IndexSymUnique, Fault::SymtabCount { count })),
    }
}

/// `elf_validity_cache_index_str()`: the symbol table's `sh_link` names a real section, of type
/// `SHT_STRTAB` (and so proven in the file by `elf_validity_cache_sechdrs()`).
pub(super) fn elf_validity_cache_index_str(subject: &Subject<'_>, sym: u32) -> Result<u32, Error> {
    let link = subject.table().get(u64::from(sym)).map(|shdr| shdr.sh_link).unwrap_or_default();
    let count = subject.count();
    if link == SHN_UNDEF || u64::from(link) >= count {
        let fault = Fault::BadLink { link, count };
        return Err(subject.reject(
            KlpelfCheck::IndexStrLink,
            "symbol table",
            u64::from(sym),
            fault,
        ));
    }
    let sh_type = subject.table().get(u64::from(link)).map_or(0, |shdr| shdr.sh_type);
    if sh_type != SHT_STRTAB {
        let fault = Fault::NotStrtab { sh_type };
        let role = "symbol string table";
        return Err(subject.reject(KlpelfCheck::IndexStrType, role, u64::from(link), fault));
    }
    Ok(link)
}

/// `elf_validity_cache_index_versions()` (since 6.14): the extended symbol-version sections come
/// in pairs, with a name for every CRC. What is read of both must lie in the file whatever their
/// type.
pub(super) fn elf_validity_cache_index_versions(
    subject: &Subject<'_>,
    census: &Census,
) -> Result<(u32, u32), Error> {
    const CRCS: &str = "__version_ext_crcs";
    const NAMES: &str = "__version_ext_names";
    let (crcs, names) = (census.ext_crcs, census.ext_names);
    let unpaired = |present, missing| {
        Err(reject(KlpelfCheck::IndexVersionsPair, Fault::VersionsUnpaired { present, missing }))
    };
    match (crcs, names) {
        (0, 0) => return Ok((0, 0)),
        (_, 0) => return unpaired(CRCS, NAMES),
        (0, _) => return unpaired(NAMES, CRCS),
        _ => {}
    }
    subject.contents_read(KlpelfCheck::IndexedInFile, "", u64::from(crcs))?;
    let bytes = subject.contents_read(KlpelfCheck::IndexedInFile, "", u64::from(names))?;
    let crc_count = subject.table().get(u64::from(crcs)).map_or(0, |shdr| shdr.sh_size / 4);
    // Every NUL ends one name (the kernel's strnlen() walk counts empty names too).
    let name_count = bytes.iter().filter(|&&b| b == 0).count() as u64;
    if crc_count > name_count {
        let fault = Fault::MoreCrcsThanNames { crcs: crc_count, names: name_count };
        return Err(subject.reject(KlpelfCheck::IndexVersionsNames, "", u64::from(crcs), fault));
    }
    Ok((crcs, names))
}

/// klpelf's check for an index the kernel finds with `find_sec()` (0: none): the bytes the loader
/// reads of it lie in the file whatever its type (an empty one is never read).
pub(super) fn indexed_in_file(subject: &Subject<'_>, index: u32) -> Result<u32, Error> {
    if index != 0 {
        subject.contents_read(KlpelfCheck::IndexedInFile, "", u64::from(index))?;
    }
    Ok(index)
}
