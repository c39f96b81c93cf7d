//! Compressed module images to their ELF bytes. A module file is one xz stream, one zstd frame or
//! one gzip member, as `scripts/Makefile.modinst` writes them; the decoded image goes into one
//! block from the configured allocator, at most the image limit long. Anything after the stream's
//! end is an error, so that what is checked and loaded is exactly what the stream holds.
//!
//! The decoders are the formats' reference C libraries, liblzma and libzstd (built into
//! libklpelf.a), and zlib-rs for gzip; the freestanding build has none of them (`std` feature).

#[cfg(feature = "std")]
mod gzip;
#[cfg(feature = "std")]
pub(crate) mod output;
#[cfg(feature = "std")]
mod xz;
#[cfg(feature = "std")]
mod zstd;

use core::fmt;

use crate::compression::KlpelfCompression;
#[cfg(feature = "std")]
use crate::{alloc::OwnedBlock, error::Error};

/// What is wrong with a compressed stream. Offsets count bytes of the compressed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFault {
    /// The input ends before the stream does.
    Truncated { len: u64 },
    /// The decoder found the stream corrupt; `what` is its word for how.
    Corrupt { what: &'static str, at: u64 },
    /// The stream asks for more decoder memory than klpelf grants (a huge dictionary or window).
    NeedsMemory { limit: u64 },
    /// Bytes that are not a stream of the format follow the stream's end.
    Trailing { at: u64, len: u64 },
    /// A second stream of the format follows the first; a module file holds one.
    Concatenated { at: u64 },
}

impl fmt::Display for StreamFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StreamFault::Truncated { len } => {
                write!(f, "truncated stream: the input ends after {len} bytes, before the stream")
            }
            StreamFault::Corrupt { what, at } => {
                write!(f, "corrupt stream near input byte {at}: {what}")
            }
            StreamFault::NeedsMemory { limit } => {
                write!(f, "the stream needs more than {limit} bytes of decoder memory")
            }
            StreamFault::Trailing { at, len } => {
                write!(
                    f,
                    "{len} bytes of trailing garbage after the stream, which ends at byte {at}"
                )
            }
            StreamFault::Concatenated { at } => write!(
                f,
                "a second stream starts at byte {at} (concatenated streams); a module is one stream"
            ),
        }
    }
}

/// Decoder memory klpelf grants a stream (xz's dictionary, zstd's window): 256 MiB. The kernel's
/// `modules_install` uses a 1 MiB xz dictionary and zstd's default window of 8 MiB at most.
#[cfg(feature = "std")]
pub(crate) const DECODER_MEMORY: u64 = 256 << 20;

/// The fault for what follows a stream's end at `at`, if anything does.
pub fn after_end(format: KlpelfCompression, input: &[u8], at: usize) -> Option<StreamFault> {
    let rest = input.get(at..).filter(|rest| !rest.is_empty())?;
    Some(if KlpelfCompression::detect(rest) == format {
        StreamFault::Concatenated { at: at as u64 }
    } else {
        StreamFault::Trailing { at: at as u64, len: rest.len() as u64 }
    })
}

/// Decodes `input`, a whole stream of `format`, into one 8-aligned block of at most `limit`
/// bytes; returns the block and the decoded length.
#[cfg(feature = "std")]
pub fn decompress(
    format: KlpelfCompression,
    input: &[u8],
    limit: u64,
) -> Result<(OwnedBlock, usize), Error> {
    let output = match format {
        KlpelfCompression::Xz => xz::decode(input, limit),
        KlpelfCompression::Zstd => zstd::decode(input, limit),
        KlpelfCompression::Gzip => gzip::decode(input, limit),
        KlpelfCompression::None => unreachable!("only compressed input is decoded"),
    }?;
    if output.is_empty() {
        return Err(Error::EmptyImage { format });
    }
    output.finish()
}

/// The first size to make room for when a stream does not announce its decoded size: modules
/// compress about four to one, so four times the input usually needs no second block.
#[cfg(feature = "std")]
fn first_guess(input: &[u8]) -> u64 {
    (input.len() as u64).saturating_mul(4)
}
