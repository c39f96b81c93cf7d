//! The most bytes klpelf holds in memory for one module image: what a compressed module may
//! decompress to, and what is read from a pipe or character device. A mapped regular file is not
//! held in memory and has no such limit.

use core::sync::atomic::{AtomicU64, Ordering};

/// The limit until `klpelf_set_image_limit()` changes it: 1 GiB. The largest module of a
/// distribution kernel is a few tens of MiB uncompressed, and a debug build's a few hundred.
pub(crate) const DEFAULT_LIMIT: u64 = 1 << 30;

static LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_LIMIT);

/// The limit in force.
pub fn get() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Sets the limit; 0 restores [`DEFAULT_LIMIT`]. Returns the limit now in force.
pub fn set(bytes: u64) -> u64 {
    let limit = if bytes == 0 { DEFAULT_LIMIT } else { bytes };
    LIMIT.store(limit, Ordering::Relaxed);
    limit
}
