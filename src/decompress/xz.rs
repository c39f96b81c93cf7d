//! xz streams, decoded by liblzma: one stream, its integrity check verified (the kernel's
//! `modules_install` writes CRC32; liblzma checks CRC32, CRC64 and SHA-256).

use liblzma::stream::{Action, Error as LzmaError, Status, Stream};

use super::output::Output;
use super::{after_end, first_guess, StreamFault, DECODER_MEMORY};
use crate::compression::KlpelfCompression;
use crate::error::Error;

const FORMAT: KlpelfCompression = KlpelfCompression::Xz;

/// Decodes one xz stream that must make up all of `input`.
pub fn decode(input: &[u8], limit: u64) -> Result<Output, Error> {
    let bad = |fault| Error::BadStream { format: FORMAT, fault };
    let mut stream = Stream::new_stream_decoder(DECODER_MEMORY, 0).map_err(|e| bad(fault(e, 0)))?;
    let mut output = Output::new(FORMAT, first_guess(input), limit)?;
    loop {
        let consumed = stream.total_in() as usize;
        let before = stream.total_out();
        let spare = output.spare()?;
        let status = stream
            .process_uninit(&input[consumed..], spare, Action::Finish)
            .map_err(|e| bad(fault(e, stream.total_in())))?;
        let written = (stream.total_out() - before) as usize;
        // SAFETY: liblzma wrote exactly the bytes `total_out` advanced by, into `spare`.
        unsafe { output.advance(written) };
        match status {
            Status::StreamEnd => break,
            // No progress is possible although there is room to write: the input ended inside the
            // stream.
            Status::MemNeeded => {
                return Err(bad(StreamFault::Truncated { len: input.len() as u64 }));
            }
            Status::Ok | Status::GetCheck => {}
        }
    }
    match after_end(FORMAT, input, stream.total_in() as usize) {
        Some(fault) => Err(bad(fault)),
        None => Ok(output),
    }
}

/// liblzma's verdict as a [`StreamFault`], `at` the input consumed when it came.
fn fault(error: LzmaError, at: u64) -> StreamFault {
    let what = match error {
        LzmaError::Data => "compressed data or the integrity check is corrupt",
        LzmaError::Format => "not an xz stream (bad header magic)",
        LzmaError::Options => "unsupported stream header or filter options",
        LzmaError::UnsupportedCheck => "unsupported integrity check",
        LzmaError::NoCheck => "no integrity check",
        LzmaError::Mem => "liblzma could not allocate memory",
        LzmaError::Program => "liblzma reported a programming error",
        LzmaError::MemLimit => return StreamFault::NeedsMemory { limit: DECODER_MEMORY },
    };
    StreamFault::Corrupt { what, at }
}
