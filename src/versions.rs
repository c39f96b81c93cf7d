//! A module's symbol versions (`CONFIG_MODVERSIONS`) and its version magic, read as the kernel
//! reads them in `kernel/module/version.c` and `elf_validity_cache_index_versions()`.
//!
//! - `__versions`: an array of `struct modversion_info { unsigned long crc; char name[64 -
//!   sizeof(unsigned long)]; }`, 64 bytes an entry on 64-bit architectures, the CRC in the
//!   module's byte order. The kernel counts `sh_size / 64` entries.
//! - `__version_ext_crcs` and `__version_ext_names` (Linux 6.14 and later, `CONFIG_EXTENDED_
//!   MODVERSIONS`): an array of `u32` CRCs and, in the same order, their names as consecutive
//!   NUL-terminated strings, without a length limit. The kernel refuses a module with only one of
//!   the two, or with fewer names than CRCs (`-ENOEXEC`); when they are present `check_version()`
//!   relies on them alone.
//! - `vermagic=` in `.modinfo`: `same_magic()` compares it with the kernel's whole, or, when the
//!   module has `__versions`, from the first space on (the release is skipped: the CRCs check
//!   the symbols instead).

use crate::inspect_view::{InspectFault, ModuleView};

/// Size of `struct modversion_info` on a 64-bit architecture.
const MODVERSION_LEN: usize = 64;
/// Bytes of a `__versions` CRC (`unsigned long`).
const CRC_LEN: usize = 8;

/// The tables a module may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `__versions`.
    Basic,
    /// `__version_ext_crcs` with `__version_ext_names`.
    Extended,
}

/// One imported symbol's version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version<'a> {
    /// The CRC (a `__versions` CRC is an `unsigned long`; an extended one a `u32`).
    pub crc: u64,
    /// The symbol's name, without its NUL.
    pub name: &'a [u8],
    /// Offset of the name in the file.
    pub name_offset: usize,
}

/// The extended tables: the CRCs, and the names with their offset in the file.
#[derive(Clone, Copy)]
struct Extended<'a> {
    crcs: &'a [u8],
    names: &'a [u8],
    names_offset: usize,
}

/// The version tables of a module, found and checked as the kernel does.
#[derive(Clone, Copy)]
pub struct Versions<'a> {
    view: ModuleView<'a>,
    basic: Option<(&'a [u8], usize)>,
    ext: Option<Extended<'a>>,
}

const ONLY_ONE: InspectFault = InspectFault::BadVersions {
    what: "extended version crc+name presence does not match: the module has only one of \
           __version_ext_crcs and __version_ext_names",
};
const FEWER_NAMES: InspectFault = InspectFault::BadVersions {
    what: "more extended version crcs than names: __version_ext_names ends before every \
           __version_ext_crcs entry has its NUL-terminated name",
};
const UNTERMINATED: InspectFault =
    InspectFault::BadVersions { what: "a __versions entry's name has no NUL within its 56 bytes" };

/// The length of the NUL-terminated name at `at` of `names`, if its NUL is inside.
fn name_len(names: &[u8], at: usize) -> Option<usize> {
    names.get(at..)?.iter().position(|&b| b == 0)
}

impl<'a> Versions<'a> {
    /// The tables of `view`'s module: `-ENOEXEC` faults where the kernel refuses the module.
    pub fn new(view: ModuleView<'a>) -> Result<Self, InspectFault> {
        let versions = Self::find(view)?;
        versions.check_names()?;
        Ok(versions)
    }

    /// The tables found, without the walk over every extended name that [`Versions::new`] makes
    /// (for a walk's later steps: the first step made it; reads stay bounds-checked either way).
    pub fn find(view: ModuleView<'a>) -> Result<Self, InspectFault> {
        let offset = |bytes: &[u8]| bytes.as_ptr() as usize - view.bytes.as_ptr() as usize;
        let find = |name: &[u8]| view.find(name).map(|(_, _, bytes)| bytes);
        let basic = find(b"__versions").map(|bytes| (bytes, offset(bytes)));
        let ext = match (find(b"__version_ext_crcs"), find(b"__version_ext_names")) {
            (None, None) => None,
            (Some(crcs), Some(names)) => {
                Some(Extended { crcs, names, names_offset: offset(names) })
            }
            _ => return Err(ONLY_ONE),
        };
        Ok(Versions { view, basic, ext })
    }

    /// The kernel's check: a name for every CRC.
    fn check_names(&self) -> Result<(), InspectFault> {
        if let Some(ext) = self.ext {
            let mut at = 0;
            for _ in 0..ext.crcs.len() / 4 {
                at += name_len(ext.names, at).ok_or(FEWER_NAMES)? + 1;
            }
        }
        Ok(())
    }

    /// Whether the module has `__versions` (the kernel's `has_crcs` for `same_magic()`).
    pub fn has_basic(&self) -> bool {
        self.basic.is_some()
    }

    /// Whether the module has the extended tables.
    pub fn has_extended(&self) -> bool {
        self.ext.is_some()
    }

    /// Entries in `table` as the kernel counts them (`sh_size / 64`, `sh_size / 4`); 0 without it.
    pub fn count(&self, table: Table) -> usize {
        match table {
            Table::Basic => self.basic.map_or(0, |(bytes, _)| bytes.len() / MODVERSION_LEN),
            Table::Extended => self.ext.map_or(0, |ext| ext.crcs.len() / 4),
        }
    }

    /// Entry `index` of `__versions`; `Ok(None)` past the end or without the table.
    pub fn basic(&self, index: usize) -> Result<Option<Version<'a>>, InspectFault> {
        let Some((bytes, offset)) = self.basic else { return Ok(None) };
        let Some(entry) = index
            .checked_mul(MODVERSION_LEN)
            .and_then(|at| bytes.get(at..at.checked_add(MODVERSION_LEN)?))
        else {
            return Ok(None);
        };
        let crc = self.view.endian.u64(entry, 0);
        let len = name_len(entry, CRC_LEN).ok_or(UNTERMINATED)?;
        let name = &entry[CRC_LEN..CRC_LEN + len];
        Ok(Some(Version { crc, name, name_offset: offset + index * MODVERSION_LEN + CRC_LEN }))
    }

    /// Entry `index` of the extended tables, its name starting `name_at` bytes into
    /// `__version_ext_names` (a walk's position: 0 for the first entry, then one past the previous
    /// name's NUL); `Ok(None)` past the end or without the tables.
    pub fn extended(
        &self,
        index: usize,
        name_at: usize,
    ) -> Result<Option<Version<'a>>, InspectFault> {
        let Some(ext) = self.ext else { return Ok(None) };
        if index >= ext.crcs.len() / 4 {
            return Ok(None);
        }
        let len = name_len(ext.names, name_at).ok_or(FEWER_NAMES)?;
        let crc = u64::from(self.view.endian.u32(ext.crcs, index * 4));
        let name = &ext.names[name_at..name_at + len];
        Ok(Some(Version { crc, name, name_offset: ext.names_offset + name_at }))
    }
}

/// A `vermagic=` value split the way `same_magic()` compares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vermagic<'a> {
    /// The kernel release: the bytes before the first space (all of it without a space).
    pub release: &'a [u8],
    /// From the first space on, the space included (empty without a space): what is compared
    /// when the module has `__versions`.
    pub rest: &'a [u8],
}

/// Splits a version magic at its first space, as `same_magic()`'s `strcspn(magic, " ")`.
pub fn split_vermagic(magic: &[u8]) -> Vermagic<'_> {
    let at = magic.iter().position(|&b| b == b' ').unwrap_or(magic.len());
    let (release, rest) = magic.split_at(at);
    Vermagic { release, rest }
}

/// The kernel's `same_magic(amagic, bmagic, has_crcs)`: the whole strings, or with `has_crcs`
/// only what follows each one's release.
pub fn same_magic(a: &[u8], b: &[u8], has_crcs: bool) -> bool {
    if has_crcs {
        split_vermagic(a).rest == split_vermagic(b).rest
    } else {
        a == b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vermagic_splits_at_the_first_space() {
        let v = split_vermagic(b"7.2.0-1-cloud-amd64 SMP preempt mod_unload modversions ");
        assert_eq!(v.release, b"7.2.0-1-cloud-amd64");
        assert_eq!(v.rest, b" SMP preempt mod_unload modversions ");
        assert_eq!(split_vermagic(b"norelease"), Vermagic { release: b"norelease", rest: b"" });
        assert_eq!(split_vermagic(b""), Vermagic { release: b"", rest: b"" });
    }

    #[test]
    fn same_magic_skips_the_release_only_with_crcs() {
        let a = b"7.2.0-1-amd64 SMP mod_unload modversions ";
        let b = b"7.2.0-2-amd64 SMP mod_unload modversions ";
        assert!(same_magic(a, b, true));
        assert!(!same_magic(a, b, false));
        assert!(same_magic(a, a, false));
        assert!(!same_magic(a, b"7.2.0-1-amd64 SMP mod_unload ", true));
        assert!(same_magic(b"x", b"y", true), "no space: both rests are empty, as strcspn gives");
    }
}
