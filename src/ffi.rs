//! The C boundary: every exported function, each a thin shell that checks pointers, turns them into
//! borrowed views, calls the safe core and reports errors. Every export runs inside
//! [`boundary`], the one place where panics are caught, so no unwinding ever reaches C.

use core::ffi::{c_char, c_int, c_uint, c_void, CStr};
use core::ptr;
use core::slice;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::alloc::{self, KlpelfAllocator};
use crate::checks::{self, Checked, Sections};
use crate::error::{self, Error};
use crate::layout::{KlpelfSignature, LoadInfo, Module, MODULE_NAME_LEN};
use crate::persist::{self, ElfTables, Numbering};
use crate::{kallsyms, modinfo, signature};

/// What an export returns when its body fails: a negative errno for the exports that return a
/// status, NULL for those that return a pointer, nothing for those that return nothing.
trait FailureValue {
    fn failure(errno: c_int) -> Self;
}

impl FailureValue for c_int {
    fn failure(errno: c_int) -> Self {
        errno
    }
}

impl FailureValue for *const c_char {
    fn failure(_: c_int) -> Self {
        ptr::null()
    }
}

impl FailureValue for () {
    fn failure(_: c_int) {}
}

/// Runs one export: clears the thread's last error, runs `body`, and turns an error or a caught
/// panic into the thread's last error and the export's failure value.
fn boundary<T: FailureValue>(body: impl FnOnce() -> Result<T, Error>) -> T {
    error::clear_last_error();
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => return value,
        Ok(Err(error)) => error,
        Err(_) => Error::Panic,
    };
    if !matches!(error, Error::Reported { .. }) {
        error::set_last_error(&error);
    }
    T::failure(error.errno())
}

/// Borrows a C pointer argument, naming it in the error when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads as a `T` for the lifetime chosen by the caller.
unsafe fn non_null<'a, T>(ptr: *const T, what: &'static str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid.
    unsafe { ptr.as_ref() }.ok_or(Error::NullArgument(what))
}

/// Borrows the tables of `info` that `copy_module_elf` reads, proving the indices in range first.
///
/// # Safety
/// The pointers in `info` must be as `struct load_info` documents: `hdr` a valid header, `sechdrs`
/// the section header table it describes, `secstrings` the section-name table's bytes.
unsafe fn elf_tables(info: &LoadInfo) -> Result<ElfTables<'_>, Error> {
    // SAFETY: the caller's contract for `info->hdr`; NULL is rejected.
    let hdr = unsafe { non_null(info.hdr, "info->hdr") }?;
    // SAFETY: the caller's contract: a non-NULL `sechdrs` holds at least section 0.
    let sec0 = unsafe { non_null(info.sechdrs, "info->sechdrs") }?;
    // Not borrowed yet: the table may be empty, so no byte of it is known to be readable.
    if info.secstrings.is_null() {
        return Err(Error::NullArgument("info->secstrings"));
    }
    let numbering = Numbering::decode(hdr, sec0, info.index.sym)?;
    // SAFETY: `sechdrs` holds the `count` headers that the header and section 0 announce.
    let sechdrs = unsafe { slice::from_raw_parts(info.sechdrs, numbering.count) };
    let secstrings_len = persist::secstrings_len(&sechdrs[numbering.shstrndx])?;
    // SAFETY: `secstrings` holds the section-name table, `sh_size` bytes (at most isize::MAX).
    let secstrings =
        unsafe { slice::from_raw_parts(info.secstrings.cast_const().cast(), secstrings_len) };
    Ok(ElfTables { hdr, sechdrs, secstrings, symndx: info.index.sym })
}

/// Persists the ELF information a livepatch module needs after its image is freed: a copy of the ELF
/// header, the section header table and the section-name table, stored in `mod->klp_info`. In the
/// copy, the symbol table section's `sh_addr` points at `mod->core_kallsyms.symtab`.
///
/// Reads `info->hdr`, `info->sechdrs`, `info->secstrings` and `info->index.sym`; extended section
/// numbering (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`) is understood.
///
/// Returns 0 on success. On failure `*mod` is unchanged, nothing is leaked, `klpelf_last_error()`
/// says why, and the return value is:
/// - `-EINVAL`: `mod`, `info`, `info->hdr`, `info->sechdrs` or `info->secstrings` is NULL;
///   `e_shstrndx` or `index.sym` is 0 or not below the section count, or `e_shstrndx` is a
///   reserved index (`SHN_LORESERVE` up to, not including, `SHN_XINDEX`); the section count (under
///   extended numbering) exceeds `UINT32_MAX`; or the section-name table is larger than
///   `PTRDIFF_MAX`;
/// - `-EEXIST`: `mod->klp_info` is already set (call `free_module_elf()` first);
/// - `-ENOMEM`: the allocator failed (or returned a block not aligned to 8 bytes).
///
/// The copy is one block from the configured allocator; free it only with `free_module_elf()`.
///
/// # Safety
/// Non-NULL pointers must be valid: `mod` for reads and writes, `info`'s tables for reads of the sizes
/// the header and section headers announce.
#[no_mangle]
pub unsafe extern "C" fn copy_module_elf(r#mod: *mut Module, info: *mut LoadInfo) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { r#mod.as_mut() }.ok_or(Error::NullArgument("mod"))?;
        // SAFETY: as above.
        let info = unsafe { non_null(info, "info") }?;
        if !module.klp_info.is_null() {
            return Err(Error::AlreadyPersisted);
        }
        // SAFETY: the caller's contract for `info`'s tables.
        let tables = unsafe { elf_tables(info) }?;
        let klp_info = persist::persist(&tables, module.core_kallsyms.symtab)?;
        module.klp_info = klp_info.as_ptr();
        Ok(0)
    })
}

/// Frees what `copy_module_elf()` stored in `mod->klp_info` and sets `mod->klp_info` to NULL.
/// Accepts a NULL `mod` and a NULL `mod->klp_info` (then does nothing), so a second call is harmless.
///
/// # Safety
/// A non-NULL `mod` must be valid for reads and writes, and its `klp_info` NULL or made by
/// `copy_module_elf()`.
#[no_mangle]
pub unsafe extern "C" fn free_module_elf(r#mod: *mut Module) {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is accepted.
        if let Some(module) = unsafe { r#mod.as_mut() } {
            // SAFETY: the caller's contract: a non-NULL klp_info was made by copy_module_elf().
            unsafe { persist::free_klp_info(module) };
        }
        Ok(())
    })
}

/// Sets the allocator for every block klpelf hands out from now on. NULL restores the default, the
/// C library's `malloc`/`free`.
///
/// Returns 0 on success; `-EBUSY`, changing nothing, while blocks from the current allocator are
/// still live (free them first); `-EINVAL` when `a->alloc` or `a->free` is NULL. The struct is copied:
/// `*a` need not outlive the call.
///
/// # Safety
/// A non-NULL `a` must be valid for reads, and its functions must behave as documented on
/// `struct klpelf_allocator`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_set_allocator(a: *const KlpelfAllocator) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL means the default.
        alloc::set_allocator(unsafe { a.as_ref() }).map(|()| 0)
    })
}

/// The message for the last failed klpelf call on the calling thread, or NULL if the thread's last
/// klpelf call succeeded (or it made none). `klpelf_last_error()` and `klpelf_version()`, which
/// cannot fail, leave it as it is. The string is owned by klpelf and stays valid until the thread's
/// next klpelf call; do not free it.
#[no_mangle]
pub extern "C" fn klpelf_last_error() -> *const c_char {
    // Not through `boundary`, which would clear the message this returns; nothing here can panic.
    error::last_error()
}

/// The library's version, `"MAJOR.MINOR.PATCH"` (the same numbers as the `KLPELF_VERSION_*` macros of
/// the header it was built with). A static string; do not free it.
#[no_mangle]
pub extern "C" fn klpelf_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(version) => version,
            Err(_) => panic!("the package version contains a NUL"),
        };
    VERSION.as_ptr()
}

/// Flag for `klpelf_setup_load_info()`: accept extended section numbering (`e_shnum == 0` with the
/// count in section 0's `sh_size`; `e_shstrndx == SHN_XINDEX` with the index in section 0's
/// `sh_link`), which the kernel's loader rejects. Objects with more than 65,279 sections use it.
pub const KLPELF_SETUP_ALLOW_XNUM: c_uint = 1;

/// Borrows a caller's buffer as bytes, rejecting NULL and lengths no Rust slice can have.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads of `len` bytes for the lifetime chosen by the caller,
/// and not be written while the borrow lives.
unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &'static str) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(Error::NullArgument(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::TooLarge { what, size: len as u64 });
    }
    // SAFETY: non-NULL, at most isize::MAX bytes, valid for reads by the caller's contract.
    Ok(unsafe { slice::from_raw_parts(ptr, len) })
}

/// The image `info` describes: `info->len` bytes at `info->hdr`, re-opened with its section table.
///
/// # Safety
/// `info->hdr` must be NULL or the image `klpelf_setup_load_info()` checked, still valid for reads
/// of `info->len` bytes.
unsafe fn loaded_image(info: &LoadInfo) -> Result<Sections<'_>, Error> {
    let len = usize::try_from(info.len)
        .map_err(|_| Error::BadLoadInfo { what: "info->len does not fit in memory" })?;
    // SAFETY: the caller's contract for `info->hdr`.
    let image = unsafe { bytes(info.hdr.cast::<u8>(), len, "info->hdr") }?;
    Sections::reopen(image)
}

/// A `struct load_info` pointing into the image at `base`, from what the checks proved. Every
/// field not listed in `klpelf_setup_load_info()`'s documentation is 0, false or NULL.
fn load_info(base: *mut u8, checked: &Checked) -> LoadInfo {
    // wrapping_add: every offset is inside the image (the checks proved it), so these are plain
    // in-bounds pointers; no unsafe arithmetic is needed to make them.
    let at = |offset: usize| base.wrapping_add(offset);
    LoadInfo {
        name: checked.name.map_or(ptr::null(), |offset| at(offset).cast_const().cast()),
        r#mod: ptr::null_mut(),
        hdr: base.cast(),
        len: checked.len as core::ffi::c_ulong,
        sechdrs: at(checked.sechdrs).cast(),
        secstrings: at(checked.secstrings).cast(),
        strtab: at(checked.strtab).cast(),
        symoffs: 0,
        stroffs: 0,
        init_typeoffs: 0,
        core_typeoffs: 0,
        sig_ok: false,
        mod_kallsyms_init_off: 0,
        index: checked.index,
    }
}

/// Checks a module image the way the kernel's loader does and describes it in `*info`, ready for
/// `klpelf_prepare_module()` and `copy_module_elf()`.
///
/// `image` holds `len` bytes of a module file (`.ko`), signed or not. In order:
/// 1. an appended module signature is stripped as the kernel strips it: `info->len` becomes the
///    length of the ELF part (a signature that is not PKCS#7 loses only its marker, as in a kernel
///    that does not enforce signatures; klpelf verifies no signature and leaves `sig_ok` false);
/// 2. the kernel's ELF checks run in the kernel's order (rows 1–17 and 19–26 of its check table);
/// 3. so do the checks the kernel leaves to its architecture code (ELF class 64, the host's byte
///    order and machine), and checks that close the reads the kernel makes out of bounds on a
///    malformed file (section contents it reads without bounds checks, symbol section indices,
///    relocation symbol indices);
/// 4. `e_shoff` and the symbol table's `sh_offset` must be multiples of 8, since C uses them as
///    arrays of `Elf64_Shdr` and `Elf64_Sym`.
///
/// Row 18 of the kernel's checks (the size of `.gnu.linkonce.this_module` equals the running
/// kernel's `sizeof(struct module)`) cannot be checked: that size depends on a kernel klpelf does
/// not know. Extended section numbering is rejected, as the kernel rejects it, unless `flags` has
/// `KLPELF_SETUP_ALLOW_XNUM`.
///
/// On success `*info` is overwritten: `hdr`, `sechdrs`, `secstrings` and `strtab` point into
/// `image`; `len` is the ELF part's length; `name` points at the value of `.modinfo`'s `name=` tag,
/// NUL-terminated inside the image, or is NULL without one; `index` holds every index as the kernel
/// finds it (0 for absent optional sections); `mod` is NULL (the image's
/// `.gnu.linkonce.this_module` holds the target kernel's `struct module`, not klpelf's); every other
/// field is 0 or false. Nothing is allocated and nothing needs freeing, but `image` must stay valid
/// and unchanged for as long as `*info` is used.
///
/// Returns 0 on success. On failure `*info` is unchanged, `klpelf_last_error()` names the failed
/// check (`"row N: ..."` for a row of the kernel's table, `"gap N: ..."` for a bounds check the kernel
/// lacks, `"alignment: ..."`) and the section involved, and the return value is:
/// - `-ENOEXEC`: the image fails a check;
/// - `-EBADMSG`: the appended signature's trailer is malformed (as the kernel says);
/// - `-EINVAL`: `info` or `image` is NULL, `image` is not 8-byte aligned, `len` exceeds
///   `PTRDIFF_MAX`, or `flags` has bits other than `KLPELF_SETUP_ALLOW_XNUM`.
///
/// # Safety
/// Non-NULL pointers must be valid: `info` for writes, `image` for reads of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_setup_load_info(
    info: *mut LoadInfo,
    image: *mut c_void,
    len: usize,
    flags: c_uint,
) -> c_int {
    boundary(|| {
        if info.is_null() {
            return Err(Error::NullArgument("info"));
        }
        if flags & !KLPELF_SETUP_ALLOW_XNUM != 0 {
            return Err(Error::UnknownFlags { flags });
        }
        let base = image.cast::<u8>();
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(base, len, "image") }?;
        checks::require_aligned(image)?;
        let elf_len = signature::module_len(image)?;
        let elf = image.get(..elf_len).unwrap_or_default();
        let checked = checks::check(elf, flags & KLPELF_SETUP_ALLOW_XNUM != 0)?;
        let filled = load_info(base, &checked);
        // SAFETY: `info` is non-NULL and valid for writes by the caller's contract; written only
        // now that every check passed.
        unsafe { info.write(filled) };
        Ok(0)
    })
}

/// The value of the first `tag=value` entry of the module's `.modinfo` section, as the kernel's
/// `get_modinfo()` finds it: entries are NUL-separated, runs of NULs between them are skipped, and
/// `tag` must match a whole tag (`"lic"` does not match `license=GPL`).
///
/// Returns a NUL-terminated string inside the image (owned by the caller's image, valid as long as
/// it is; do not free it), or NULL. NULL with `klpelf_last_error()` NULL means the tag is absent
/// (or the module has no `.modinfo`). One difference from the kernel: a last entry that runs to the
/// end of the section without a NUL is never matched, because it cannot be returned as a
/// NUL-terminated string inside the image.
///
/// NULL with a message means an error: `info` or `tag` is NULL, or `info` does not describe an
/// image that `klpelf_setup_load_info()` accepted (its `.modinfo` index or bounds are wrong).
///
/// # Safety
/// `info` must be NULL or a `struct load_info` filled by `klpelf_setup_load_info()`, its image still
/// valid; `tag` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn klpelf_get_modinfo(
    info: *const LoadInfo,
    tag: *const c_char,
) -> *const c_char {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let info = unsafe { non_null(info, "info") }?;
        if tag.is_null() {
            return Err(Error::NullArgument("tag"));
        }
        // SAFETY: a non-NULL `tag` is a NUL-terminated string by the caller's contract.
        let tag = unsafe { CStr::from_ptr(tag) }.to_bytes();
        if info.index.info == 0 {
            return Ok(ptr::null());
        }
        // SAFETY: the caller's contract for `info`'s image.
        let sections = unsafe { loaded_image(info) }?;
        let (offset, section) =
            sections.section(info.index.info, "index.info is not a section inside the image")?;
        Ok(modinfo::find(section, tag).map_or(ptr::null(), |found| {
            info.hdr.cast::<u8>().cast_const().wrapping_add(offset + found.start).cast()
        }))
    })
}

/// Reads at most `MODULE_NAME_LEN` bytes of the C string `name`: the module's name, checked to fit
/// `struct module`'s `name` with its NUL.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
unsafe fn module_name<'a>(name: *const c_char) -> Result<&'a [u8], Error> {
    if name.is_null() {
        return Err(Error::NoName);
    }
    // SAFETY: strnlen reads no further than the string's NUL or MODULE_NAME_LEN bytes, both inside
    // the string.
    let len = unsafe { libc::strnlen(name, MODULE_NAME_LEN) };
    if len >= MODULE_NAME_LEN {
        return Err(Error::NameTooLong { len });
    }
    if len == 0 {
        return Err(Error::NoName);
    }
    // SAFETY: the first `len` bytes of the string were just read by strnlen.
    Ok(unsafe { slice::from_raw_parts(name.cast::<u8>(), len) })
}

/// Does for `*mod` what the kernel's loader does before `copy_module_elf()`: sets `mod->name` from
/// `info->name`, sets `mod->klp` to whether `.modinfo` carries a `livepatch` tag, and builds
/// `mod->core_kallsyms` as the kernel builds it for a livepatch module: every symbol of the image's
/// symbol table, in its original order (`num_symtab` is the symbol count), and a copy of the
/// symbol string table, so that `st_name` values index `core_kallsyms.strtab` unchanged. `typetab`
/// stays NULL (klpelf computes no `nm` type letters). Symbols are copied as they are in the file.
///
/// Reads `info->hdr`, `info->len`, `info->name`, `info->index.sym`, `info->index.str` and
/// `info->index.info`; `info` must come from `klpelf_setup_load_info()`. The symbol and string tables
/// are one block from the configured allocator; `mod->core_kallsyms.symtab` and `.strtab` point
/// into it. Free it only with `klpelf_release_module()`. `mod->klp_info` is not touched.
///
/// Returns 0 on success. On failure `*mod` is unchanged, nothing is leaked, `klpelf_last_error()`
/// says why, and the return value is:
/// - `-EINVAL`: `mod` or `info` is NULL, or `info` does not describe an image that
///   `klpelf_setup_load_info()` accepted (an index or bound that does not hold);
/// - `-EEXIST`: `mod->core_kallsyms.symtab` or `.strtab` is already set (call
///   `klpelf_release_module()` first);
/// - `-ENOEXEC`: the module has no name (`info->name` is NULL because `.modinfo` has no `name=`,
///   or it is empty);
/// - `-ENAMETOOLONG`: the name has `MODULE_NAME_LEN` (56) bytes or more, so it does not fit
///   `mod->name` with its NUL (klpelf does not cut it);
/// - `-ENOMEM`: the allocator failed.
///
/// # Safety
/// `mod` must be NULL or valid for reads and writes; `info` NULL or filled by
/// `klpelf_setup_load_info()` with its image still valid.
#[no_mangle]
pub unsafe extern "C" fn klpelf_prepare_module(r#mod: *mut Module, info: *const LoadInfo) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { r#mod.as_mut() }.ok_or(Error::NullArgument("mod"))?;
        // SAFETY: as above.
        let info = unsafe { non_null(info, "info") }?;
        if !module.core_kallsyms.symtab.is_null() || !module.core_kallsyms.strtab.is_null() {
            return Err(Error::KallsymsPresent);
        }
        // SAFETY: the caller's contract for `info->name`.
        let name = unsafe { module_name(info.name) }?;
        // SAFETY: the caller's contract for `info`'s image.
        let sections = unsafe { loaded_image(info) }?;
        let livepatch = match info.index.info {
            0 => false,
            index => {
                let (_, section) =
                    sections.section(index, "index.info is not a section inside the image")?;
                modinfo::find(section, b"livepatch").is_some()
            }
        };
        let symbols = sections.symbol_table(info.index.sym)?;
        let (_, strtab) =
            sections.section(info.index.str, "index.str is not a section inside the image")?;
        let kallsyms = kallsyms::copy(symbols, strtab)?;
        // Nothing fails from here on: `*mod` changes only on success.
        module.name = [0; MODULE_NAME_LEN];
        for (to, &from) in module.name.iter_mut().zip(name) {
            *to = from as c_char;
        }
        module.klp = livepatch;
        module.core_kallsyms = kallsyms;
        Ok(0)
    })
}

/// Frees what `klpelf_prepare_module()` and `copy_module_elf()` made for `*mod`: first
/// `mod->klp_info`, exactly as `free_module_elf()` does, then the `core_kallsyms` block, and sets the
/// freed pointers to NULL (`num_symtab` to 0). `name` and `klp` are left as they are. Accepts a
/// NULL `mod` and a module with nothing to free, so a second call is harmless.
///
/// # Safety
/// `mod` must be NULL or valid for reads and writes; its `klp_info` NULL or made by
/// `copy_module_elf()`; its `core_kallsyms.symtab` NULL or made by `klpelf_prepare_module()` (a
/// `core_kallsyms` the caller built itself must be freed by the caller and cleared first).
#[no_mangle]
pub unsafe extern "C" fn klpelf_release_module(r#mod: *mut Module) {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is accepted.
        if let Some(module) = unsafe { r#mod.as_mut() } {
            // SAFETY: the caller's contract: klp_info NULL or made by copy_module_elf(), symtab
            // NULL or made by klpelf_prepare_module().
            unsafe {
                persist::free_klp_info(module);
                kallsyms::free_kallsyms(module);
            }
        }
        Ok(())
    })
}

/// Finds the module signature appended to `image` (`len` bytes of a module file), as the kernel's
/// `mod_verify_sig()` / `mod_check_sig()` read it, and describes it in `*out`. Nothing is verified.
///
/// Returns 0 on success. On failure `*out` is unchanged, `klpelf_last_error()` says why, and the
/// return value is:
/// - `-ENODATA`: the image does not end with the marker `"~Module signature appended~\n"`: unsigned;
/// - `-EBADMSG`: the trailer is malformed: no room for `struct module_signature`, a `sig_len` that
///   leaves no module bytes, or a PKCS#7 trailer with a non-zero `algo`, `hash`, `signer_len`,
///   `key_id_len` or padding byte (the kernel's verdicts);
/// - `-ENOPKG`: the signature is not PKCS#7 (`id_type` other than 2), which the kernel refuses as
///   unsupported;
/// - `-EINVAL`: `image` or `out` is NULL, or `len` exceeds `PTRDIFF_MAX`.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `out` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_module_signature(
    image: *const c_void,
    len: usize,
    out: *mut KlpelfSignature,
) -> c_int {
    boundary(|| {
        if out.is_null() {
            return Err(Error::NullArgument("out"));
        }
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(image.cast::<u8>(), len, "image") }?;
        let found = signature::find(image)?;
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract.
        unsafe { out.write(found) };
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        let rc: c_int = boundary(|| panic!("boom"));
        assert_eq!(rc, -libc::ENOTRECOVERABLE);
        assert!(!klpelf_last_error().is_null());
    }

    #[test]
    fn success_clears_the_last_error() {
        error::set_last_error(&Error::AlreadyPersisted);
        assert_eq!(boundary(|| Ok(0)), 0);
        assert!(klpelf_last_error().is_null());
    }
}
