//! Compressed modules as `modules_install` writes them (xz, zstd, gzip, made here by the tools with
//! `scripts/Makefile.modinst`'s options) give, through every opener, exactly what the uncompressed
//! module gives; uncompressed files are mapped privately and cost no memory until touched.

mod support;

use std::ffi::c_int;
use std::io::Write;

use klpelf::compression::KlpelfCompression;
use klpelf::ffi::klpelf_module_signature;
use klpelf::layout::KlpelfSignature;
use support::alloc::{serial, CountingAllocator};
use support::compress::{compressed, open, persisted, temp_file, Via, FORMATS};
use support::fuzz_targets::MARKER;
use support::image::Image;
use support::objects::{livepatch, plain};

const VIAS: [Via; 3] = [Via::Path, Via::Fd, Via::Bytes];

/// `module` with a PKCS#7-shaped signature trailer, as `scripts/sign-file` lays it out.
fn signed(module: &[u8]) -> Vec<u8> {
    let mut image = module.to_vec();
    image.extend((0..300u32).map(|i| (i * 13) as u8));
    image.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]);
    image.extend_from_slice(&300u32.to_be_bytes());
    image.extend_from_slice(MARKER);
    image
}

fn signature(bytes: &[u8]) -> Result<KlpelfSignature, c_int> {
    let mut out = KlpelfSignature::default();
    // SAFETY: `bytes` is readable for its length; `out` is writable.
    match unsafe { klpelf_module_signature(bytes.as_ptr().cast(), bytes.len(), &mut out) } {
        0 => Ok(out),
        rc => Err(rc),
    }
}

#[test]
fn every_format_and_opener_gives_what_the_uncompressed_module_gives() {
    let _serial = serial();
    let modules = [livepatch().bytes.clone(), plain().bytes.clone(), signed(&livepatch().bytes)];
    for module in &modules {
        let reference = Image::new(module);
        let expected = persisted(reference.base(), reference.len());
        for (format, ext, _) in FORMATS {
            let path = temp_file(&format!("module.ko.{ext}"), &compressed(module, format));
            for via in VIAS {
                let counting = CountingAllocator::set();
                let image =
                    open(&path, via).unwrap_or_else(|e| panic!("{format:?} {via:?}: {e:?}"));
                assert_eq!(image.compression(), format);
                assert_eq!(image.bytes(), &module[..], "{format:?} {via:?}: the decoded bytes");
                assert_eq!(image.data() as usize % 8, 0, "8-aligned");
                assert_eq!(signature(image.bytes()), signature(module), "{format:?} {via:?}");
                let got = persisted(image.data(), image.bytes().len());
                assert_eq!(got, expected, "{format:?} {via:?}: what the pipeline persists");
                drop(image);
                assert_eq!(counting.live(), 0, "{format:?} {via:?}: every block freed");
            }
            std::fs::remove_file(path).unwrap();
        }
    }
}

#[test]
fn an_uncompressed_file_is_mapped_privately() {
    let _serial = serial();
    let module = &livepatch().bytes;
    let path = temp_file("plain.ko", module);
    let counting = CountingAllocator::set();
    for via in VIAS {
        let image = open(&path, via).unwrap();
        assert_eq!(image.compression(), KlpelfCompression::None);
        assert_eq!(image.bytes(), &module[..]);
        let expected_blocks = match via {
            Via::Bytes => 2,          // the handle and the copy
            Via::Path | Via::Fd => 1, // the handle; the bytes are mapped
        };
        assert_eq!(counting.live(), expected_blocks, "{via:?}");
        if !matches!(via, Via::Bytes) {
            assert_eq!(image.data() as usize % 4096, 0, "{via:?}: a mapping starts on a page");
        }
        // prepare's section-header rewrite writes to the image; the file must not change.
        let _ = persisted(image.data(), image.bytes().len());
        assert_ne!(image.bytes(), &module[..], "{via:?}: prepare rewrote sh_addr in the image");
    }
    assert_eq!(std::fs::read(&path).unwrap(), *module, "the file is unchanged");
    assert_eq!(counting.live(), 0);
    std::fs::remove_file(path).unwrap();
}

/// Resident memory of this process, from /proc.
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_3_gib_sparse_file_costs_no_memory() {
    let _serial = serial();
    let module = &plain().bytes;
    let path = temp_file("sparse.ko", module);
    let size = 3u64 << 30;
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(size).unwrap();
    let before = resident_kib();
    for via in [Via::Path, Via::Fd] {
        let image = open(&path, via).unwrap();
        assert_eq!(image.bytes().len() as u64, size);
        assert_eq!(&image.bytes()[..module.len()], &module[..]);
        let grown = resident_kib().saturating_sub(before);
        assert!(grown < 64 << 10, "{via:?}: resident memory grew by {grown} KiB");
    }
    std::fs::remove_file(path).unwrap();
}

#[test]
fn a_fifo_is_read_to_its_end() {
    let _serial = serial();
    let module = &livepatch().bytes;
    for (format, ..) in FORMATS {
        let data = compressed(module, format);
        let path = support::compress::temp_path("fifo");
        let c_path = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let writer_path = path.clone();
        let writer = std::thread::spawn(move || {
            let mut fifo = std::fs::OpenOptions::new().write(true).open(writer_path).unwrap();
            fifo.write_all(&data).unwrap();
        });
        let image = open(&path, Via::Path).unwrap();
        writer.join().unwrap();
        assert_eq!(image.compression(), format);
        assert_eq!(image.bytes(), &module[..]);
        std::fs::remove_file(path).unwrap();
    }
}
