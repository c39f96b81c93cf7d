//! The library's runtime: the allocator, the last error (its message and, for a rejected image,
//! the check that rejected it) and the version.

use core::ffi::{c_char, c_int, CStr};
use core::ptr;

use super::boundary;
use crate::alloc::{self, KlpelfAllocator};
use crate::check_id::KlpelfCheck;
use crate::error;

/// Sets the allocator for every block klpelf hands out from now on. NULL restores the default, the
/// C library's `malloc`/`free` (the freestanding build has no default: with NULL, or before any
/// allocator is set, every call that allocates fails with `-ENOMEM`).
///
/// Returns 0 on success; `-EBUSY`, changing nothing, while blocks from a caller's allocator set
/// earlier (the current one) are still live (free them first); `-EINVAL` when `a->alloc` or
/// `a->free` is NULL. The struct is copied: `*a` need not outlive the call.
///
/// Blocks made by the default allocator never make this fail: each block records which allocator
/// made it, and the default's are always returned to the C library, whatever is set by then. The
/// default is `malloc`/`free`, except that blocks of 32 MiB and more (tables of some 400,000
/// sections) are mapped with `mmap`, populated at once and offered transparent huge pages, since
/// they are written whole and live as long as the module.
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
///
/// In the freestanding build (`libklpelf_freestanding.a`, klpelf built without its `std` feature)
/// there are no thread-locals: one message slot serves the whole program, and "the calling thread"
/// above means "the program". That is exact while klpelf is called from one thread (or CPU) at a
/// time, which is how a freestanding program should call it if it reads messages. Overlapping calls
/// stay safe otherwise (return values are exact, and the slot is never torn: a failure that finds
/// another one writing leaves the message to it), but the message may then be NULL or another
/// call's, and it must not be read while another klpelf call runs. It is always NUL-terminated
/// within 256 bytes.
#[no_mangle]
pub extern "C" fn klpelf_last_error() -> *const c_char {
    // Not through `boundary`, which would clear the message this returns; nothing here can panic.
    error::last_error()
}

/// Which check rejected the image in the calling thread's last failed klpelf call (as
/// `klpelf_last_error()` says which thread or program that is), or `KLPELF_CHECK_NONE` when that
/// call succeeded or failed for another reason than a check (a NULL argument, memory, a malformed
/// signature trailer...). Programs and tests should branch on this value, not on the message's
/// words. Leaves the last error as it is.
#[no_mangle]
pub extern "C" fn klpelf_last_error_check() -> KlpelfCheck {
    // Not through `boundary`, which would clear what this returns; nothing here can panic.
    error::last_error_check()
}

/// The stable short name of a check (`"sechdrs_overflow"`, `"index_str_type"`, ...), as the
/// documentation of the checks lists them, or NULL for a value that is no check. A static string;
/// do not free it. Leaves the last error as it is.
#[no_mangle]
pub extern "C" fn klpelf_check_name(check: c_int) -> *const c_char {
    match KlpelfCheck::from_value(check) {
        Some(check) => check.c_name().as_ptr(),
        None => ptr::null(),
    }
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
