//! Fuzz target `image_open`: bytes as a module file, compressed or not → `klpelf_image_from_bytes()`
//! and, through a memory file, `klpelf_image_from_fd()` (the mapped and decoded paths) → the
//! loader's pipeline on the image.

use std::ffi::c_int;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd};

use klpelf::compression::KlpelfCompression;
use klpelf::ffi::{klpelf_image_from_fd, klpelf_set_image_limit};

use super::super::api::ENOMEM;
use super::super::compress::{from_bytes, Opened};
use super::setup_pipeline;

/// The image limit while fuzzing: small enough that a bomb is cheap to find out.
pub(super) const LIMIT: u64 = 8 << 20;

/// The target. Whatever the bytes, the opener either gives an image or fails cleanly: an
/// uncompressed input (no known magic) is taken as it is unless it is empty; a compressed one
/// decodes to at most the limit or fails with `-ENOEXEC` (a damaged stream, an empty image) or
/// `-EFBIG` (past the limit, or needing too much decoder memory), with a message naming the
/// format. The file and the bytes openers agree, and an image goes through the pipeline.
pub fn image_open(data: &[u8]) {
    klpelf_set_image_limit(LIMIT);
    let format = KlpelfCompression::detect(data);
    let from_memory = from_bytes(data);
    let from_file = through_file(data);
    match (&from_memory, &from_file) {
        (Ok(a), Ok(b)) => assert_eq!(a.bytes(), b.bytes(), "the two openers decoded differently"),
        (Err(a), Err(b)) => assert_eq!(a, b, "the two openers failed differently"),
        _ => panic!("one opener failed: {:?} / {:?}", from_memory.is_ok(), from_file.is_ok()),
    }
    match from_memory {
        Ok(image) => {
            assert_eq!(image.compression(), format);
            assert!(
                !image.bytes().is_empty()
                    && image.bytes().len() as u64 <= LIMIT.max(data.len() as u64)
            );
            assert_eq!(image.data() as usize % 8, 0);
            if format == KlpelfCompression::None {
                assert_eq!(image.bytes(), data);
            }
            setup_pipeline(image.bytes());
        }
        Err((rc, message)) => expected_failure(format, data, rc, &message),
    }
    klpelf_set_image_limit(0);
}

fn expected_failure(format: KlpelfCompression, data: &[u8], rc: c_int, message: &str) {
    if format == KlpelfCompression::None {
        assert!(data.is_empty(), "uncompressed bytes refused: {rc} {message}");
        assert_eq!(message, "the module file is empty");
        return;
    }
    assert!(
        [-libc::ENOEXEC, -libc::EFBIG, ENOMEM].contains(&rc),
        "{format:?}: unexpected {rc}: {message}"
    );
    assert!(message.starts_with(&format!("{}: ", format.name())), "{message}");
}

/// The bytes in a memory file, opened through its descriptor (mapped, as a regular file is).
fn through_file(data: &[u8]) -> Result<Opened, (c_int, String)> {
    // SAFETY: a NUL-terminated name; the new descriptor is owned by the File below.
    let fd = unsafe { libc::memfd_create(c"klpelf-fuzz".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create");
    // SAFETY: `fd` is a fresh descriptor owned by nothing else.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(data).unwrap();
    let mut out = std::ptr::null_mut();
    // SAFETY: an open descriptor; `out` is writable.
    let rc = unsafe { klpelf_image_from_fd(file.as_raw_fd(), &mut out) };
    if rc == 0 {
        Ok(Opened::from_raw(out))
    } else {
        assert!(out.is_null(), "a failed open changed *out");
        Err((rc, super::super::api::last_error().unwrap()))
    }
}
