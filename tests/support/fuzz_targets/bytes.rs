//! Plain bytes: the fuzzer's input read front to back, and klpelf's `#[repr(C)]` structs viewed as
//! and made from their bytes.

use std::ptr;

/// Reads the fuzzer's bytes front to back; past the end everything is 0.
pub struct Reader<'a>(pub &'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }

    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    /// At most `n` bytes: as many as are left.
    pub fn up_to(&mut self, n: usize) -> Vec<u8> {
        let m = n.min(self.0.len());
        let (taken, rest) = self.0.split_at(m);
        self.0 = rest;
        taken.to_vec()
    }

    /// Exactly `n` bytes, zero-filled past the end.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = self.up_to(n);
        out.resize(n, 0);
        out
    }
}

/// The bytes of a `#[repr(C)]` value, padding included (compared to show a value untouched).
pub fn bytes_of<T>(value: &T) -> &[u8] {
    // SAFETY: any initialised value may be viewed as its `size_of::<T>()` bytes for reading; the
    // structs compared here were created from bytes (so their padding is initialised too).
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

/// A `#[repr(C)]` value of plain integers and pointers made from `size_of::<T>()` bytes (all of
/// them, padding included, so that byte comparisons of the value are meaningful).
///
/// # Safety
/// Every bit pattern must be a valid `T` (integers, raw pointers, and `bool`s fixed by the caller).
pub unsafe fn from_bytes<T>(bytes: &[u8]) -> T {
    assert!(bytes.len() >= size_of::<T>());
    // SAFETY: the caller's contract; `read_unaligned` accepts any address.
    unsafe { ptr::read_unaligned(bytes.as_ptr().cast::<T>()) }
}
