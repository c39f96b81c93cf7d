//! Image bytes as the C API takes them.

use std::alloc::{alloc, dealloc, Layout};
use std::ffi::c_void;
use std::ptr;

/// Bytes in a heap block of exactly their length, 8-aligned as `klpelf_setup_load_info()` requires
/// (a `Vec<u8>` promises only 1), so that AddressSanitizer reports a read even one byte past the
/// end. klpelf may write through [`Image::ptr`] (prepare rewrites the section headers, as the
/// kernel's loader does); [`Image::bytes`] shows what is there now.
pub struct Image {
    ptr: *mut u8,
    len: usize,
}

impl Image {
    pub fn new(bytes: &[u8]) -> Self {
        Self::at(bytes, 0)
    }

    /// `bytes` starting `skew` bytes past the block's 8-aligned start (zeros before them); the
    /// image's length counts the skew.
    pub fn at(bytes: &[u8], skew: usize) -> Self {
        let len = bytes.len() + skew;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc(Self::layout(len)) };
        assert!(!ptr.is_null(), "out of memory for a {len}-byte image");
        // SAFETY: the new block holds `skew + bytes.len()` bytes and cannot overlap `bytes`.
        unsafe {
            ptr::write_bytes(ptr, 0, skew);
            ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.add(skew), bytes.len());
        }
        Image { ptr, len }
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len.max(1), 8).expect("an image layout")
    }

    /// The block's 8-aligned start.
    pub fn base(&self) -> *mut u8 {
        self.ptr
    }

    /// The block's start as the C API takes it.
    pub fn ptr(&self) -> *mut c_void {
        self.ptr.cast()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the block holds `len` initialised bytes, borrowed with `self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The offset from the image's start of `p`, which must point into the image.
    pub fn offset_of(&self, p: *const u8) -> usize {
        let offset = (p as usize).checked_sub(self.ptr as usize);
        offset.filter(|&at| at <= self.len).expect("a pointer into the image")
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: allocated in `at` with this layout, freed once.
        unsafe { dealloc(self.ptr, Self::layout(self.len)) };
    }
}
