//! Replays every committed fuzz input — the minimised seed corpora in `fuzz/seeds/<target>/` and the
//! regression inputs in `fuzz/regressions/<target>/` — through the fuzz targets' own logic
//! (`tests/support/fuzz_targets.rs`, which the fuzz crate includes too), so that CI covers them
//! without a fuzzer or a nightly toolchain. `copy_structured` needs the C reference oracle: it is
//! compiled from `c_tests/support/oracle.c` with the system C compiler and loaded with `dlopen`.
//!
//! The ignored test `write_seeds` is what `fuzz/make-seeds` runs to encode real modules for the
//! structured targets.

#[path = "support/fuzz_targets.rs"]
mod fuzz_targets;

use std::ffi::{c_int, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

use fuzz_targets::{CopyCase, ExactImage, ModinfoCase, Oracle, RawCase};
use klpelf::ffi::{klpelf_setup_load_info, KLPELF_SETUP_ALLOW_XNUM};
use klpelf::layout::{LoadInfo, Module};

const TARGETS: [&str; 3] = ["setup_pipeline", "copy_structured", "modinfo_signature"];
/// Limits for committed inputs: "small files only".
const MAX_FILE: u64 = 32 * 1024;
const MAX_TOTAL: u64 = 2 * 1024 * 1024;

/// The targets install allocators and count live blocks, which are process-wide: one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Every committed input of `target`: its seeds, then its regressions, sorted by path.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["seeds", "regressions"] {
        let Ok(dir) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else { continue };
        for entry in dir {
            let path = entry.expect("a directory entry").path();
            if path.is_file() && path.file_name().is_none_or(|n| n != ".gitkeep") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Runs `check` on every committed input of `target`, naming the input that fails.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let _serial = serial();
    let files = inputs(target);
    let mut failures = Vec::new();
    for path in &files {
        let data = std::fs::read(path).expect("a readable input");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{target}: {} committed input(s) replayed", files.len());
    files.len()
}

#[test]
fn replay_setup_pipeline() {
    let n = replay("setup_pipeline", fuzz_targets::setup_pipeline);
    assert!(n > 0, "no committed inputs for setup_pipeline");
}

#[test]
fn replay_copy_structured() {
    let oracle = oracle();
    let n = replay("copy_structured", |data| fuzz_targets::copy_structured(data, oracle));
    assert!(n > 0, "no committed inputs for copy_structured");
}

#[test]
fn replay_modinfo_signature() {
    let n = replay("modinfo_signature", fuzz_targets::modinfo_signature);
    assert!(n > 0, "no committed inputs for modinfo_signature");
}

/// Small files only: each committed input at most 32 KiB, all of them at most 2 MiB.
#[test]
fn committed_inputs_are_small() {
    let mut total = 0;
    for target in TARGETS {
        for path in inputs(target) {
            let size = std::fs::metadata(&path).expect("metadata").len();
            assert!(size <= MAX_FILE, "{} has {size} bytes (at most {MAX_FILE})", path.display());
            total += size;
        }
    }
    assert!(total <= MAX_TOTAL, "the committed inputs take {total} bytes (at most {MAX_TOTAL})");
}

/// The targets hold on to nothing: edge inputs pass, and empty input is handled everywhere.
#[test]
fn targets_accept_edge_inputs() {
    let oracle = oracle();
    let _serial = serial();
    for data in [&b""[..], &[0xff; 3], &[0; 200]] {
        fuzz_targets::setup_pipeline(data);
        fuzz_targets::copy_structured(data, oracle);
        fuzz_targets::modinfo_signature(data);
    }
    // Every rare event of copy_structured, on an otherwise valid case.
    for rare in 0xf0..=0xf9u8 {
        let mut case = RawCase {
            rare,
            shape: 0,
            names: b"\0.text\0.symtab\0".to_vec(),
            sections: vec![0; 4 * 64],
            ..RawCase::default()
        };
        case.hdr = vec![0; 64];
        fuzz_targets::copy_structured(&case.encode(), oracle);
    }
}

/// A module's tables survive the structured encoding; the modinfo encoding round-trips.
#[test]
fn encodings_round_trip() {
    let _serial = serial();
    let module = fuzz_targets::module_around(b"name=demo\0livepatch=Y\0");
    let image = ExactImage::new(&module);
    let info = setup(&image).expect("module_around builds an acceptable module");
    let raw = raw_case(&image, &info);
    let case = CopyCase::decode(&raw.encode());
    assert_eq!(case.expected(), Ok((6, 5)));
    assert_eq!(case.symndx, info.index.sym);
    assert_eq!(case.names, raw.names);
    assert_eq!(case.sections.len(), 6);

    let modinfo =
        ModinfoCase { tag: b"name".to_vec(), modinfo: b"a=b\0".to_vec(), trailer: vec![9] };
    let back = ModinfoCase::decode(&modinfo.encode());
    assert_eq!(
        (back.tag, back.modinfo, back.trailer),
        (modinfo.tag, modinfo.modinfo, modinfo.trailer)
    );
}

// ------------------------------------------------------------------------------------------------
// Seeds from real modules (run by fuzz/make-seeds)
// ------------------------------------------------------------------------------------------------

/// Encodes the modules named in `KLPELF_SEED_MODULES` (space-separated paths) into seeds for
/// `copy_structured` (each module's tables, plain and switched to extended numbering) and
/// `modinfo_signature` (each module's `.modinfo` with a few tags, and its signature trailer),
/// written under `KLPELF_SEED_OUT/<target>/`.
#[test]
#[ignore = "run by fuzz/make-seeds"]
fn write_seeds() {
    let modules = std::env::var("KLPELF_SEED_MODULES").expect("KLPELF_SEED_MODULES");
    let out = PathBuf::from(std::env::var("KLPELF_SEED_OUT").expect("KLPELF_SEED_OUT"));
    let _serial = serial();
    for path in modules.split_whitespace() {
        let bytes = std::fs::read(path).expect("a module file");
        let stem = Path::new(path).file_name().unwrap().to_string_lossy().into_owned();
        let image = ExactImage::new(&bytes);
        let Ok(info) = setup(&image) else {
            eprintln!("{path}: rejected by setup, no structured seeds");
            continue;
        };
        let raw = raw_case(&image, &info);
        let write = |target: &str, name: String, data: Vec<u8>| {
            std::fs::write(out.join(target).join(name), data).expect("a writable seed directory");
        };
        write("copy_structured", format!("seed-{stem}"), raw.encode());
        write("copy_structured", format!("seed-{stem}-xnum"), xnum(raw).encode());
        let modinfo = section(&image, &info, info.index.info).to_vec();
        let trailer = bytes[info.len as usize..].to_vec();
        for tag in ["name", "livepatch", "license"] {
            let case =
                ModinfoCase { tag: tag.into(), modinfo: modinfo.clone(), trailer: trailer.clone() };
            write("modinfo_signature", format!("seed-{stem}-{tag}"), case.encode());
        }
        println!("{path}: seeds written");
    }
}

/// `setup` with extended numbering allowed.
fn setup(image: &ExactImage) -> Result<LoadInfo, c_int> {
    let mut info = std::mem::MaybeUninit::<LoadInfo>::uninit();
    // SAFETY: `info` is writable; the image is `len` readable bytes, 8-aligned.
    let rc = unsafe {
        klpelf_setup_load_info(
            info.as_mut_ptr(),
            image.ptr().cast(),
            image.len(),
            KLPELF_SETUP_ALLOW_XNUM,
        )
    };
    // SAFETY: setup wrote the whole struct when it returned 0.
    (rc == 0).then(|| unsafe { info.assume_init() }).ok_or(rc)
}

/// The bytes of section `index` of an accepted image (empty for index 0).
fn section<'a>(image: &'a ExactImage, info: &LoadInfo, index: u32) -> &'a [u8] {
    if index == 0 {
        return &[];
    }
    // SAFETY: setup proved the section table in the image and `index` one of its sections.
    let shdr = unsafe { &*info.sechdrs.add(index as usize) };
    &image.bytes()[shdr.sh_offset as usize..][..shdr.sh_size as usize]
}

/// The structured case of an accepted image's tables.
fn raw_case(image: &ExactImage, info: &LoadInfo) -> RawCase {
    let bytes = image.bytes();
    let hdr = &bytes[..64];
    let shoff = info.sechdrs as usize - image.ptr() as usize;
    // SAFETY: setup proved section 0 inside the image.
    let sec0 = unsafe { &*info.sechdrs };
    let e_shnum = u16::from_ne_bytes([hdr[60], hdr[61]]);
    let count = if e_shnum == 0 { sec0.sh_size as usize } else { usize::from(e_shnum) };
    let e_shstrndx = u16::from_ne_bytes([hdr[62], hdr[63]]);
    let shstrndx = if e_shstrndx == 0xffff { sec0.sh_link } else { u32::from(e_shstrndx) };
    let sections = &bytes[shoff..shoff + count * 64];
    RawCase::of_tables(hdr, sections, section(image, info, shstrndx), info.index.sym)
}

/// The same tables under extended numbering: `e_shnum` 0 and `e_shstrndx` `SHN_XINDEX`, the count
/// and the name table's index in section 0.
fn xnum(mut raw: RawCase) -> RawCase {
    raw.hdr[60..62].copy_from_slice(&0u16.to_ne_bytes());
    raw.hdr[62..64].copy_from_slice(&0xffffu16.to_ne_bytes());
    raw.shape |= 1;
    raw
}

// ------------------------------------------------------------------------------------------------
// The C reference oracle, built at test time
// ------------------------------------------------------------------------------------------------

/// `oracle_copy_module_elf` / `oracle_free_module_elf` from `c_tests/support/oracle.c`, compiled
/// into a shared object with the system C compiler and loaded once.
fn oracle() -> Oracle {
    static ORACLE: OnceLock<Oracle> = OnceLock::new();
    *ORACLE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = std::env::temp_dir().join(format!("klpelf-fuzz-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let so = dir.join("liboracle.so");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let status = Command::new(&cc)
            .args(["-shared", "-fPIC", "-O1", "-I"])
            .arg(root.join("include"))
            .arg("-I")
            .arg(root.join("c_tests/support"))
            .arg(root.join("c_tests/support/oracle.c"))
            .arg("-o")
            .arg(&so)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
        assert!(status.success(), "compiling the oracle failed");
        let path = CString::new(so.to_str().expect("a UTF-8 path")).unwrap();
        // SAFETY: a NUL-terminated path to a shared object with no initialisers of its own. The
        // handle is never closed: the functions stay valid for the whole test run.
        let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
        assert!(!handle.is_null(), "dlopen of the oracle failed");
        let _ = std::fs::remove_dir_all(&dir);
        let symbol = |name: &std::ffi::CStr| {
            // SAFETY: a live handle and a NUL-terminated name.
            let f = unsafe { libc::dlsym(handle, name.as_ptr()) };
            assert!(!f.is_null(), "the oracle lacks {name:?}");
            f
        };
        let copy = symbol(c"oracle_copy_module_elf");
        let free = symbol(c"oracle_free_module_elf");
        type CopyFn = unsafe extern "C" fn(*mut Module, *mut LoadInfo) -> c_int;
        type FreeFn = unsafe extern "C" fn(*mut Module);
        // SAFETY: oracle.c defines these symbols with exactly these C signatures (oracle.h).
        unsafe {
            Oracle {
                copy: std::mem::transmute::<*mut std::ffi::c_void, CopyFn>(copy),
                free: std::mem::transmute::<*mut std::ffi::c_void, FreeFn>(free),
            }
        }
    })
}
