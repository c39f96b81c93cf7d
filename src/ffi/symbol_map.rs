//! A kernel's symbol map (`System.map`, `/proc/kallsyms`) as C sees it: loading, freeing, and the
//! resolve callback that finds a livepatch symbol in it with the kernel's rules.

use core::ffi::{c_char, c_int, c_ulong, c_void};
use core::ptr;

use super::{boundary, bytes, c_str, c_str_arg};
use crate::errno;
use crate::error::{self, Error};
use crate::livepatch::VMLINUX;
use crate::symbol_map::{LookupFailure, MapError, SymbolMap};

/// A kernel's symbol map (opaque): made by `klpelf_symbol_map_load()` or
/// `klpelf_symbol_map_load_buffer()`, freed by `klpelf_symbol_map_free()`.
pub struct KlpelfSymbolMap {
    _opaque: [u8; 0],
}

/// Parses a map and hands it to C through `out`.
fn symbol_map_out(text: &[u8], out: &mut *mut KlpelfSymbolMap) -> Result<c_int, Error> {
    let map = SymbolMap::parse(text).map_err(|e| match e {
        MapError::BadLine(bad) => error::report(
            -errno::EINVAL,
            format_args!("symbol map line {} is not 'address type name [module]'", bad.line),
        ),
        MapError::TooLarge => Error::TooLarge { what: "symbol map", size: text.len() as u64 },
        MapError::Placeholder { package } => error::report(
            -errno::ENODATA,
            format_args!(
                "this is not a symbol map but the placeholder Debian's linux-image packages install \
                 in /boot ('The real System.map is in the {} package'): use the System.map from \
                 the kernel's -dbg package (/usr/lib/debug/boot/System.map-<release>)",
                package.escape_ascii()
            ),
        ),
        MapError::AddressesHidden { symbols } => error::report(
            -errno::EPERM,
            format_args!(
                "all {symbols} addresses in the symbol map are 0, as /proc/kallsyms shows them to \
                 a reader without privilege (CAP_SYSLOG, or kernel.kptr_restrict): run as root, \
                 or use the kernel's System.map"
            ),
        ),
        MapError::Alloc(e) => e,
    })?;
    *out = map.into_raw().as_ptr().cast();
    Ok(0)
}

/// Loads a kernel's symbol map from a `System.map` or `/proc/kallsyms` file: lines of
/// `address type name` with an optional `[module]` (blank lines are skipped). The map is one block
/// from the configured allocator; free it with `klpelf_symbol_map_free()`.
///
/// Returns 0 and stores the map in `*out`; on failure `*out` is unchanged, `klpelf_last_error()`
/// says why and what to do, and the return value is:
/// - `-EINVAL`: a NULL argument, or a malformed line (the message gives its number);
/// - `-ENODATA`: the file is the one-line placeholder Debian's linux-image packages install as
///   `/boot/System.map-<release>` ("The real System.map is in the linux-image-<release>-dbg
///   package"): use the `System.map` from that `-dbg` package
///   (`/usr/lib/debug/boot/System.map-<release>`);
/// - `-EPERM`: every address is 0, as `/proc/kallsyms` shows them to a reader without privilege
///   (`CAP_SYSLOG`, `kernel.kptr_restrict`): no symbol could resolve; read it as root;
/// - `-ENOMEM`, or the negative errno of opening or reading
///   the file (the message names the file, with the C library's description of the errno).
///
/// Not available in the freestanding build (`-ENOSYS`); use `klpelf_symbol_map_load_buffer()` there.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_load(
    path: *const c_char,
    out: *mut *mut KlpelfSymbolMap,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let path = unsafe { c_str(path, "path") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        let text = read_file(path)?;
        symbol_map_out(&text, out)
    })
}

/// Without `std` (the freestanding build) there are no files to read: `-ENOSYS`. (An empty array,
/// so that the caller's `&text` is a slice in both builds.)
#[cfg(not(feature = "std"))]
fn read_file(_path: &[u8]) -> Result<[u8; 0], Error> {
    Err(error::report(
        -errno::ENOSYS,
        format_args!(
            "the freestanding klpelf reads no files: read the map and call \
             klpelf_symbol_map_load_buffer()"
        ),
    ))
}

/// Reads a whole file (`/proc/kallsyms` reports size 0, so it is read to its end).
#[cfg(feature = "std")]
fn read_file(path: &[u8]) -> Result<Vec<u8>, Error> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    std::fs::read(path).map_err(|e| crate::image::io_error(path.display(), e))
}

/// Loads a kernel's symbol map from `len` bytes of `System.map` or `/proc/kallsyms` text at `buf`
/// (see `klpelf_symbol_map_load()`); the text is copied, so `buf` may be freed afterwards.
///
/// Returns 0 and stores the map in `*out`; on failure `*out` is unchanged and the return value is
/// `-EINVAL` (a NULL argument or a malformed line), `-ENODATA` (Debian's placeholder), `-EPERM`
/// (every address 0) or `-ENOMEM`, as `klpelf_symbol_map_load()` describes them.
///
/// # Safety
/// `buf` must be NULL or valid for reads of `len` bytes; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_load_buffer(
    buf: *const c_void,
    len: usize,
    out: *mut *mut KlpelfSymbolMap,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for `buf`.
        let text = unsafe { bytes(buf.cast(), len, "buf") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        symbol_map_out(text, out)
    })
}

/// Frees a symbol map. Accepts NULL.
///
/// # Safety
/// `map` must be NULL or a map from `klpelf_symbol_map_load*()` not freed before.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_free(map: *mut KlpelfSymbolMap) {
    boundary(|| {
        if let Some(map) = ptr::NonNull::new(map) {
            // SAFETY: the caller's contract: the map came from into_raw() and is freed once.
            drop(unsafe { SymbolMap::from_raw(map.cast()) });
        }
        Ok(())
    })
}

/// A `klpelf_resolve_fn` over a symbol map (pass the map as `ctx`), with the kernel's rules: the
/// symbols of `objname` (NULL: vmlinux, the lines without `[module]`) named `symname`, in file
/// order; `sympos` 0 requires exactly one, N takes the N-th. A symbol whose address is 0 (as
/// `/proc/kallsyms` shows them to unprivileged readers) counts as not found, as in the kernel.
///
/// Returns 0 and writes the address to `*addr`, or `-EINVAL` with the kernel's wording in
/// `klpelf_last_error()`: "symbol '...' not found in symbol table", "unresolvable ambiguity for
/// symbol '...' in object '...'", "symbol position N for symbol '...' in object '...' not found"
/// (klpelf adds the number of candidates), or for a NULL `symname`, `addr` or `ctx`.
///
/// # Safety
/// `objname` and `symname` must be NULL or NUL-terminated strings, `addr` NULL or valid for
/// writes, `ctx` NULL or a map from `klpelf_symbol_map_load*()`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_resolve(
    objname: *const c_char,
    symname: *const c_char,
    sympos: c_ulong,
    addr: *mut c_ulong,
    ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL means vmlinux.
        let obj = unsafe { c_str_arg(objname) };
        // SAFETY: the caller's contract; NULL is rejected.
        let name = unsafe { c_str(symname, "symname") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let addr = unsafe { addr.as_mut() }.ok_or(Error::NullArgument("addr"))?;
        let map = ptr::NonNull::new(ctx).ok_or(Error::NullArgument("ctx (the symbol map)"))?;
        // SAFETY: the caller's contract: a live map, only borrowed here.
        let map = unsafe { SymbolMap::borrow_raw(map.cast()) };
        let found = map.lookup(obj, name, sympos).map_err(|reason| {
            let failure = LookupFailure { reason, objname: obj.unwrap_or(VMLINUX), name, sympos };
            error::report(-errno::EINVAL, format_args!("{failure}"))
        })?;
        *addr = found as c_ulong;
        Ok(0)
    })
}
