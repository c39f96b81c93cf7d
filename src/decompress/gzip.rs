//! gzip members (RFC 1952), inflated by zlib-rs: the header is parsed here so that every fault is
//! named precisely; the trailer's CRC-32 and length are verified.

use flate2::{Crc, Decompress, FlushDecompress, Status};

use super::output::Output;
use super::{after_end, StreamFault};
use crate::compression::KlpelfCompression;
use crate::error::Error;

const FORMAT: KlpelfCompression = KlpelfCompression::Gzip;

/// The header's flag bits (`FLG`).
const FHCRC: u8 = 1 << 1;
const FEXTRA: u8 = 1 << 2;
const FNAME: u8 = 1 << 3;
const FCOMMENT: u8 = 1 << 4;
const FRESERVED: u8 = 0xe0;
/// `CM` for deflate, the only method gzip defines.
const DEFLATE: u8 = 8;
/// Deflate's greatest compression ratio (a 258-byte match in one bit, roughly).
const MAX_RATIO: u64 = 1032;
/// The trailer: CRC-32 and the decoded length modulo 2^32, both little-endian.
const TRAILER: usize = 8;

/// Decodes one gzip member that must make up all of `input`.
pub fn decode(input: &[u8], limit: u64) -> Result<Output, Error> {
    let bad = |fault| Error::BadStream { format: FORMAT, fault };
    let start = header_len(input).map_err(bad)?;
    // The last member's length field is the decoded size modulo 2^32: exact for any module, and
    // believed only as far as deflate's greatest ratio, 1032 to 1, allows.
    let announced = input.len().checked_sub(4).map_or(0, |at| u32_at(input, at));
    let expected = u64::from(announced).min((input.len() as u64).saturating_mul(MAX_RATIO));
    let mut output = Output::new(FORMAT, expected, limit)?;
    let mut inflate = Decompress::new(false);
    let mut crc = Crc::new();
    loop {
        let consumed = start + inflate.total_in() as usize;
        let before = inflate.total_out();
        let spare = output.spare()?;
        let status = inflate
            .decompress_uninit(&input[consumed..], spare, FlushDecompress::Finish)
            .map_err(|_| {
                let at = (start as u64) + inflate.total_in();
                bad(StreamFault::Corrupt { what: "invalid deflate data", at })
            })?;
        let written = (inflate.total_out() - before) as usize;
        // SAFETY: zlib-rs wrote exactly the bytes `total_out` advanced by, into `spare`.
        unsafe { output.advance(written) };
        crc.update(&output.bytes()[output.len() - written..]);
        match status {
            Status::StreamEnd => break,
            Status::BufError if written == 0 => {
                return Err(bad(StreamFault::Truncated { len: input.len() as u64 }));
            }
            Status::Ok | Status::BufError => {}
        }
    }
    let end = start + inflate.total_in() as usize;
    let trailer = input
        .get(end..end + TRAILER)
        .ok_or(bad(StreamFault::Truncated { len: input.len() as u64 }))?;
    if u32_at(trailer, 0) != crc.sum() {
        return Err(bad(StreamFault::Corrupt { what: "CRC-32 mismatch", at: end as u64 }));
    }
    if u32_at(trailer, 4) != output.len() as u32 {
        return Err(bad(StreamFault::Corrupt { what: "length mismatch", at: end as u64 + 4 }));
    }
    match after_end(FORMAT, input, end + TRAILER) {
        Some(fault) => Err(bad(fault)),
        None => Ok(output),
    }
}

/// The length of the member's header, checked.
fn header_len(input: &[u8]) -> Result<usize, StreamFault> {
    let truncated = StreamFault::Truncated { len: input.len() as u64 };
    let fixed = input.get(..10).ok_or(truncated)?;
    if fixed[2] != DEFLATE {
        return Err(StreamFault::Corrupt { what: "compression method is not deflate", at: 2 });
    }
    let flags = fixed[3];
    if flags & FRESERVED != 0 {
        return Err(StreamFault::Corrupt { what: "reserved header flags are set", at: 3 });
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = input.get(at..at + 2).ok_or(truncated)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            let nul = input.get(at..).and_then(|rest| rest.iter().position(|&b| b == 0));
            at += nul.ok_or(truncated)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        let stored = input.get(at..at + 2).ok_or(truncated)?;
        let mut crc = Crc::new();
        crc.update(&input[..at]);
        if u16::from_le_bytes([stored[0], stored[1]]) != crc.sum() as u16 {
            return Err(StreamFault::Corrupt { what: "header CRC mismatch", at: at as u64 });
        }
        at += 2;
    }
    if at >= input.len() {
        return Err(truncated);
    }
    Ok(at)
}

/// The little-endian `u32` at `at` (`at + 4` must be in bounds).
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
