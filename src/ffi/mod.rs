//! The C boundary: every exported function, grouped as the header presents them (`persist`:
//! the kernel's two functions; `image`: module files, compressed or not, opened into images klpelf
//! owns; `ingest`: module images to `load_info` and `struct module`; `livepatch`: the livepatch
//! names and relocation walk; `modinfo`: a module file's `.modinfo` entries, symbol versions and
//! version magic, for any architecture; `klp_relocs`: applying and clearing livepatch relocations;
//! `symbol_map`: a kernel's symbol map; `signature`: the appended module signature, read and
//! verified;
//! `runtime`: allocator, errors, version). Each export checks its pointers, turns them into
//! borrowed views, makes one call into the safe core and maps the result. Every export runs inside
//! `boundary`, the one place where panics are caught, so no unwinding ever reaches C.

mod image;
mod ingest;
mod klp_relocs;
mod livepatch;
mod modinfo;
mod persist;
mod runtime;
mod signature;
mod symbol_map;

pub use image::*;
pub use ingest::*;
pub use klp_relocs::*;
pub use livepatch::*;
pub use modinfo::*;
pub use persist::*;
pub use runtime::*;
pub use signature::*;
pub use symbol_map::*;

use core::ffi::{c_char, c_int, c_void};
use core::ptr;
use core::slice;

#[cfg(panic = "unwind")]
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::compression::KlpelfCompression;
use crate::error::{self, Error};
use crate::freestanding::strnlen;
use crate::view::c_string;

pub(crate) use crate::view::raw_bytes as bytes;

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

impl FailureValue for *mut c_void {
    fn failure(_: c_int) -> Self {
        ptr::null_mut()
    }
}

/// A size or limit: 0.
impl FailureValue for usize {
    fn failure(_: c_int) -> Self {
        0
    }
}

impl FailureValue for u64 {
    fn failure(_: c_int) -> Self {
        0
    }
}

impl FailureValue for KlpelfCompression {
    fn failure(_: c_int) -> Self {
        KlpelfCompression::None
    }
}

/// Runs one export: clears the thread's last error, runs `body`, and turns an error or a caught
/// panic into the thread's last error and the export's failure value. Built with `panic = "abort"`
/// (the freestanding build) a panic never unwinds: it stops the program (see
/// `crate::freestanding`), so there is nothing to catch and no unwinding reaches C in either case.
fn boundary<T: FailureValue>(body: impl FnOnce() -> Result<T, Error>) -> T {
    error::clear_last_error();
    #[cfg(panic = "unwind")]
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(Error::Panic));
    #[cfg(not(panic = "unwind"))]
    let result = body();
    let error = match result {
        Ok(value) => return value,
        Err(error) => error,
    };
    if !matches!(error, Error::Reported { .. }) {
        error::record(&error);
    }
    T::failure(error.errno())
}

/// The bytes of an export's `image` argument, once its `out` argument is known to be non-NULL: the
/// prologue of the exports that describe an image into one out-parameter.
///
/// # Safety
/// A non-NULL `image` must be valid for reads of `len` bytes for the lifetime chosen.
unsafe fn image_for<'a, T>(
    image: *const c_void,
    len: usize,
    out: *mut T,
) -> Result<&'a [u8], Error> {
    if out.is_null() {
        return Err(Error::NullArgument("out"));
    }
    // SAFETY: the caller's contract for `image`.
    unsafe { bytes(image.cast::<u8>(), len, "image") }
}

/// Borrows a C pointer argument, naming it in the error when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads as a `T` for the lifetime chosen by the caller.
unsafe fn non_null<'a, T>(ptr: *const T, what: &'static str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid.
    unsafe { ptr.as_ref() }.ok_or(Error::NullArgument(what))
}

/// Borrows a C string argument as its bytes (without the NUL), or `None` for NULL: the string is
/// measured, then read with the one string reader, [`c_string`].
///
/// # Safety
/// A non-NULL `s` must be a NUL-terminated string that outlives the borrow and is not written
/// while it lives.
unsafe fn c_str_arg<'a>(s: *const c_char) -> Option<&'a [u8]> {
    if s.is_null() {
        return None;
    }
    // SAFETY: the caller's contract: the string, NUL included, is readable; no C string is longer
    // than isize::MAX bytes, so strnlen stops at its NUL.
    let len = unsafe { strnlen(s, isize::MAX as usize) };
    // SAFETY: `len` bytes and the NUL after them were just read.
    let bytes = unsafe { slice::from_raw_parts(s.cast::<u8>(), len + 1) };
    c_string(bytes, 0)
}

/// Borrows a required C string argument, naming it in the error when it is NULL.
///
/// # Safety
/// As for [`c_str_arg`].
unsafe fn c_str<'a>(s: *const c_char, what: &'static str) -> Result<&'a [u8], Error> {
    // SAFETY: the caller's contract.
    unsafe { c_str_arg(s) }.ok_or(Error::NullArgument(what))
}

/// Copies `bytes` and a NUL into `out`, which the caller sized for the longest field plus its NUL.
fn c_string_into<const N: usize>(bytes: &[u8], out: &mut [c_char; N]) {
    let len = bytes.len().min(N - 1);
    for (to, &from) in out.iter_mut().zip(&bytes[..len]) {
        *to = from as c_char;
    }
    out[len] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno;

    #[test]
    fn a_panic_becomes_an_error() {
        let rc: c_int = boundary(|| panic!("boom"));
        assert_eq!(rc, -errno::ENOTRECOVERABLE);
        assert!(!klpelf_last_error().is_null());
    }

    #[test]
    fn success_clears_the_last_error() {
        error::set_last_error(&Error::AlreadyPersisted);
        assert_eq!(boundary(|| Ok(0)), 0);
        assert!(klpelf_last_error().is_null());
    }
}
