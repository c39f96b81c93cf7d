//! The `images` group: a real distribution module opened through klpelf's image API against the
//! command-line decompressors piping into the bytes API, and an uncompressed module opened from
//! its file against the same bytes already mapped. Each case ends with `klpelf_setup_load_info` on
//! the image, so every variant does the same work a loader needs before `prepare`.
//!
//! The module is `$KLPELF_BENCH_MODULE` (a `.ko.xz`), or else the largest `.ko.xz` of the Debian
//! kernel package that the test `c_compressed_debian` unpacks into `build/debian-6.12/`; without
//! either the group is skipped. Its `.ko` and `.ko.zst` are made here with `xz -dc` and `zstd`
//! (`scripts/Makefile.modinst`'s options).
//!
//! Variants / parameters: `klpelf/xz`, `klpelf/zst`: `klpelf_image_open` + setup + close;
//! `cli/xz`, `cli/zst`: `xz -dc` / `zstd -dc` run as a process, its output read into memory, then
//! setup; `klpelf/ko`: `klpelf_image_open` of the `.ko` (a private mapping) + setup + close;
//! `mapped/ko`: setup on the same bytes already in memory (read once before timing).

use std::ffi::CString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use klpelf::ffi::{
    klpelf_image_close, klpelf_image_data, klpelf_image_open, klpelf_image_size,
    klpelf_setup_load_info,
};

use crate::harness::Harness;
use crate::zeroed_load_info;

/// The benchmarked `.ko.xz`, if one is at hand.
fn module_xz() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("KLPELF_BENCH_MODULE") {
        return Some(PathBuf::from(path));
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/debian-6.12/root");
    let mut largest: Option<(u64, PathBuf)> = None;
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with(".ko.xz") {
                let size = entry.metadata().map_or(0, |m| m.len());
                if largest.as_ref().is_none_or(|(s, _)| size > *s) {
                    largest = Some((size, path));
                }
            }
        }
    }
    largest.map(|(_, path)| path)
}

/// Runs a command to completion; its standard output.
fn output(command: &mut Command) -> Vec<u8> {
    let out = command.output().expect("the compression tools are installed");
    assert!(out.status.success(), "{command:?} failed");
    out.stdout
}

/// Open + setup + close through klpelf; returns the image size.
fn klpelf_open_setup(path: &CString) -> usize {
    let mut image = std::ptr::null_mut();
    let mut info = zeroed_load_info();
    // SAFETY: a NUL-terminated path, writable out-params; the image is closed after setup.
    unsafe {
        assert_eq!(klpelf_image_open(path.as_ptr(), &mut image), 0);
        let (data, len) = (klpelf_image_data(image), klpelf_image_size(image));
        assert_eq!(klpelf_setup_load_info(&mut info, data, len, 0), 0);
        klpelf_image_close(image);
        len
    }
}

/// A decompressor's output read from its pipe into one buffer, then setup on it.
fn cli_setup(tool: &str, path: &Path) -> usize {
    let mut child =
        Command::new(tool).arg("-dc").arg(path).stdout(Stdio::piped()).spawn().expect(tool);
    let mut bytes = Vec::with_capacity(8 << 20);
    child.stdout.take().unwrap().read_to_end(&mut bytes).unwrap();
    assert!(child.wait().unwrap().success());
    // malloc's large blocks are 16-aligned, as setup requires 8.
    assert_eq!(bytes.as_ptr() as usize % 8, 0);
    let mut info = zeroed_load_info();
    let (data, len) = (bytes.as_mut_ptr().cast(), bytes.len());
    // SAFETY: `bytes` is readable and writable for its length and outlives the call.
    let rc = unsafe { klpelf_setup_load_info(&mut info, data, len, 0) };
    assert_eq!(rc, 0);
    len
}

pub(crate) fn images_group(harness: &mut Harness) {
    let Some(xz) = module_xz() else {
        eprintln!(
            "images: no .ko.xz (set KLPELF_BENCH_MODULE, or run c_compressed_debian): skipped"
        );
        return;
    };
    let work = std::env::temp_dir().join(format!("klpelf-bench-images-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let ko = work.join("module.ko");
    std::fs::write(&ko, output(Command::new("xz").arg("-dc").arg(&xz))).unwrap();
    output(Command::new("zstd").args(["-T0", "-f", "-q", "-k"]).arg(&ko));
    let zst = work.join("module.ko.zst");
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).unwrap();
    let (c_xz, c_zst, c_ko) = (c(&xz), c(&zst), c(&ko));
    eprintln!(
        "images: {} ({} bytes compressed)",
        xz.display(),
        std::fs::metadata(&xz).unwrap().len()
    );
    let mapped = std::fs::read(&ko).unwrap();
    // For the report: which module, how large compressed and decompressed.
    let record = crate::ingest::object_dir().join("images-module.txt");
    let name = xz.file_name().unwrap().to_string_lossy().into_owned();
    let compressed = std::fs::metadata(&xz).unwrap().len();
    let _ = std::fs::write(record, format!("{name} {compressed} {}\n", mapped.len()));

    let mut group = harness.group("images");
    group.configure(|g| {
        g.sample_size(20);
    });
    group.case("klpelf", "xz", || klpelf_open_setup(&c_xz));
    group.case("cli", "xz", || cli_setup("xz", &xz));
    group.case("klpelf", "zst", || klpelf_open_setup(&c_zst));
    group.case("cli", "zst", || cli_setup("zstd", &zst));
    group.case("klpelf", "ko", || klpelf_open_setup(&c_ko));
    let mut buffer = klpelf_bench_support::Image::new(&mapped);
    group.case("mapped", "ko", || {
        let mut info = zeroed_load_info();
        // SAFETY: the buffer holds the module's bytes, aligned, for the whole benchmark.
        unsafe { klpelf_setup_load_info(&mut info, buffer.as_mut_ptr(), buffer.len(), 0) }
    });
    group.finish();
    let _ = std::fs::remove_dir_all(work);
}
