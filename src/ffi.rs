//! The C boundary: every exported function, each a thin shell that checks pointers, turns them into
//! borrowed views, calls the safe core and reports errors. Every export runs inside
//! [`boundary`], the one place where panics are caught, so no unwinding ever reaches C.

use core::ffi::{c_char, c_int, CStr};
use core::ptr::NonNull;
use core::slice;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::alloc::{self, KlpelfAllocator};
use crate::error::{self, Error};
use crate::layout::{LoadInfo, Module};
use crate::persist::{self, ElfTables, Numbering};

/// Runs one export: clears the thread's last error, runs `body`, and turns an error or a caught
/// panic into the thread's last error and a negative errno.
fn boundary(body: impl FnOnce() -> Result<c_int, Error>) -> c_int {
    error::clear_last_error();
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(value)) => return value,
        Ok(Err(error)) => error,
        Err(_) => Error::Panic,
    };
    error::set_last_error(&error);
    error.errno()
}

/// `boundary` for exports that return no status: an error is only recorded.
fn boundary_void(body: impl FnOnce()) {
    boundary(|| {
        body();
        Ok(0)
    });
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
/// - `-EINVAL`: `mod`, `info`, `info->hdr`, `info->sechdrs` or `info->secstrings` is NULL, or
///   `e_shstrndx` or `index.sym` is 0 or not below the section count;
/// - `-EEXIST`: `mod->klp_info` is already set (call `free_module_elf()` first);
/// - `-ENOMEM`: the allocator failed.
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
    boundary_void(|| {
        // SAFETY: the caller's contract; NULL is accepted.
        if let Some(module) = unsafe { r#mod.as_mut() } {
            if let Some(info) = NonNull::new(module.klp_info) {
                module.klp_info = core::ptr::null_mut();
                // SAFETY: a non-NULL klp_info was made by copy_module_elf, and is released once
                // since the pointer is cleared first.
                unsafe { persist::release(info) };
            }
        }
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
/// klpelf call succeeded (or it made none). The string is owned by klpelf and stays valid until the
/// thread's next klpelf call; do not free it.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        let rc = boundary(|| panic!("boom"));
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
