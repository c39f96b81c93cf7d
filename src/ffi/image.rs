//! Module images owned by klpelf: opened from a path, a descriptor or bytes, compressed or not
//! (xz, zstd, gzip, told apart by magic), with accessors for the ELF bytes; and the image limit.

use core::ffi::{c_char, c_int, c_void};
use core::ptr::NonNull;

use super::{boundary, bytes, c_str};
use crate::compression::KlpelfCompression;
use crate::error::Error;
use crate::image::{limit, Image};

/// A module image owned by klpelf (opaque): the ELF bytes of a module file, decompressed if it was
/// compressed, 8-aligned and writable, ready for `klpelf_setup_load_info()`. Made by
/// `klpelf_image_open()`, `klpelf_image_from_fd()` or `klpelf_image_from_bytes()`; freed by
/// `klpelf_image_close()`. Its bytes stay valid and in place until then.
pub struct KlpelfImage {
    _opaque: [u8; 0],
}

/// Hands a made image to C through `out`.
fn image_out(image: Image, out: &mut *mut KlpelfImage) -> Result<c_int, Error> {
    *out = image.into_raw()?.as_ptr().cast();
    Ok(0)
}

/// Opens the module file at `path` (`.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`: the format is told by
/// the file's first bytes, not its name) and stores a new image in `*out`.
///
/// A regular file that is not compressed is mapped, not read: private and copy-on-write, so a
/// large file costs no memory until touched and `klpelf_prepare_module()`'s section-header rewrite
/// never reaches the file. The file must not be truncated while the image is open (as with any
/// mapping, reading a page past its new end raises `SIGBUS`). A compressed file is mapped, decoded
/// into one block from the configured allocator and unmapped. A FIFO, character device or other
/// stream is read to its end (opening a FIFO waits for a writer). Decoded and read images may be at
/// most the image limit long (`klpelf_set_image_limit()`).
///
/// Returns 0 on success. On failure `*out` is unchanged, nothing is leaked, `klpelf_last_error()`
/// names the file or the format and what was wrong, and the return value is:
/// - `-ENOEXEC`: the file, or what its stream decodes to, is empty; or a compressed stream is
///   truncated, corrupt (a bad header, bad data, a failed integrity check), followed by trailing
///   bytes, or followed by a second stream (a module file is one stream);
/// - `-EFBIG`: the image would be longer than the image limit (a decompression bomb, an endless
///   device), or the stream needs more than 256 MiB of decoder memory;
/// - `-EINVAL`: `path` or `out` is NULL;
/// - `-ENOMEM`: the allocator failed;
/// - `-EISDIR`, `-ENOENT`, `-EACCES`, ...: opening or reading the file failed (`-errno`);
/// - `-ENOSYS`: the freestanding build, which reads no files.
///
/// Nothing is checked beyond decoding: pass the bytes to `klpelf_setup_load_info()`.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_open(
    path: *const c_char,
    out: *mut *mut KlpelfImage,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let path = unsafe { c_str(path, "path") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        image_out(open(path)?, out)
    })
}

/// Makes an image from the file or stream open at `fd`, as `klpelf_image_open()` does from a path,
/// and stores it in `*out`. `fd` stays open and the caller's (klpelf never closes it); the image
/// does not need it afterwards. A regular file is used from its start whatever `fd`'s offset, which
/// is left as it was; a pipe, socket or character device is read from its current position to its
/// end. `fd` must be open for reading.
///
/// Returns and fails as `klpelf_image_open()` does, with `-EBADF` for a descriptor that is not
/// open (and `-EINVAL` only for a NULL `out`).
///
/// # Safety
/// `out` must be NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_from_fd(fd: c_int, out: *mut *mut KlpelfImage) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        image_out(from_fd(fd)?, out)
    })
}

/// Makes an image from `len` bytes of a module file at `buf`, compressed or not, and stores it in
/// `*out`. The bytes are copied (uncompressed) or decoded (compressed) into one block from the
/// configured allocator, so `buf` may be freed, and need not be aligned; the image is 8-aligned.
///
/// Returns and fails as `klpelf_image_open()` does (no file errors; `-EINVAL` also for a NULL
/// `buf` or a `len` past `PTRDIFF_MAX`). In the freestanding build a compressed `buf` gives
/// `-ENOSYS` (there is no decoder; see the freestanding documentation) and an uncompressed one is
/// copied as here.
///
/// # Safety
/// `buf` must be NULL or valid for reads of `len` bytes; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_from_bytes(
    buf: *const c_void,
    len: usize,
    out: *mut *mut KlpelfImage,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for `buf`.
        let buf = unsafe { bytes(buf.cast(), len, "buf") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        image_out(Image::from_bytes(buf)?, out)
    })
}

/// The image's ELF bytes: 8-aligned, `klpelf_image_size()` long, writable (a mapped file is mapped
/// privately), valid until `klpelf_image_close()`. Pass them to `klpelf_setup_load_info()`. NULL
/// (with a message) for a NULL `image`.
///
/// # Safety
/// `image` must be NULL or an open image.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_data(image: *const KlpelfImage) -> *mut c_void {
    boundary(|| {
        // SAFETY: the caller's contract: an open image.
        Ok(unsafe { borrow(image) }?.data().cast())
    })
}

/// The length in bytes of the image's ELF bytes (never 0 for an open image); 0 (with a message)
/// for a NULL `image`.
///
/// # Safety
/// `image` must be NULL or an open image.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_size(image: *const KlpelfImage) -> usize {
    boundary(|| {
        // SAFETY: the caller's contract: an open image.
        Ok(unsafe { borrow(image) }?.len())
    })
}

/// How the image was stored in its file or buffer: `KLPELF_COMPRESSION_NONE`, `_XZ`, `_ZSTD` or
/// `_GZIP`. `KLPELF_COMPRESSION_NONE` (with a message) for a NULL `image`.
///
/// # Safety
/// `image` must be NULL or an open image.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_compression(image: *const KlpelfImage) -> KlpelfCompression {
    boundary(|| {
        // SAFETY: the caller's contract: an open image.
        Ok(unsafe { borrow(image) }?.compression())
    })
}

/// Frees an image: its block, or its mapping. Accepts NULL. Every pointer into the image is invalid
/// afterwards: its bytes, a `struct load_info` describing them, and the section addresses
/// (`sh_addr`) that `klpelf_prepare_module()` set to the sections' places in the image, which
/// `copy_module_elf()` persists in `mod->klp_info` and `klpelf_resolve_symbols()` reads through:
/// resolve before closing. What prepare and copy allocated (`mod->core_kallsyms`, `mod->klp_info`)
/// is separate and stays valid until `klpelf_release_module()`.
///
/// # Safety
/// `image` must be NULL or an open image, not closed before.
#[no_mangle]
pub unsafe extern "C" fn klpelf_image_close(image: *mut KlpelfImage) {
    boundary(|| {
        if let Some(raw) = NonNull::new(image) {
            // SAFETY: the caller's contract: an open image, closed once.
            drop(unsafe { Image::from_raw(raw.cast()) });
        }
        Ok(())
    })
}

/// Sets the image limit: the most bytes a compressed module may decompress to, and a pipe or
/// character device may deliver, in the images made after this call. 0 restores the default,
/// `KLPELF_IMAGE_LIMIT_DEFAULT` (1 GiB). A mapped regular file has no limit: it is not held in
/// memory. The limit is one for the program (not per thread). Returns the limit now in force.
#[no_mangle]
pub extern "C" fn klpelf_set_image_limit(bytes: u64) -> u64 {
    boundary(|| Ok(limit::set(bytes)))
}

/// The image limit in force (see `klpelf_set_image_limit()`).
#[no_mangle]
pub extern "C" fn klpelf_image_limit() -> u64 {
    boundary(|| Ok(limit::get()))
}

/// The default image limit, 1 GiB: far above any distribution module (a few tens of MiB at most).
pub const KLPELF_IMAGE_LIMIT_DEFAULT: u64 = 1 << 30;
const _: () = assert!(KLPELF_IMAGE_LIMIT_DEFAULT == limit::DEFAULT_LIMIT);

/// The compression format `len` bytes at `buf` start with, by magic number, as the image
/// functions tell it (in the freestanding build too, so a host can pick its own decoder).
/// `KLPELF_COMPRESSION_NONE` for anything else, including fewer bytes than the magic; and (with a
/// message) for a NULL `buf`.
///
/// # Safety
/// `buf` must be NULL or valid for reads of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_detect_compression(
    buf: *const c_void,
    len: usize,
) -> KlpelfCompression {
    boundary(|| {
        // SAFETY: the caller's contract for `buf`.
        let buf = unsafe { bytes(buf.cast(), len, "buf") }?;
        Ok(KlpelfCompression::detect(buf))
    })
}

/// A compression format's short name (`"none"`, `"xz"`, `"zstd"`, `"gzip"`), a static string;
/// NULL for a value that is no `enum klpelf_compression`.
#[no_mangle]
pub extern "C" fn klpelf_compression_name(compression: c_int) -> *const c_char {
    boundary(|| {
        Ok(KlpelfCompression::from_value(compression)
            .map_or(core::ptr::null(), KlpelfCompression::c_name))
    })
}

/// Borrows an open image, rejecting NULL.
///
/// # Safety
/// `image` must be NULL or an open image, not closed while the borrow lives.
unsafe fn borrow<'a>(image: *const KlpelfImage) -> Result<&'a Image, Error> {
    let raw = NonNull::new(image.cast_mut()).ok_or(Error::NullArgument("image"))?;
    // SAFETY: the caller's contract: an open image from `Image::into_raw`.
    Ok(unsafe { Image::borrow_raw(raw.cast()) })
}

/// [`crate::image::open`]; the freestanding build reads no files.
fn open(path: &[u8]) -> Result<Image, Error> {
    #[cfg(feature = "std")]
    return crate::image::open(path);
    #[cfg(not(feature = "std"))]
    return Err(no_files(path.len()));
}

/// [`crate::image::from_fd`]; the freestanding build reads no files.
fn from_fd(fd: c_int) -> Result<Image, Error> {
    #[cfg(feature = "std")]
    return crate::image::from_fd(fd);
    #[cfg(not(feature = "std"))]
    return Err(no_files(fd as usize));
}

#[cfg(not(feature = "std"))]
fn no_files(_: usize) -> Error {
    crate::error::report(
        -crate::errno::ENOSYS,
        format_args!(
            "the freestanding klpelf reads no files: read the module and call \
             klpelf_image_from_bytes()"
        ),
    )
}
