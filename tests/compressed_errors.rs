//! Bad compressed input and bad files: every format truncated at several points, bit-flipped,
//! with trailing garbage, as concatenated streams, as a decompression bomb; empty files and
//! streams, a directory, a FIFO past the limit; each through every opener it applies to. Each gives
//! its own errno and a message naming the format and what is wrong, leaves `*out` alone (checked
//! by `support::compress`) and frees every block.

mod support;

use std::ffi::c_int;
use std::path::Path;
use std::process::{Command, Stdio};

use klpelf::compression::KlpelfCompression;
use klpelf::ffi::{klpelf_image_from_fd, klpelf_image_limit, klpelf_set_image_limit};
use support::alloc::{serial, CountingAllocator};
use support::api::{last_error, ENOEXEC};
use support::compress::{compressed, from_bytes, open, temp_file, temp_path, Via, FORMATS};
use support::objects::livepatch;

const EFBIG: c_int = -libc::EFBIG;

/// Opens `bytes` through a file (by path and by descriptor) and from memory; each must fail with
/// `errno` and a message containing `words`, freeing every block.
fn refused(bytes: &[u8], errno: c_int, words: &str) {
    let path = temp_file("bad", bytes);
    let counting = CountingAllocator::set();
    for via in [Via::Path, Via::Fd, Via::Bytes] {
        let (rc, message) = match open(&path, via) {
            Ok(_) => {
                panic!("{via:?}: opened {} bytes that should fail with {words:?}", bytes.len())
            }
            Err(failure) => failure,
        };
        assert_eq!(rc, errno, "{via:?}: {message}");
        assert!(message.contains(words), "{via:?}: {message:?} does not say {words:?}");
        assert_eq!(counting.live(), 0, "{via:?}: a block outlived the failure");
    }
    std::fs::remove_file(path).unwrap();
}

fn module() -> &'static [u8] {
    &livepatch().bytes
}

#[test]
fn truncated_streams_are_named() {
    let _serial = serial();
    for (format, ..) in FORMATS {
        let data = compressed(module(), format);
        for cut in [format.magic().len(), 12, data.len() / 3, data.len() / 2, data.len() - 1] {
            let words = format!("{}: truncated stream", format.name());
            refused(&data[..cut], ENOEXEC, &words);
        }
    }
}

#[test]
fn flipped_bits_are_caught() {
    let _serial = serial();
    for (format, ..) in FORMATS {
        let data = compressed(module(), format);
        // In the compressed data, and in the integrity check at the end.
        for at in [data.len() / 2, data.len() * 3 / 4, data.len() - 6] {
            let mut bad = data.clone();
            bad[at] ^= 0x10;
            refused(&bad, ENOEXEC, &format!("{}: ", format.name()));
        }
    }
}

#[test]
fn trailing_garbage_and_second_streams_are_refused() {
    let _serial = serial();
    for (format, ..) in FORMATS {
        let data = compressed(module(), format);
        let mut garbage = data.clone();
        garbage.extend_from_slice(b"not a stream");
        let words = format!("{}: 12 bytes of trailing garbage after the stream", format.name());
        refused(&garbage, ENOEXEC, &words);
        let concatenated = [data.clone(), data.clone()].concat();
        let words = format!("{}: a second stream starts at byte {}", format.name(), data.len());
        refused(&concatenated, ENOEXEC, &words);
    }
}

/// `len` zero bytes compressed by `format`'s tool from a pipe (so the stream does not announce its
/// size).
fn zeros_compressed(format: KlpelfCompression, len: u64) -> Vec<u8> {
    let (_, _, command) = FORMATS.iter().find(|(f, ..)| *f == format).unwrap();
    let mut tool = Command::new(command[0]);
    tool.arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped());
    if format == KlpelfCompression::Xz {
        tool.args(&command[1..3]);
    }
    let mut child = tool.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        std::io::copy(&mut std::io::Read::take(std::io::repeat(0), len), &mut stdin).unwrap()
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Sets the image limit for one test, restoring the default afterwards.
struct Limit;

impl Limit {
    fn set(bytes: u64) -> Self {
        assert_eq!(klpelf_set_image_limit(bytes), bytes);
        assert_eq!(klpelf_image_limit(), bytes);
        Limit
    }
}

impl Drop for Limit {
    fn drop(&mut self) {
        assert_eq!(klpelf_set_image_limit(0), 1 << 30, "0 restores the 1 GiB default");
    }
}

#[test]
fn a_bomb_stops_at_the_limit() {
    let _serial = serial();
    {
        let _limit = Limit::set(1 << 20);
        for (format, ..) in FORMATS {
            // From a file (zstd announces the size) and from a pipe (no stream announces it).
            let from_file = compressed(&vec![0; 3 << 20], format);
            let words = format!(
                "{}: the module decompresses to more than the image limit of 1048576 bytes",
                format.name()
            );
            refused(&from_file, EFBIG, &words);
            refused(&zeros_compressed(format, 3 << 20), EFBIG, &words);
            // Exactly at the limit is allowed.
            let image = from_bytes(&zeros_compressed(format, 1 << 20)).unwrap();
            assert_eq!(image.bytes().len(), 1 << 20);
        }
    }
    // The default limit, 1 GiB, against one byte more.
    let bomb = zeros_compressed(KlpelfCompression::Zstd, (1 << 30) + 1);
    assert!(bomb.len() < 1 << 20, "a small file: {} bytes", bomb.len());
    let (rc, message) = from_bytes(&bomb).err().unwrap();
    assert_eq!(rc, EFBIG, "{message}");
    assert!(message.contains("limit of 1073741824 bytes"), "{message}");
}

#[test]
fn empty_input_is_refused() {
    let _serial = serial();
    refused(b"", ENOEXEC, "the module file is empty");
    for (format, ..) in FORMATS {
        let words = format!("{}: the stream decodes to nothing", format.name());
        refused(&compressed(b"", format), ENOEXEC, &words);
    }
}

#[test]
fn files_that_are_not_modules_are_refused() {
    let _serial = serial();
    let dir = std::env::temp_dir();
    for via in [Via::Path, Via::Fd] {
        let (rc, message) = open(&dir, via).err().unwrap();
        assert_eq!(rc, -libc::EISDIR, "{via:?}: {message}");
        assert!(
            message.contains(&*dir.to_string_lossy()) || message.starts_with("fd "),
            "{message}"
        );
    }
    let missing = temp_path("missing.ko");
    let (rc, message) = open(&missing, Via::Path).err().unwrap();
    assert_eq!(rc, -libc::ENOENT);
    assert!(message.starts_with(&*missing.to_string_lossy()), "{message}");
    let mut out = std::ptr::null_mut();
    // SAFETY: -1 is no descriptor; `out` is writable.
    assert_eq!(unsafe { klpelf_image_from_fd(-1, &mut out) }, -libc::EBADF);
    assert!(out.is_null());
    assert!(last_error().unwrap().starts_with("fd -1: "));
}

#[test]
fn a_stream_past_the_limit_is_refused() {
    let _serial = serial();
    let _limit = Limit::set(64 << 10);
    let path = temp_path("fifo");
    let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let writer = {
        let path = path.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut fifo = std::fs::OpenOptions::new().write(true).open(path).unwrap();
            // The reader stops at the limit and closes the pipe: the writer sees EPIPE.
            let _ = fifo.write_all(&vec![0x7f; 1 << 20]);
        })
    };
    let counting = CountingAllocator::set();
    let (rc, message) = open(Path::new(&path), Via::Path).err().unwrap();
    assert_eq!(rc, EFBIG, "{message}");
    assert!(
        message.contains("the input is longer than the image limit of 65536 bytes"),
        "{message}"
    );
    assert_eq!(counting.live(), 0);
    drop(counting);
    writer.join().unwrap();
    std::fs::remove_file(path).unwrap();
}
