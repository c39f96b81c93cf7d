//! Typed, bounds-checked views over borrowed bytes: records read in place from a module image, the
//! byte ranges sections claim, and the NUL-terminated strings of a string table. Every reader of
//! an image goes through these; nothing here allocates.

use core::mem::{align_of, size_of};
use core::ops::Range;
use core::slice;

use crate::error::Error;
use crate::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym};

/// Records that may be read in place from an image's bytes.
///
/// # Safety
/// Implementors are `#[repr(C)]`, have no padding, and every bit pattern is a valid value.
pub unsafe trait Pod: Copy {}
// SAFETY: goblin's Elf64 header is #[repr(C)] with only integer fields and no padding (64 bytes,
// checked in layout.rs).
unsafe impl Pod for Elf64_Ehdr {}
// SAFETY: as above, a #[repr(C)] record of integers without padding (64 bytes).
unsafe impl Pod for Elf64_Shdr {}
// SAFETY: as above, a #[repr(C)] record of integers without padding (24 bytes).
unsafe impl Pod for Elf64_Sym {}

/// Why a typed view could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewError {
    /// The records would run past the end of the bytes.
    OutOfBounds,
    /// The records' address is not aligned for their type.
    Misaligned,
}

/// `count` records of `T` at `offset` in `bytes`, borrowed in place: bounds- and alignment-checked.
pub fn slice_at<T: Pod>(bytes: &[u8], offset: usize, count: usize) -> Result<&[T], ViewError> {
    let len = count.checked_mul(size_of::<T>()).ok_or(ViewError::OutOfBounds)?;
    let end = offset.checked_add(len).ok_or(ViewError::OutOfBounds)?;
    let bytes = bytes.get(offset..end).ok_or(ViewError::OutOfBounds)?;
    if bytes.as_ptr() as usize % align_of::<T>() != 0 {
        return Err(ViewError::Misaligned);
    }
    // SAFETY: `bytes` holds exactly `count * size_of::<T>()` bytes, aligned for `T` and borrowed for
    // the returned lifetime; `T: Pod` makes any bytes a valid `T`, and the shared borrow keeps them
    // from changing under the view.
    Ok(unsafe { slice::from_raw_parts(bytes.as_ptr().cast::<T>(), count) })
}

/// One record of `T` at `offset` in `bytes` (see [`slice_at`]).
pub fn one_at<T: Pod>(bytes: &[u8], offset: usize) -> Result<&T, ViewError> {
    slice_at(bytes, offset, 1)?.first().ok_or(ViewError::OutOfBounds)
}

/// The byte range `[offset, offset + size)` if it lies inside `len` bytes.
pub fn file_range(offset: u64, size: u64, len: usize) -> Option<Range<usize>> {
    let end = offset.checked_add(size)?;
    if end > len as u64 {
        return None;
    }
    Some(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)
}

/// The bytes of the NUL-terminated string starting at `offset` of `table`, without the NUL, if
/// the NUL is inside the table. The one reader of strings in string tables.
pub fn c_string(table: &[u8], offset: usize) -> Option<&[u8]> {
    let rest = table.get(offset..)?;
    core::ffi::CStr::from_bytes_until_nul(rest).ok().map(core::ffi::CStr::to_bytes)
}

/// Borrows a caller's buffer as bytes, rejecting NULL and lengths no Rust slice can have: the one
/// place a raw pointer and length become a byte slice.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads of `len` bytes for the lifetime chosen by the caller,
/// and not be written while the borrow lives.
pub unsafe fn raw_bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(Error::NullArgument(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::TooLarge { what, size: len as u64 });
    }
    // SAFETY: non-NULL, at most isize::MAX bytes, valid for reads by the caller's contract.
    Ok(unsafe { slice::from_raw_parts(ptr, len) })
}

/// Fails with `-EINVAL` unless the image starts at a multiple of 8, so that its header, section
/// table and symbol table can be typed views (and typed arrays for C).
pub fn require_aligned(image: &[u8]) -> Result<(), Error> {
    let address = image.as_ptr() as usize;
    if address % 8 == 0 {
        Ok(())
    } else {
        Err(Error::MisalignedImage { address })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An 8-aligned copy of `bytes` (the checks need an aligned image, as the C API does).
    pub(crate) struct Aligned(Vec<u64>, usize);

    impl Aligned {
        pub(crate) fn new(bytes: &[u8]) -> Self {
            let mut words = vec![0u64; bytes.len().div_ceil(8)];
            for (word, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
                let mut buf = [0; 8];
                buf[..chunk.len()].copy_from_slice(chunk);
                *word = u64::from_ne_bytes(buf);
            }
            Aligned(words, bytes.len())
        }

        pub(crate) fn bytes(&self) -> &[u8] {
            // SAFETY: the vector holds at least `self.1` initialized bytes, borrowed with `self`.
            unsafe { slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), self.1) }
        }
    }

    #[test]
    fn views_are_bounds_and_alignment_checked() {
        let buf = Aligned::new(&[0; 200]);
        let bytes = buf.bytes();
        assert_eq!(slice_at::<Elf64_Shdr>(bytes, 0, 3).map(<[_]>::len), Ok(3));
        assert_eq!(
            slice_at::<Elf64_Shdr>(bytes, 16, 3).map(<[_]>::len),
            Err(ViewError::OutOfBounds)
        );
        assert_eq!(slice_at::<Elf64_Shdr>(bytes, 4, 1).map(<[_]>::len), Err(ViewError::Misaligned));
        assert_eq!(
            slice_at::<Elf64_Sym>(bytes, usize::MAX, 1).map(<[_]>::len),
            Err(ViewError::OutOfBounds)
        );
        assert_eq!(
            slice_at::<Elf64_Sym>(bytes, 0, usize::MAX).map(<[_]>::len),
            Err(ViewError::OutOfBounds)
        );
        assert_eq!(slice_at::<Elf64_Sym>(bytes, 200, 0).map(<[_]>::len), Ok(0));
    }

    #[test]
    fn file_ranges_reject_overflow_and_overrun() {
        assert_eq!(file_range(10, 5, 15), Some(10..15));
        assert_eq!(file_range(10, 6, 15), None);
        assert_eq!(file_range(u64::MAX, 2, 15), None);
        assert_eq!(file_range(16, 0, 15), None);
    }

    #[test]
    fn strings_end_inside_their_table() {
        assert_eq!(c_string(b"\0abc\0de", 1), Some(&b"abc"[..]));
        assert_eq!(c_string(b"\0abc\0de", 5), None);
        assert_eq!(c_string(b"\0abc\0de", 99), None);
    }
}
