//! Inspection of a module file's metadata, without `load_info` and for any 64-bit architecture
//! and byte order: every `.modinfo` entry, the symbol version tables and the version magic. Each
//! export checks its pointers, makes one call into the safe core and writes its out-parameters
//! only on success.

use super::{boundary, bytes, c_str, image_for};
use crate::error::Error;
use crate::inspect_view::ModuleView;
use crate::modinfo;
use crate::versions::{self, Table, Versions};
use core::ffi::{c_char, c_int, c_void};

/// Where a walk over `.modinfo` stands. Set every field to 0 before the first call of
/// `klpelf_modinfo_next()` and pass it unchanged to the following calls with the same image; the
/// fields are klpelf's.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KlpelfModinfoCursor {
    /// Offset in the image of the next byte to read (klpelf's).
    pub next: usize,
    /// Offset in the image of the end of `.modinfo`; 0 before the first call (klpelf's).
    pub end: usize,
}

/// One `tag=value` entry of `.modinfo`, split at its first `=` as kmod's `modinfo` splits it. The
/// pointers point into the caller's image (valid as long as it is) and are not NUL-terminated: use
/// the lengths (`printf("%.*s", (int)key_len, key)`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlpelfModinfoEntry {
    /// The tag: the bytes before the first `=` (the whole entry when it has no `=`).
    pub key: *const c_char,
    /// Length of `key` in bytes.
    pub key_len: usize,
    /// The value: the bytes after the first `=` (empty, pointing after the entry, without `=`).
    pub value: *const c_char,
    /// Length of `value` in bytes.
    pub value_len: usize,
    /// Offset of the entry in the image.
    pub offset: usize,
    /// False only for a last entry that runs to the end of the section without a NUL (kmod shows
    /// it; the kernel's `get_modinfo()` would read past the section for it, klpelf's
    /// `klpelf_get_modinfo()` never matches it).
    pub terminated: bool,
}

/// Walks the `.modinfo` entries of a module file, in file order, every entry (not only the first of
/// a tag), as kmod's `modinfo` lists them: runs of NUL bytes between entries are skipped. `image`
/// is the whole file (`len` bytes, at any address; an appended signature may stay): an ELF64 module
/// of any architecture, little- or big-endian. No `klpelf_setup_load_info()` is needed.
///
/// ```c
/// struct klpelf_modinfo_cursor cur = {0};
/// struct klpelf_modinfo_entry e;
/// int rc;
/// while ((rc = klpelf_modinfo_next(image, len, &cur, &e)) == 1)
///         printf("%.*s=%.*s\n", (int)e.key_len, e.key, (int)e.value_len, e.value);
/// if (rc < 0) fprintf(stderr, "%s\n", klpelf_last_error());
/// ```
///
/// Returns 1 with `*entry` filled and `*cursor` advanced; 0 after the last entry (`*entry` and
/// `*cursor` unchanged); or a negative errno with `*entry` and `*cursor` unchanged:
/// - `-ENODATA`: the module has no `.modinfo` section (inside the file);
/// - `-ENOEXEC`: not an ELF64 file, or its section table or section-name table is not inside it;
/// - `-EINVAL`: `image`, `cursor` or `entry` is NULL, `len` exceeds `PTRDIFF_MAX`, or `*cursor`
///   does not come from a walk over this image.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `cursor` for reads and
/// writes, `entry` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_modinfo_next(
    image: *const c_void,
    len: usize,
    cursor: *mut KlpelfModinfoCursor,
    entry: *mut KlpelfModinfoEntry,
) -> c_int {
    boundary(|| {
        if cursor.is_null() {
            return Err(Error::NullArgument("cursor"));
        }
        if entry.is_null() {
            return Err(Error::NullArgument("entry"));
        }
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(image.cast::<u8>(), len, "image") }?;
        // SAFETY: `cursor` is non-NULL and valid for reads by the caller's contract.
        let at = unsafe { cursor.read() };
        let Some((found, next)) = next_entry(image, at)? else { return Ok(0) };
        // SAFETY: both are non-NULL and valid for writes by the caller's contract; written only
        // now that the entry was found.
        unsafe {
            entry.write(found);
            cursor.write(next);
        }
        Ok(1)
    })
}

/// The entry after `at` and the cursor past it, or `None` at the end.
fn next_entry(
    image: &[u8],
    at: KlpelfModinfoCursor,
) -> Result<Option<(KlpelfModinfoEntry, KlpelfModinfoCursor)>, Error> {
    let (start, end) = if at == KlpelfModinfoCursor::default() {
        let view = ModuleView::parse(image)?;
        let (offset, section) =
            modinfo::section(&view).ok_or(Error::Absent { what: ".modinfo section" })?;
        (offset, offset + section.len())
    } else if at.next <= at.end && at.end <= image.len() {
        (at.next, at.end)
    } else {
        return Err(Error::Invalid("*cursor does not come from a walk over this image"));
    };
    let Some(found) = modinfo::entries(&image[start..end]).next() else { return Ok(None) };
    let (key, value) = modinfo::split(found.text);
    let offset = start + found.offset;
    let entry = KlpelfModinfoEntry {
        key: key.as_ptr().cast(),
        key_len: key.len(),
        value: value.as_ptr().cast(),
        value_len: value.len(),
        offset,
        terminated: found.terminated,
    };
    Ok(Some((entry, KlpelfModinfoCursor { next: offset + found.text.len(), end })))
}

/// `klpelf_versions_next()`'s table: `__versions`, the `struct modversion_info` array.
pub const KLPELF_VERSIONS_BASIC: c_int = 1;
/// `klpelf_versions_next()`'s table: `__version_ext_crcs` with `__version_ext_names` (Linux 6.14
/// and later), which the kernel's `check_version()` relies on alone when present.
pub const KLPELF_VERSIONS_EXTENDED: c_int = 2;

/// Where a walk over a version table stands. Set every field to 0 before the first call of
/// `klpelf_versions_next()`; the fields are klpelf's.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KlpelfVersionsCursor {
    /// Index of the next entry (klpelf's).
    pub index: usize,
    /// Offset of the next extended name in `__version_ext_names` (klpelf's).
    pub name_at: usize,
}

/// One imported symbol's version: its CRC and name. `name` points into the caller's image and is
/// NUL-terminated there (`name_len` bytes before the NUL).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlpelfVersion {
    /// The CRC, in host byte order (a `__versions` CRC is the module's `unsigned long`, an
    /// extended one a `u32`).
    pub crc: u64,
    /// The symbol's name.
    pub name: *const c_char,
    /// Length of `name` in bytes.
    pub name_len: usize,
}

/// What a module carries for symbol versions (`CONFIG_MODVERSIONS`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KlpelfVersionsInfo {
    /// Entries of `__versions` (`sh_size / 64`, as the kernel counts them); 0 without it.
    pub basic_count: usize,
    /// Entries of `__version_ext_crcs`; 0 without the extended tables.
    pub extended_count: usize,
    /// The module has `__versions`: the kernel's `same_magic()` then skips the release.
    pub has_basic: bool,
    /// The module has the extended tables: the kernel's `check_version()` then uses them alone.
    pub has_extended: bool,
}

/// Describes the symbol version tables of a module file (any 64-bit architecture and byte order,
/// `len` bytes at any address), checking them as the kernel's
/// `elf_validity_cache_index_versions()` does.
///
/// Returns 0 with `*out` filled, or a negative errno with `*out` unchanged: `-ENOEXEC` when the file
/// is not an ELF64 file with its section table inside, or the module has only one of
/// `__version_ext_crcs` and `__version_ext_names`, or fewer names than CRCs (the kernel refuses
/// such a module); `-EINVAL` for a NULL `image` or `out` or a `len` beyond `PTRDIFF_MAX`.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `out` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_module_versions(
    image: *const c_void,
    len: usize,
    out: *mut KlpelfVersionsInfo,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { image_for(image, len, out) }?;
        let v = Versions::new(ModuleView::parse(image)?)?;
        let info = KlpelfVersionsInfo {
            basic_count: v.count(Table::Basic),
            extended_count: v.count(Table::Extended),
            has_basic: v.has_basic(),
            has_extended: v.has_extended(),
        };
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract.
        unsafe { out.write(info) };
        Ok(0)
    })
}

/// Walks one symbol version table of a module file, in file order: `table` is
/// `KLPELF_VERSIONS_BASIC` (`__versions`) or `KLPELF_VERSIONS_EXTENDED` (the 6.14+ pair). The file
/// is read as in `klpelf_module_versions()`; CRCs are decoded in the module's byte order.
///
/// Returns 1 with `*version` filled and `*cursor` advanced; 0 after the last entry or when the
/// module lacks the table (`*version` and `*cursor` unchanged); or a negative errno with both
/// unchanged: `-ENOEXEC` as for `klpelf_module_versions()` (checked on a walk's first call), and
/// for a `__versions` entry whose name has no NUL within its 56 bytes; `-EINVAL` for an unknown
/// `table`, NULL pointers or a `len` beyond `PTRDIFF_MAX`. A cursor that does not come from this
/// walk never makes klpelf read outside the image.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `cursor` for reads and
/// writes, `version` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_versions_next(
    image: *const c_void,
    len: usize,
    table: c_int,
    cursor: *mut KlpelfVersionsCursor,
    version: *mut KlpelfVersion,
) -> c_int {
    boundary(|| {
        let table = match table {
            KLPELF_VERSIONS_BASIC => Table::Basic,
            KLPELF_VERSIONS_EXTENDED => Table::Extended,
            _ => {
                return Err(Error::Invalid(
                    "table is neither KLPELF_VERSIONS_BASIC nor KLPELF_VERSIONS_EXTENDED",
                ))
            }
        };
        if cursor.is_null() {
            return Err(Error::NullArgument("cursor"));
        }
        if version.is_null() {
            return Err(Error::NullArgument("version"));
        }
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(image.cast::<u8>(), len, "image") }?;
        // SAFETY: `cursor` is non-NULL and valid for reads by the caller's contract.
        let at = unsafe { cursor.read() };
        let view = ModuleView::parse(image)?;
        // The first step checks the tables as the kernel does; later ones only find them, so that
        // a walk over N extended names stays linear.
        let v = if at == KlpelfVersionsCursor::default() {
            Versions::new(view)?
        } else {
            Versions::find(view)?
        };
        let found = match table {
            Table::Basic => v.basic(at.index)?,
            Table::Extended => v.extended(at.index, at.name_at)?,
        };
        let Some(found) = found else { return Ok(0) };
        let next = KlpelfVersionsCursor {
            index: at.index + 1,
            name_at: at.name_at + found.name.len() + 1,
        };
        // SAFETY: both are non-NULL and valid for writes by the caller's contract; written only
        // now that the entry was found.
        unsafe {
            version.write(KlpelfVersion {
                crc: found.crc,
                name: found.name.as_ptr().cast(),
                name_len: found.name.len(),
            });
            cursor.write(next);
        }
        Ok(1)
    })
}

/// A module's version magic split the way the kernel's `same_magic()` compares it. The pointers
/// point into the caller's image (or string) and are not NUL-terminated: use the lengths.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlpelfVermagic {
    /// The kernel release: the bytes before the first space.
    pub release: *const c_char,
    /// Length of `release`.
    pub release_len: usize,
    /// From the first space on, the space included (empty when there is no space): all that the
    /// kernel compares when the module has `__versions`.
    pub rest: *const c_char,
    /// Length of `rest`.
    pub rest_len: usize,
    /// The module has `__versions` (the kernel's `has_crcs`): `same_magic()` skips the release.
    /// Always false from `klpelf_vermagic_split()`.
    pub has_crcs: bool,
}

/// The `vermagic=` value of a module file (the first, NUL-terminated one in `.modinfo`, as the
/// kernel's `get_modinfo()` finds it), split as `same_magic()` splits it, and whether the module has
/// `__versions`. Any 64-bit architecture and byte order, `len` bytes at any address.
///
/// Returns 0 with `*out` filled, or a negative errno with `*out` unchanged: `-ENODATA` when the
/// module has no `.modinfo` or no `vermagic=` in it; `-ENOEXEC` when it is not an ELF64 file with
/// its section table inside; `-EINVAL` for NULL pointers or a `len` beyond `PTRDIFF_MAX`.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `out` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_module_vermagic(
    image: *const c_void,
    len: usize,
    out: *mut KlpelfVermagic,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { image_for(image, len, out) }?;
        let view = ModuleView::parse(image)?;
        let (_, section) =
            modinfo::section(&view).ok_or(Error::Absent { what: ".modinfo section" })?;
        let range =
            modinfo::find(section, b"vermagic").ok_or(Error::Absent { what: "vermagic=" })?;
        let has_crcs = view.find(b"__versions").is_some();
        let split = versions::split_vermagic(&section[range]);
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract.
        unsafe { out.write(vermagic(split, has_crcs)) };
        Ok(0)
    })
}

/// Splits the NUL-terminated version magic `magic` (a module's `vermagic=` value, or a kernel's
/// `VERMAGIC_STRING`) at its first space, as `same_magic()` does; `out->has_crcs` is false.
///
/// Returns 0 with `*out` filled, or `-EINVAL` (NULL `magic` or `out`) with `*out` unchanged.
///
/// # Safety
/// `magic` must be NULL or a NUL-terminated string; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_vermagic_split(
    magic: *const c_char,
    out: *mut KlpelfVermagic,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for `magic`.
        let magic = unsafe { c_str(magic, "magic") }?;
        if out.is_null() {
            return Err(Error::NullArgument("out"));
        }
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract.
        unsafe { out.write(vermagic(versions::split_vermagic(magic), false)) };
        Ok(0)
    })
}

/// The kernel's `same_magic(amagic, bmagic, has_crcs)`: 1 when the two NUL-terminated version
/// magics match, comparing only what follows each one's release (its first space on) when
/// `has_crcs` (the module has `__versions`, `klpelf_module_vermagic()`'s `has_crcs`), 0 when they do
/// not, `-EINVAL` when either is NULL.
///
/// # Safety
/// `a` and `b` must be NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn klpelf_same_magic(
    a: *const c_char,
    b: *const c_char,
    has_crcs: bool,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for both strings.
        let (a, b) = unsafe { (c_str(a, "a")?, c_str(b, "b")?) };
        Ok(c_int::from(versions::same_magic(a, b, has_crcs)))
    })
}

fn vermagic(split: versions::Vermagic<'_>, has_crcs: bool) -> KlpelfVermagic {
    KlpelfVermagic {
        release: split.release.as_ptr().cast(),
        release_len: split.release.len(),
        rest: split.rest.as_ptr().cast(),
        rest_len: split.rest.len(),
        has_crcs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_from_elsewhere_is_refused() {
        let image = [0u8; 16];
        let at = KlpelfModinfoCursor { next: 9, end: 20 };
        assert!(matches!(next_entry(&image, at), Err(Error::Invalid(_))));
        let at = KlpelfModinfoCursor { next: 12, end: 10 };
        assert!(matches!(next_entry(&image, at), Err(Error::Invalid(_))));
    }
}
