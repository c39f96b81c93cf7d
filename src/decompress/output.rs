//! The buffer a stream decompresses into: one block from the configured allocator (8-aligned, as
//! `klpelf_setup_load_info()` needs), grown by doubling, never past the image limit.

use core::mem::MaybeUninit;
use core::slice;

use crate::alloc::OwnedBlock;
use crate::compression::KlpelfCompression;
use crate::error::Error;

/// A growing output buffer with a hard limit.
pub struct Output {
    block: OwnedBlock,
    capacity: usize,
    /// Bytes written by the decoder.
    len: usize,
    /// The most bytes the output may hold.
    limit: usize,
    format: KlpelfCompression,
}

impl Output {
    /// An empty buffer for at most `limit` bytes, with room for `expected` at first (a size the
    /// stream announces, or a guess; it is only where the buffer starts).
    pub fn new(format: KlpelfCompression, expected: u64, limit: u64) -> Result<Self, Error> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(isize::MAX as usize - 64);
        // One byte past the limit, so that an output which exceeds it is seen doing so.
        let capacity = usize::try_from(expected).unwrap_or(usize::MAX).max(4096).min(limit + 1);
        let block = OwnedBlock::new(capacity)?;
        Ok(Output { block, capacity, len: 0, limit, format })
    }

    /// Room for the decoder to write into (uninitialised: decoders only write it), growing the
    /// buffer when it is full; fails with [`Error::ImageTooLarge`] once the output holds more than
    /// the limit.
    pub fn spare(&mut self) -> Result<&mut [MaybeUninit<u8>], Error> {
        self.check_limit()?;
        if self.len == self.capacity {
            self.grow()?;
        }
        // SAFETY: `len..capacity` lies inside the block; the borrow of `self` keeps the block
        // alive and unaliased while the slice lives; MaybeUninit needs no initialisation.
        Ok(unsafe {
            slice::from_raw_parts_mut(
                self.block.as_ptr().add(self.len).cast::<MaybeUninit<u8>>(),
                self.capacity - self.len,
            )
        })
    }

    /// Records that the decoder wrote `n` bytes at the start of the last [`Output::spare`].
    ///
    /// # Safety
    /// The decoder did write those `n` bytes, all inside the spare room.
    pub unsafe fn advance(&mut self, n: usize) {
        debug_assert!(self.len + n <= self.capacity);
        self.len += n;
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The written bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the first `len` bytes of the block were written by the decoder.
        unsafe { slice::from_raw_parts(self.block.as_ptr(), self.len) }
    }

    /// The block and the number of bytes written to it, once the stream has ended.
    pub fn finish(self) -> Result<(OwnedBlock, usize), Error> {
        self.check_limit()?;
        Ok((self.block, self.len))
    }

    fn check_limit(&self) -> Result<(), Error> {
        if self.len > self.limit {
            return Err(Error::ImageTooLarge { format: self.format, limit: self.limit as u64 });
        }
        Ok(())
    }

    fn grow(&mut self) -> Result<(), Error> {
        let capacity = self.capacity.saturating_mul(2).min(self.limit + 1);
        let block = OwnedBlock::new(capacity)?;
        // SAFETY: both blocks hold at least `len` bytes and are distinct allocations.
        unsafe { core::ptr::copy_nonoverlapping(self.block.as_ptr(), block.as_ptr(), self.len) };
        self.block = block;
        self.capacity = capacity;
        Ok(())
    }
}
