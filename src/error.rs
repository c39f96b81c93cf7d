//! Errors: what went wrong (typed, for the Rust core), the negative errno a C caller gets, and the
//! per-thread message behind `klpelf_last_error()`.

use core::cell::{Cell, UnsafeCell};
use core::ffi::{c_char, c_int};
use core::fmt::{self, Write};

/// Every failure the library reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A required pointer argument (or pointer field) was NULL.
    NullArgument(&'static str),
    /// `mod->klp_info` is already set: persisting again would leak the first copy.
    AlreadyPersisted,
    /// A section index does not name a section of the table.
    IndexOutOfRange { what: &'static str, index: u64, count: u64 },
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
    /// A Rust panic was caught at the C boundary (a bug in klpelf).
    Panic,
}

impl Error {
    /// The negative errno value the C API returns for this error.
    pub fn errno(&self) -> c_int {
        -match self {
            Error::NullArgument(_)
            | Error::IndexOutOfRange { .. }
            | Error::IndexUndefined { .. }
            | Error::TooManySections { .. }
            | Error::TooLarge { .. }
            | Error::IncompleteAllocator => libc::EINVAL,
            Error::AlreadyPersisted => libc::EEXIST,
            Error::OutOfMemory { .. } => libc::ENOMEM,
            Error::AllocatorBusy { .. } => libc::EBUSY,
            Error::Panic => libc::ENOTRECOVERABLE,
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
            Error::TooManySections { count } => {
                write!(f, "section count {count} exceeds what a section index can address")
            }
            Error::TooLarge { what, size } => write!(f, "{what} of {size} bytes is too large"),
            Error::OutOfMemory { size } => write!(f, "allocation of {size} bytes failed"),
            Error::AllocatorBusy { live } => write!(
                f,
                "allocator in use: {live} blocks from the current allocator are still live"
            ),
            Error::IncompleteAllocator => f.write_str("allocator lacks an alloc or free function"),
            Error::Panic => f.write_str("internal error: a panic was caught in klpelf"),
        }
    }
}

/// Room for one message, NUL included; longer messages are truncated.
const MESSAGE_CAPACITY: usize = 256;

/// The calling thread's last error message.
struct LastError {
    present: Cell<bool>,
    text: UnsafeCell<[u8; MESSAGE_CAPACITY]>,
}

std::thread_local! {
    static LAST_ERROR: LastError = const {
        LastError { present: Cell::new(false), text: UnsafeCell::new([0; MESSAGE_CAPACITY]) }
    };
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

/// Records `error` as the calling thread's last error.
pub fn set_last_error(error: &Error) {
    LAST_ERROR.with(|slot| {
        // SAFETY: the buffer belongs to this thread alone, and no Rust reference to it outlives this
        // call; C reads it only through the pointer from `last_error()`, on this same thread, between
        // klpelf calls, so nothing reads it while it is written here.
        let buf = unsafe { &mut *slot.text.get() };
        let mut out = Truncating { buf, len: 0 };
        // Truncating never fails, so neither does formatting into it.
        let _ = write!(out, "{error}");
        let end = out.len;
        buf[end] = 0;
        slot.present.set(true);
    });
}

/// Forgets the calling thread's last error (every API call starts with this).
pub fn clear_last_error() {
    LAST_ERROR.with(|slot| slot.present.set(false));
}

/// The calling thread's last error message, NUL-terminated, or NULL when the last call succeeded.
pub fn last_error() -> *const c_char {
    LAST_ERROR.with(|slot| {
        if slot.present.get() {
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
        assert_eq!(Error::AlreadyPersisted.errno(), -libc::EEXIST);
        assert_eq!(Error::OutOfMemory { size: 1 }.errno(), -libc::ENOMEM);
        assert_eq!(Error::AllocatorBusy { live: 1 }.errno(), -libc::EBUSY);
        assert_eq!(Error::NullArgument("mod").errno(), -libc::EINVAL);
    }
}
