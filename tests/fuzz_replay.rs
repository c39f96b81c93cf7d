//! Replays every committed fuzz input — the minimised seed corpora in `fuzz/seeds/<target>/` and the
//! regression inputs in `fuzz/regressions/<target>/` — through the fuzz targets' own logic
//! (`tests/support/fuzz_targets/`, which the fuzz crate includes too), so that CI covers them
//! without a fuzzer or a nightly toolchain. `copy_structured` needs the C reference oracle: it is
//! compiled from `c_tests/support/oracle.c` with the system C compiler and loaded with `dlopen`.
//!
//! The ignored test `write_seeds` is what `fuzz/make-seeds` runs to encode real modules for the
//! structured targets.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use klpelf::ffi::KLPELF_SETUP_ALLOW_XNUM;
use klpelf::layout::LoadInfo;
use support::alloc::serial;
use support::api::setup;
use support::elf::{Elf, EHDR, E_SHNUM, E_SHSTRNDX, SHDR, SHN_XINDEX};
use support::fuzz_targets::{self, numbering, CopyCase, ModinfoCase, RawCase};
use support::image::Image;
use support::objects::oracle;

const TARGETS: [&str; 7] = [
    "setup_pipeline",
    "copy_structured",
    "modinfo_signature",
    "image_open",
    "relocs",
    "pkcs7_verify",
    "inspect",
];
/// Limits for committed inputs, which stay small.
const MAX_FILE: u64 = 32 * 1024;
const MAX_TOTAL: u64 = 2 * 1024 * 1024;

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

/// Runs `check` on every committed input of `target` (there must be some), naming the input that
/// fails.
fn replay(target: &str, check: impl Fn(&[u8])) {
    let _serial = serial();
    let files = inputs(target);
    assert!(!files.is_empty(), "no committed inputs for {target}");
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
}

#[test]
fn replay_setup_pipeline() {
    replay("setup_pipeline", fuzz_targets::setup_pipeline);
}

#[test]
fn replay_copy_structured() {
    let oracle = oracle();
    replay("copy_structured", |data| fuzz_targets::copy_structured(data, oracle));
}

#[test]
fn replay_modinfo_signature() {
    replay("modinfo_signature", fuzz_targets::modinfo_signature);
}

#[test]
fn replay_relocs() {
    replay("relocs", fuzz_targets::relocs);
}

#[test]
fn replay_inspect() {
    replay("inspect", fuzz_targets::inspect);
}

#[test]
fn replay_image_open() {
    replay("image_open", fuzz_targets::image_open);
}

#[test]
fn replay_pkcs7_verify() {
    replay("pkcs7_verify", fuzz_targets::pkcs7_verify);
}

/// The pkcs7_verify seeds `fuzz/make-seeds` writes (`seed-*`) are valid signatures, so that the
/// fuzzer starts from the verifying path.
#[test]
fn pkcs7_verify_seeds_verify() {
    let seeds: Vec<PathBuf> = inputs("pkcs7_verify")
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("seed-")))
        .collect();
    assert!(seeds.len() >= 3, "{seeds:?}");
    for path in seeds {
        let data = std::fs::read(&path).unwrap();
        let cert_len = usize::from(u16::from_le_bytes([data[0], data[1]]));
        let (cert, pkcs7) = data[2..].split_at(cert_len);
        let mut certs = klpelf::signature::certs::CertSet::default();
        certs.add(cert).unwrap();
        let image = fuzz_targets::pkcs7_signed_image(pkcs7);
        let verdict = klpelf::signature::verify::verify(&image, &certs);
        assert_eq!(verdict, Ok(()), "{}", path.display());
    }
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
        fuzz_targets::image_open(data);
        fuzz_targets::relocs(data);
        fuzz_targets::pkcs7_verify(data);
        fuzz_targets::inspect(data);
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
    let image = Image::new(&module);
    let info =
        setup(&image, KLPELF_SETUP_ALLOW_XNUM).expect("module_around builds an acceptable module");
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
        let image = Image::new(&bytes);
        let Ok(info) = setup(&image, KLPELF_SETUP_ALLOW_XNUM) else {
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

/// The bytes of section `index` of an accepted image (empty for index 0).
fn section<'a>(image: &'a Image, info: &LoadInfo, index: u32) -> &'a [u8] {
    if index == 0 {
        return &[];
    }
    // SAFETY: setup proved the section table in the image and `index` one of its sections.
    let shdr = unsafe { &*info.sechdrs.add(index as usize) };
    &image.bytes()[shdr.sh_offset as usize..][..shdr.sh_size as usize]
}

/// The structured case of an accepted image's tables.
fn raw_case(image: &Image, info: &LoadInfo) -> RawCase {
    let bytes = image.bytes();
    let shoff = image.offset_of(info.sechdrs.cast());
    // SAFETY: setup proved the header and section 0 inside the image.
    let (count, shstrndx) = unsafe { numbering(&*info.hdr, &*info.sechdrs) };
    let sections = &bytes[shoff..shoff + count as usize * SHDR];
    let names = section(image, info, shstrndx as u32);
    RawCase::of_tables(&bytes[..EHDR], sections, names, info.index.sym)
}

/// The same tables under extended numbering: `e_shnum` 0 and `e_shstrndx` `SHN_XINDEX`, the count
/// and the name table's index in section 0.
fn xnum(mut raw: RawCase) -> RawCase {
    let mut hdr = Elf(raw.hdr);
    hdr.set_hdr(E_SHNUM, 2, 0);
    hdr.set_hdr(E_SHSTRNDX, 2, SHN_XINDEX.into());
    raw.hdr = hdr.0;
    raw.shape |= 1;
    raw
}
