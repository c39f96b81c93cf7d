//! Images from files and descriptors: regular files are mapped, anything else that reads (a pipe,
//! a character device, a socket) is read to its end into one block, at most the image limit long.

use core::ffi::c_int;
use core::fmt::Display;
use std::fs::File;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::mapping::Mapping;
use super::{limit, Image, Storage};
use crate::alloc::OwnedBlock;
use crate::compression::KlpelfCompression;
use crate::decompress::output::Output;
use crate::error::{self, Error};

/// The image of the file at `path`.
pub fn open(path: &[u8]) -> Result<Image, Error> {
    let path = Path::new(std::ffi::OsStr::from_bytes(path));
    let file = File::open(path).map_err(|e| io_error(path.display(), e))?;
    from_file(&file, path.display())
}

/// The image of the file or stream open at `fd`, which stays open and the caller's. A regular file
/// is mapped from its start, whatever the descriptor's offset; a stream is read from where it is.
pub fn from_fd(fd: c_int) -> Result<Image, Error> {
    let name = FdName(fd);
    // SAFETY: fstat writes only the struct it is given; a closed or invalid descriptor fails.
    if unsafe { libc::fstat(fd, &mut core::mem::zeroed()) } != 0 {
        return Err(io_error(name, io::Error::last_os_error()));
    }
    // SAFETY: `fd` is open (fstat succeeded) and stays open: the File is never dropped, so the
    // caller's descriptor is not closed.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
    from_file(&file, name)
}

fn from_file(file: &File, name: impl Display) -> Result<Image, Error> {
    let meta = file.metadata().map_err(|e| io_error(&name, e))?;
    if meta.is_dir() {
        return Err(io_error(&name, io::Error::from_raw_os_error(libc::EISDIR)));
    }
    // Regular files that report no size (as /proc's do) are read like streams.
    if meta.is_file() && meta.len() > 0 {
        if let Ok(len) = usize::try_from(meta.len()) {
            if let Ok(mapping) = Mapping::new(file.as_fd(), len) {
                return mapped(mapping);
            }
        }
    }
    let (block, len) = read_capped(file).map_err(|e| match e {
        ReadError::Io(e) => io_error(&name, e),
        ReadError::Other(e) => e,
    })?;
    if len == 0 {
        return Err(Error::EmptyImage { format: KlpelfCompression::None });
    }
    // SAFETY: the first `len` bytes of the block were read into.
    let bytes = unsafe { core::slice::from_raw_parts(block.as_ptr(), len) };
    match KlpelfCompression::detect(bytes) {
        KlpelfCompression::None => Ok(Image::in_block(block, len, KlpelfCompression::None)),
        format => Image::decoded(format, bytes),
    }
}

/// An image over a mapped file: used in place when uncompressed, decoded (and unmapped) when not.
fn mapped(mapping: Mapping) -> Result<Image, Error> {
    match KlpelfCompression::detect(mapping.bytes()) {
        KlpelfCompression::None => Ok(Image {
            len: mapping.bytes().len(),
            storage: Storage::Mapped(mapping),
            compression: KlpelfCompression::None,
        }),
        format => Image::decoded(format, mapping.bytes()),
    }
}

enum ReadError {
    Io(io::Error),
    Other(Error),
}

/// Reads `file` to its end into one block, failing once it has delivered more than the limit.
fn read_capped(file: &File) -> Result<(OwnedBlock, usize), ReadError> {
    let limit = limit::get();
    let mut output =
        Output::new(KlpelfCompression::None, 1 << 20, limit).map_err(ReadError::Other)?;
    loop {
        let spare = output.spare().map_err(ReadError::Other)?;
        // SAFETY: `spare` is valid for writes of its length; read writes at most that many bytes.
        let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
        match n {
            0 => break,
            // SAFETY: read wrote `n` bytes at the start of the spare room.
            1.. => unsafe { output.advance(n as usize) },
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(ReadError::Io(e));
                }
            }
        }
    }
    output.finish().map_err(ReadError::Other)
}

/// A system call's failure on `name`, as the negative errno and a message naming the file (the
/// system's description of the errno, without the " (os error N)" that Rust adds).
pub(crate) fn io_error(name: impl Display, e: io::Error) -> Error {
    let errno = e.raw_os_error().unwrap_or(libc::EIO);
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    error::report(-errno, format_args!("{name}: {text}"))
}

/// A descriptor as messages name it.
#[derive(Clone, Copy)]
struct FdName(c_int);

impl Display for FdName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "fd {}", self.0)
    }
}
