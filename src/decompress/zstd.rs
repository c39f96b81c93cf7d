//! Zstandard frames, decoded by libzstd: one frame, its content size and checksum verified when
//! the frame carries them (the `zstd` tool writes both sizes; `modules_install` adds no checksum).

use core::mem::MaybeUninit;

use zstd_safe::{get_error_name, get_frame_content_size, DCtx, DParameter, InBuffer, OutBuffer};

use super::output::Output;
use super::{after_end, first_guess, StreamFault, DECODER_MEMORY};
use crate::compression::KlpelfCompression;
use crate::error::Error;

const FORMAT: KlpelfCompression = KlpelfCompression::Zstd;

/// libzstd's message for a window larger than `ZSTD_d_windowLogMax` allows.
const WINDOW_TOO_LARGE: &str = "Frame requires too much memory for decoding";

/// Decodes one zstd frame that must make up all of `input`.
pub fn decode(input: &[u8], limit: u64) -> Result<Output, Error> {
    let bad = |fault| Error::BadStream { format: FORMAT, fault };
    let announced = get_frame_content_size(input).ok().flatten();
    if announced.is_some_and(|size| size > limit) {
        return Err(Error::ImageTooLarge { format: FORMAT, limit });
    }
    let mut context = DCtx::try_create().ok_or(Error::OutOfMemory { size: 0 })?;
    context
        .set_parameter(DParameter::WindowLogMax(DECODER_MEMORY.ilog2()))
        .map_err(|code| bad(fault(code, 0)))?;
    let mut output = Output::new(FORMAT, announced.unwrap_or_else(|| first_guess(input)), limit)?;
    let mut source = InBuffer::around(input);
    loop {
        let consumed = source.pos();
        let mut spare = Spare { buf: output.spare()?, filled: 0 };
        let mut sink = OutBuffer::around(&mut spare);
        let hint = context
            .decompress_stream(&mut sink, &mut source)
            .map_err(|code| bad(fault(code, source.pos() as u64)))?;
        let written = sink.pos();
        // SAFETY: libzstd wrote `written` bytes at the start of the spare room.
        unsafe { output.advance(written) };
        if hint == 0 {
            break;
        }
        if written == 0 && source.pos() == consumed {
            // Room to write and nothing written or read: the input ended inside the frame.
            return Err(bad(StreamFault::Truncated { len: input.len() as u64 }));
        }
    }
    match after_end(FORMAT, input, source.pos()) {
        Some(fault) => Err(bad(fault)),
        None => Ok(output),
    }
}

/// libzstd's error code as a [`StreamFault`].
fn fault(code: usize, at: u64) -> StreamFault {
    match get_error_name(code) {
        WINDOW_TOO_LARGE => StreamFault::NeedsMemory { limit: DECODER_MEMORY },
        what => StreamFault::Corrupt { what, at },
    }
}

/// The output's spare room as libzstd's `WriteBuf`: uninitialised memory it only writes.
struct Spare<'a> {
    buf: &'a mut [MaybeUninit<u8>],
    filled: usize,
}

// SAFETY: `capacity` and `as_mut_ptr` describe `buf`, valid for writes of its whole length;
// `as_slice` covers only the `filled` bytes libzstd reported written.
unsafe impl zstd_safe::WriteBuf for Spare<'_> {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: the first `filled` bytes were written by libzstd.
        unsafe { core::slice::from_raw_parts(self.buf.as_ptr().cast(), self.filled) }
    }

    fn capacity(&self) -> usize {
        self.buf.len()
    }

    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.buf.as_mut_ptr().cast()
    }

    unsafe fn filled_until(&mut self, n: usize) {
        self.filled = n;
    }
}
