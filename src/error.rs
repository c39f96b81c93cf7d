//! Errors: what went wrong (typed, for the Rust core), the negative errno a C caller gets, and the
//! message behind `klpelf_last_error()`: per thread with the `std` feature, one for the program
//! without it (the freestanding build has no threads to tell apart).

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int};
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::check_id::KlpelfCheck;
use crate::compression::KlpelfCompression;
use crate::decompress::StreamFault;
use crate::errno;
use crate::inspect_view::InspectFault;
use crate::rejection::Rejection;
use crate::signature::{Pkcs7Fault, SignatureError, SignatureFault, VerifyError};

/// Every failure the library reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A required pointer argument (or pointer field) was NULL.
    NullArgument(&'static str),
    /// `mod->klp_info` is already set: persisting again would leak the first copy.
    AlreadyPersisted,
    /// A section index does not name a section of the table.
    IndexOutOfRange { what: &'static str, index: u64, count: u64 },
    /// A section index is in the reserved range (`SHN_LORESERVE` to below `SHN_XINDEX`).
    IndexReserved { what: &'static str, index: u32 },
    /// A section index is `SHN_UNDEF` (0) where a real section is required.
    IndexUndefined { what: &'static str },
    /// The section count is larger than a section index can address.
    TooManySections { count: u64 },
    /// A table is too large to copy on this host.
    TooLarge { what: &'static str, size: u64 },
    /// The allocator returned NULL or a block not aligned to 8 bytes.
    OutOfMemory { size: usize },
    /// `klpelf_set_allocator()` while blocks from the current allocator are live.
    AllocatorBusy { live: usize },
    /// A `struct klpelf_allocator` without an `alloc` or `free` function.
    IncompleteAllocator,
    /// No allocator is set and there is no default: the freestanding build (without `std`) has no
    /// C library `malloc`, so blocks come only from `klpelf_set_allocator()`'s (`-ENOMEM`).
    NoAllocator { size: usize },
    /// A Rust panic was caught at the C boundary (a bug in klpelf).
    Panic,
    /// A failure already recorded as the thread's last error by [`report`]; `errno` is what the
    /// export returns (a callback's own non-zero return value is passed on as it is).
    Reported { errno: c_int },
    /// The image fails one of the kernel's ELF checks, or one klpelf adds (`-ENOEXEC`).
    Rejected(Rejection),
    /// The image's address is not a multiple of 8, so its tables cannot be used as typed arrays.
    MisalignedImage { address: usize },
    /// `flags` has bits klpelf does not know.
    UnknownFlags { flags: u32 },
    /// The image carries no appended signature (`-ENODATA`).
    Unsigned,
    /// The appended signature's trailer is malformed (`-EBADMSG`, as the kernel's `mod_check_sig()`).
    BadSignature(SignatureFault),
    /// The appended signature is not PKCS#7 (`-ENOPKG`, as the kernel's `mod_check_sig()`).
    UnsupportedSignature { id_type: u8 },
    /// The appended PKCS#7 message is malformed (`-EBADMSG`, as the kernel's
    /// `pkcs7_parse_message()`).
    BadPkcs7(Pkcs7Fault),
    /// A signature that does not verify, or that no given key made (`-ENOKEY`, `-EKEYREJECTED`,
    /// `-ENOPKG`, as the kernel's `verify_pkcs7_signature()`).
    Verify(VerifyError),
    /// Certificates that could not be loaded (`-EBADMSG`, `-ENOPKG`, `-ENOKEY`).
    #[cfg(feature = "verify")]
    Certificates(crate::signature::certs::CertError),
    /// The module has no name: `load_info.name` is NULL (no `name=` in `.modinfo`) or empty.
    NoName,
    /// The module's name does not fit `struct module`'s `name` with its NUL.
    NameTooLong { len: usize },
    /// `mod->core_kallsyms` is already set: building it again would leak the first copy.
    KallsymsPresent,
    /// A `struct load_info` that does not describe an image `klpelf_setup_load_info()` accepted.
    BadLoadInfo { what: &'static str },
    /// A compressed module's stream is truncated, corrupt, or followed by more bytes (`-ENOEXEC`).
    BadStream { format: KlpelfCompression, fault: StreamFault },
    /// A module decompresses to, or a pipe or device delivers, more than the image limit
    /// (`-EFBIG`); `format` is `None` for an uncompressed stream.
    ImageTooLarge { format: KlpelfCompression, limit: u64 },
    /// The module file, or what its stream decodes to, is empty (`-ENOEXEC`).
    EmptyImage { format: KlpelfCompression },
    /// This build has no decompressor (the freestanding build, `-ENOSYS`).
    NoDecompressor { format: KlpelfCompression },
    /// A module file that cannot be inspected: not ELF64, a section table outside the file, or
    /// malformed version tables (`-ENOEXEC`).
    Inspect(InspectFault),
    /// An argument out of its documented range (`-EINVAL`); says which and why.
    Invalid(&'static str),
    /// What was asked for is not in the module (`-ENODATA`).
    Absent { what: &'static str },
}

impl Error {
    /// The negative errno value the C API returns for this error.
    pub fn errno(&self) -> c_int {
        -match self {
            Error::Reported { errno } => return *errno,
            Error::NullArgument(_)
            | Error::IndexOutOfRange { .. }
            | Error::IndexUndefined { .. }
            | Error::IndexReserved { .. }
            | Error::TooManySections { .. }
            | Error::TooLarge { .. }
            | Error::IncompleteAllocator
            | Error::MisalignedImage { .. }
            | Error::UnknownFlags { .. }
            | Error::BadLoadInfo { .. } => errno::EINVAL,
            Error::BadStream { .. } | Error::EmptyImage { .. } => errno::ENOEXEC,
            Error::ImageTooLarge { .. } => errno::EFBIG,
            Error::NoDecompressor { .. } => errno::ENOSYS,
            Error::AlreadyPersisted | Error::KallsymsPresent => errno::EEXIST,
            Error::Rejected(_) | Error::NoName | Error::Inspect(_) => errno::ENOEXEC,
            Error::Absent { .. } => errno::ENODATA,
            Error::Invalid(_) => errno::EINVAL,
            Error::Unsigned => errno::ENODATA,
            Error::BadSignature(_) => errno::EBADMSG,
            Error::UnsupportedSignature { .. } => errno::ENOPKG,
            Error::BadPkcs7(_) => errno::EBADMSG,
            Error::Verify(ref error) => return error.errno(),
            #[cfg(feature = "verify")]
            Error::Certificates(ref error) => {
                use crate::signature::certs::CertError;
                match error {
                    CertError::Malformed(_) => errno::EBADMSG,
                    CertError::UnsupportedKey(_) => errno::ENOPKG,
                    CertError::NoCertificates => errno::ENOKEY,
                }
            }
            Error::NameTooLong { .. } => errno::ENAMETOOLONG,
            Error::OutOfMemory { .. } | Error::NoAllocator { .. } => errno::ENOMEM,
            Error::AllocatorBusy { .. } => errno::EBUSY,
            Error::Panic => errno::ENOTRECOVERABLE,
        }
    }
}

impl From<SignatureError> for Error {
    fn from(error: SignatureError) -> Self {
        match error {
            SignatureError::Unsigned => Error::Unsigned,
            SignatureError::BadSignature(fault) => Error::BadSignature(fault),
            SignatureError::UnsupportedSignature { id_type } => {
                Error::UnsupportedSignature { id_type }
            }
            SignatureError::BadPkcs7(fault) => Error::BadPkcs7(fault),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NullArgument(what) => write!(f, "{what} is NULL"),
            Error::AlreadyPersisted => {
                f.write_str("mod->klp_info is already set (call free_module_elf() first)")
            }
            Error::IndexOutOfRange { what, index, count } => {
                write!(f, "{what} {index} is out of range: the module has {count} sections")
            }
            Error::IndexUndefined { what } => write!(f, "{what} is 0 (SHN_UNDEF)"),
            Error::IndexReserved { what, index } => {
                write!(f, "{what} {index:#x} is a reserved section index")
            }
            Error::TooManySections { count } => {
                write!(f, "section count {count} exceeds what a section index can address")
            }
            Error::TooLarge { what, size } => write!(f, "{what} of {size} bytes is too large"),
            Error::OutOfMemory { size } => write!(f, "allocation of {size} bytes failed"),
            Error::AllocatorBusy { live } => write!(
                f,
                "allocator in use: {live} block(s) from the current allocator are still live"
            ),
            Error::IncompleteAllocator => f.write_str("allocator lacks an alloc or free function"),
            Error::NoAllocator { size } => write!(
                f,
                "allocation of {size} bytes failed: no allocator is set (this klpelf is built \
                 without the C library; call klpelf_set_allocator() first)"
            ),
            Error::Panic => f.write_str("internal error: a panic was caught in klpelf"),
            Error::Reported { errno } => write!(f, "error {errno} (reported earlier)"),
            Error::Rejected(ref rejection) => write!(f, "{rejection}"),
            Error::MisalignedImage { address } => {
                write!(f, "image address {address:#x} is not a multiple of 8")
            }
            Error::UnknownFlags { flags } => write!(f, "unknown flags {flags:#x}"),
            Error::Unsigned => f.write_str("signature: the image carries no appended signature"),
            Error::BadSignature(ref fault) => write!(f, "signature: malformed trailer: {fault}"),
            Error::UnsupportedSignature { id_type } => write!(
                f,
                "signature: id_type {id_type} is not PKCS#7 (2), which is all the kernel accepts"
            ),
            Error::BadPkcs7(Pkcs7Fault(what)) => {
                write!(f, "signature: malformed PKCS#7 message: {what}")
            }
            Error::Verify(ref error) => write!(f, "signature: {error}"),
            #[cfg(feature = "verify")]
            Error::Certificates(ref error) => {
                use crate::signature::certs::CertError;
                match *error {
                    CertError::Malformed(what) => write!(f, "certificates: {what}"),
                    CertError::UnsupportedKey(what) => {
                        write!(f, "certificates: unsupported key: {what}")
                    }
                    CertError::NoCertificates => f.write_str("certificates: none found"),
                }
            }
            Error::NoName => f.write_str(
                "the module has no name (info->name is NULL or empty: no name= in .modinfo)",
            ),
            Error::NameTooLong { len } => write!(
                f,
                "the module name is {len} or more bytes; struct module holds at most {} and a NUL",
                crate::layout::MODULE_NAME_LEN - 1
            ),
            Error::KallsymsPresent => f.write_str(
                "mod->core_kallsyms is already set (call klpelf_release_module() first)",
            ),
            Error::BadLoadInfo { what } => write!(
                f,
                "info does not describe an image klpelf_setup_load_info() accepted: {what}"
            ),
            Error::BadStream { format, fault } => write!(f, "{}: {fault}", format.name()),
            Error::ImageTooLarge { format: KlpelfCompression::None, limit } => write!(
                f,
                "the input is longer than the image limit of {limit} bytes (see \
                 klpelf_set_image_limit())"
            ),
            Error::ImageTooLarge { format, limit } => write!(
                f,
                "{}: the module decompresses to more than the image limit of {limit} bytes (a \
                 decompression bomb, or a limit to raise with klpelf_set_image_limit())",
                format.name()
            ),
            Error::EmptyImage { format: KlpelfCompression::None } => {
                f.write_str("the module file is empty")
            }
            Error::EmptyImage { format } => {
                write!(f, "{}: the stream decodes to nothing (an empty module)", format.name())
            }
            Error::Inspect(ref fault) => write!(f, "{fault}"),
            Error::Absent { what } => write!(f, "the module has no {what}"),
            Error::Invalid(what) => f.write_str(what),
            Error::NoDecompressor { format } => write!(
                f,
                "the module is {}-compressed and this klpelf (the freestanding build) has no \
                 decompressor: decompress it and pass the ELF bytes",
                format.name()
            ),
        }
    }
}

/// Room for one message, NUL included; longer messages are truncated.
const MESSAGE_CAPACITY: usize = 256;

/// A last-error slot: the message, and whether it is current. With `std` each thread has its own;
/// without, the program has one (see `klpelf_last_error()`'s documentation).
struct LastError {
    /// The message is current: the last call failed.
    present: AtomicBool,
    /// The check behind the message ([`KlpelfCheck`] value), when a check rejected an image.
    check: AtomicU32,
    /// A message is being written. Only ever contended in the freestanding build, when two calls
    /// fail at once: the second leaves the message to the first instead of waiting or tearing it.
    writing: AtomicBool,
    /// The message, NUL-terminated; the last byte is never written, so it is always a NUL.
    text: UnsafeCell<[u8; MESSAGE_CAPACITY]>,
}

impl LastError {
    const fn new() -> Self {
        LastError {
            present: AtomicBool::new(false),
            check: AtomicU32::new(KlpelfCheck::None as u32),
            writing: AtomicBool::new(false),
            text: UnsafeCell::new([0; MESSAGE_CAPACITY]),
        }
    }
}

#[cfg(feature = "std")]
std::thread_local! {
    static LAST_ERROR: LastError = const { LastError::new() };
}

/// Runs `f` on the calling thread's slot.
#[cfg(feature = "std")]
fn with_slot<R>(f: impl FnOnce(&LastError) -> R) -> R {
    LAST_ERROR.with(f)
}

/// The program's one slot (no thread-locals without `std`).
#[cfg(not(feature = "std"))]
static LAST_ERROR: LastError = LastError::new();

// SAFETY: the flags are atomics; `text` is written only by the holder of `writing` (taken with a
// compare-and-swap), and read by C through `last_error()`'s pointer, which the documentation of
// `klpelf_last_error()` allows only while no other klpelf call runs.
#[cfg(not(feature = "std"))]
unsafe impl Sync for LastError {}

/// Runs `f` on the program's slot.
#[cfg(not(feature = "std"))]
fn with_slot<R>(f: impl FnOnce(&LastError) -> R) -> R {
    f(&LAST_ERROR)
}

/// Writes into a fixed buffer, keeping the last byte for the NUL and dropping what does not fit.
struct Truncating<'a> {
    buf: &'a mut [u8; MESSAGE_CAPACITY],
    len: usize,
}

impl Write for Truncating<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MESSAGE_CAPACITY - 1 - self.len;
        let n = s.len().min(room);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Records a failure whose message has details an [`Error`] cannot carry (names read from the
/// module, a callback's own message): the message is recorded now, and the returned
/// [`Error::Reported`] tells the C boundary to keep it.
pub fn report(errno: c_int, message: fmt::Arguments<'_>) -> Error {
    set_last_error(&message);
    Error::Reported { errno }
}

/// Records `error` as the last error (the calling thread's, with `std`): its message and, for a
/// rejected image, the check that rejected it.
pub fn record(error: &Error) {
    let check = match error {
        Error::Rejected(rejection) => rejection.check,
        _ => KlpelfCheck::None,
    };
    write_last_error(error, check);
}

/// Records `message` as the last error (the calling thread's, with `std`), with no check behind it.
pub fn set_last_error(message: &dyn fmt::Display) {
    write_last_error(message, KlpelfCheck::None);
}

fn write_last_error(message: &dyn fmt::Display, check: KlpelfCheck) {
    with_slot(|slot| {
        if slot.writing.swap(true, Ordering::Acquire) {
            // Another call is writing its message (freestanding build, overlapping calls): keep
            // that one rather than tear it; this call's return value still says what failed.
            return;
        }
        slot.present.store(false, Ordering::Relaxed);
        // SAFETY: holding `writing`, this is the only writer, and no Rust reference to the buffer
        // outlives this call; C reads it only through the pointer from `last_error()` between
        // klpelf calls (with `std`, on the thread that owns the slot), so nothing reads it now.
        let buf = unsafe { &mut *slot.text.get() };
        let mut out = Truncating { buf, len: 0 };
        // Truncating never fails, so neither does formatting into it.
        let _ = write!(out, "{message}");
        let end = out.len;
        buf[end] = 0;
        slot.check.store(check as u32, Ordering::Relaxed);
        slot.present.store(true, Ordering::Release);
        slot.writing.store(false, Ordering::Release);
    });
}

/// A copy of the last error message, kept while later calls may overwrite it (a callback's own
/// failure, or the first of several failures that is the one to report).
pub struct SavedMessage {
    text: [u8; MESSAGE_CAPACITY],
    len: usize,
}

impl SavedMessage {
    /// The calling thread's last error message (empty when the last call succeeded).
    pub fn take() -> Self {
        let mut saved = SavedMessage { text: [0; MESSAGE_CAPACITY], len: 0 };
        let message = last_error();
        if !message.is_null() {
            // SAFETY: a non-NULL last error is this thread's message buffer, MESSAGE_CAPACITY
            // bytes ending in a NUL, which nothing writes during this copy. (klpelf's own strnlen:
            // the freestanding build has no C library strlen.)
            let text = unsafe {
                let len = crate::freestanding::strnlen(message, MESSAGE_CAPACITY - 1);
                core::slice::from_raw_parts(message.cast::<u8>(), len)
            };
            saved.text[..text.len()].copy_from_slice(text);
            saved.len = text.len();
        }
        saved
    }

    /// True when there was no message.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for SavedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.text[..self.len].utf8_chunks() {
            f.write_str(chunk.valid())?;
            if !chunk.invalid().is_empty() {
                f.write_str("\u{fffd}")?;
            }
        }
        Ok(())
    }
}

/// Forgets the last error (every API call starts with this).
pub fn clear_last_error() {
    with_slot(|slot| slot.present.store(false, Ordering::Relaxed));
}

/// The check that rejected the image in the last failed call, or [`KlpelfCheck::None`].
pub fn last_error_check() -> KlpelfCheck {
    with_slot(|slot| {
        if !slot.present.load(Ordering::Acquire) {
            return KlpelfCheck::None;
        }
        let value = slot.check.load(Ordering::Relaxed);
        i32::try_from(value).ok().and_then(KlpelfCheck::from_value).unwrap_or(KlpelfCheck::None)
    })
}

/// The last error message, NUL-terminated, or NULL when the last call succeeded.
pub fn last_error() -> *const c_char {
    with_slot(|slot| {
        if slot.present.load(Ordering::Acquire) {
            slot.text.get().cast::<c_char>().cast_const()
        } else {
            core::ptr::null()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    #[test]
    fn message_round_trip_and_clear() {
        clear_last_error();
        assert!(last_error().is_null());
        set_last_error(&Error::IndexOutOfRange { what: "e_shstrndx", index: 9, count: 4 });
        // SAFETY: last_error() returned a non-NULL pointer to this thread's NUL-terminated buffer.
        let msg = unsafe { CStr::from_ptr(last_error()) };
        assert_eq!(
            msg.to_str().unwrap(),
            "e_shstrndx 9 is out of range: the module has 4 sections"
        );
        clear_last_error();
        assert!(last_error().is_null());
    }

    #[test]
    fn long_messages_are_truncated_and_terminated() {
        let what: &'static str = "x".repeat(400).leak();
        set_last_error(&Error::NullArgument(what));
        // SAFETY: as above.
        let msg = unsafe { CStr::from_ptr(last_error()) };
        assert_eq!(msg.to_bytes().len(), MESSAGE_CAPACITY - 1);
    }

    #[test]
    fn errno_values() {
        assert_eq!(Error::AlreadyPersisted.errno(), -errno::EEXIST);
        assert_eq!(Error::OutOfMemory { size: 1 }.errno(), -errno::ENOMEM);
        assert_eq!(Error::NoAllocator { size: 1 }.errno(), -errno::ENOMEM);
        assert_eq!(Error::AllocatorBusy { live: 1 }.errno(), -errno::EBUSY);
        assert_eq!(Error::NullArgument("mod").errno(), -errno::EINVAL);
        assert_eq!(Error::MisalignedImage { address: 1 }.errno(), -errno::EINVAL);
        assert_eq!(Error::UnknownFlags { flags: 2 }.errno(), -errno::EINVAL);
        assert_eq!(Error::BadLoadInfo { what: "x" }.errno(), -errno::EINVAL);
        assert_eq!(Error::KallsymsPresent.errno(), -errno::EEXIST);
        assert_eq!(Error::NoName.errno(), -errno::ENOEXEC);
        assert_eq!(Error::Unsigned.errno(), -errno::ENODATA);
        assert_eq!(Error::UnsupportedSignature { id_type: 1 }.errno(), -errno::ENOPKG);
        assert_eq!(Error::NameTooLong { len: 56 }.errno(), -errno::ENAMETOOLONG);
        let fault = SignatureFault::TooShort { before_marker: 3 };
        assert_eq!(Error::BadSignature(fault).errno(), -errno::EBADMSG);
    }
}
