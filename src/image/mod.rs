//! A module image owned by klpelf: the ELF bytes of a module file, ready for
//! `klpelf_setup_load_info()`. Uncompressed regular files are mapped (copy-on-write, so
//! `klpelf_prepare_module()`'s section-header rewrite stays private); compressed images, told
//! apart by magic, are decoded into one 8-aligned block; pipes and character devices are read into
//! one, never past the image [`limit`].

pub mod limit;

#[cfg(feature = "std")]
mod file;
#[cfg(feature = "std")]
mod mapping;

use core::ptr::NonNull;

use crate::alloc::OwnedBlock;
use crate::compression::KlpelfCompression;
use crate::error::Error;

#[cfg(feature = "std")]
pub(crate) use file::io_error;
#[cfg(feature = "std")]
pub use file::{from_fd, open};

/// Where an image's bytes live.
enum Storage {
    /// A block from the configured allocator.
    Block(OwnedBlock),
    /// A private mapping of a regular file.
    #[cfg(feature = "std")]
    Mapped(mapping::Mapping),
}

/// A module image's ELF bytes, owned.
pub struct Image {
    storage: Storage,
    len: usize,
    compression: KlpelfCompression,
}

impl Image {
    /// The image of `bytes`, a module file's contents: decoded when they start with a compression
    /// format's magic, copied when not.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match KlpelfCompression::detect(bytes) {
            KlpelfCompression::None => Self::copied(bytes),
            format => Self::decoded(format, bytes),
        }
    }

    /// An uncompressed image copied into a block of its own.
    fn copied(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Err(Error::EmptyImage { format: KlpelfCompression::None });
        }
        let block = OwnedBlock::new(bytes.len())?;
        // SAFETY: the block holds `bytes.len()` bytes and is a fresh allocation.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), block.as_ptr(), bytes.len()) };
        Ok(Self::in_block(block, bytes.len(), KlpelfCompression::None))
    }

    /// A compressed image, decoded.
    #[cfg(feature = "std")]
    fn decoded(format: KlpelfCompression, bytes: &[u8]) -> Result<Self, Error> {
        let (block, len) = crate::decompress::decompress(format, bytes, limit::get())?;
        Ok(Self::in_block(block, len, format))
    }

    /// Without `std` there is no decoder: the host decompresses (docs/freestanding.md).
    #[cfg(not(feature = "std"))]
    fn decoded(format: KlpelfCompression, _bytes: &[u8]) -> Result<Self, Error> {
        Err(Error::NoDecompressor { format })
    }

    fn in_block(block: OwnedBlock, len: usize, compression: KlpelfCompression) -> Self {
        Image { storage: Storage::Block(block), len, compression }
    }

    /// The first byte of the ELF image, 8-aligned; writable (a mapping is private).
    pub fn data(&self) -> *mut u8 {
        match &self.storage {
            Storage::Block(block) => block.as_ptr(),
            #[cfg(feature = "std")]
            Storage::Mapped(mapping) => mapping.as_ptr(),
        }
    }

    /// The ELF image's length in bytes (never 0).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: an empty image is refused when it is made.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How the image was stored in its file or buffer.
    pub fn compression(&self) -> KlpelfCompression {
        self.compression
    }
}

impl Image {
    /// Moves the image into a block of its own from the configured allocator, for C to hold; the
    /// image is dropped (its bytes freed) if that allocation fails.
    pub fn into_raw(self) -> Result<NonNull<Image>, Error> {
        let block = OwnedBlock::new(core::mem::size_of::<Image>())?;
        let raw = block.into_raw().cast::<Image>();
        // SAFETY: the block is 8-aligned (enough for `Image`) and `size_of::<Image>()` bytes long.
        unsafe { raw.write(self) };
        Ok(raw)
    }

    /// Borrows an image handed to C by [`Image::into_raw`].
    ///
    /// # Safety
    /// `raw` came from `into_raw` and has not been given to [`Image::from_raw`]; it is not freed
    /// while the borrow lives.
    pub unsafe fn borrow_raw<'a>(raw: NonNull<Image>) -> &'a Image {
        // SAFETY: the caller's contract: a live image written by `into_raw`.
        unsafe { raw.as_ref() }
    }

    /// Takes back an image handed to C by [`Image::into_raw`], and frees its handle block.
    ///
    /// # Safety
    /// `raw` came from `into_raw` and is not used again.
    pub unsafe fn from_raw(raw: NonNull<Image>) -> Image {
        // SAFETY: the caller's contract: `raw` holds a live image in a block from `into_raw`,
        // read out once before the block is freed.
        unsafe {
            let image = raw.read();
            drop(OwnedBlock::from_raw(raw.cast()));
            image
        }
    }
}
