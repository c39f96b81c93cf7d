//! The inspection API on modules of every 64-bit architecture the test compiler targets, in both
//! byte orders: one C source holding `.modinfo` entries, a `__versions` table and the extended
//! version tables is compiled by clang for each target (x86-64, arm64, riscv64, ppc64le, and the
//! big-endian s390x, ppc64 and sparc64), and each object is read through `klpelf_modinfo_next()`,
//! `klpelf_module_versions()`, `klpelf_versions_next()` and `klpelf_module_vermagic()`, which must
//! give what the source declares (clang's own assembler: no cross binutils needed). A target clang
//! cannot compile for is reported as skipped.

mod support;

use std::ffi::c_void;
use std::process::Command;

use klpelf::ffi::{
    klpelf_modinfo_next, klpelf_module_vermagic, klpelf_module_versions, klpelf_versions_next,
    KlpelfModinfoCursor, KlpelfModinfoEntry, KlpelfVermagic, KlpelfVersion, KlpelfVersionsCursor,
    KlpelfVersionsInfo, KLPELF_VERSIONS_BASIC, KLPELF_VERSIONS_EXTENDED,
};
use support::api::last_error;

/// The source: `.modinfo` entries, `__versions` and the extended tables, as a module's build
/// leaves them.
const SOURCE: &str = include_str!("fixtures/inspect_versions.c");

const ENTRIES: &[(&str, &str)] = &[
    ("license", "GPL"),
    ("alias", "first"),
    ("alias", "second"),
    ("flag", ""),
    ("vermagic", "7.2.0-1-s390x SMP mod_unload modversions "),
    ("name", "demo"),
];

/// (clang target, big-endian)
const TARGETS: &[(&str, bool)] = &[
    ("x86_64-linux-gnu", false),
    ("aarch64-linux-gnu", false),
    ("riscv64-linux-gnu", false),
    ("powerpc64le-linux-gnu", false),
    ("s390x-linux-gnu", true),
    ("powerpc64-linux-gnu", true),
    ("sparcv9-linux-gnu", true),
];

/// The object clang makes of [`SOURCE`] for `target`, or `None` (with the reason printed) when it
/// cannot.
fn compile(target: &str) -> Option<Vec<u8>> {
    let dir = std::env::temp_dir();
    let stem = format!("klpelf-modinfo-{}-{target}", std::process::id());
    let (src, obj) = (dir.join(format!("{stem}.c")), dir.join(format!("{stem}.o")));
    std::fs::write(&src, SOURCE).unwrap();
    let out = Command::new("clang")
        .arg(format!("--target={target}"))
        .args(["-fintegrated-as", "-c", "-O2", "-o"])
        .arg(&obj)
        .arg(&src)
        .output();
    let _ = std::fs::remove_file(&src);
    let bytes = match out {
        Ok(out) if out.status.success() => std::fs::read(&obj).ok(),
        Ok(out) => {
            println!("skipped: {target}: {}", String::from_utf8_lossy(&out.stderr).trim());
            None
        }
        Err(e) => {
            println!("skipped: {target}: clang: {e}");
            None
        }
    };
    let _ = std::fs::remove_file(&obj);
    bytes
}

fn text(p: *const std::ffi::c_char, len: usize) -> String {
    // SAFETY: klpelf hands out `len` readable bytes inside the image.
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn entries(image: &[u8]) -> Vec<(String, String)> {
    let mut cursor = KlpelfModinfoCursor::default();
    let mut out = Vec::new();
    loop {
        let mut entry = std::mem::MaybeUninit::<KlpelfModinfoEntry>::uninit();
        // SAFETY: the image is live; cursor and entry are writable.
        let rc = unsafe {
            klpelf_modinfo_next(image.as_ptr().cast(), image.len(), &mut cursor, entry.as_mut_ptr())
        };
        assert!(rc >= 0, "klpelf_modinfo_next: {:?}", last_error());
        if rc == 0 {
            return out;
        }
        // SAFETY: written by the successful call.
        let e = unsafe { entry.assume_init() };
        assert!(e.terminated);
        out.push((text(e.key, e.key_len), text(e.value, e.value_len)));
    }
}

fn versions(image: &[u8], table: i32) -> Vec<(u64, String)> {
    let mut cursor = KlpelfVersionsCursor::default();
    let mut out = Vec::new();
    loop {
        let mut v = std::mem::MaybeUninit::<KlpelfVersion>::uninit();
        // SAFETY: the image is live; cursor and v are writable.
        let rc = unsafe {
            klpelf_versions_next(
                image.as_ptr().cast(),
                image.len(),
                table,
                &mut cursor,
                v.as_mut_ptr(),
            )
        };
        assert!(rc >= 0, "klpelf_versions_next: {:?}", last_error());
        if rc == 0 {
            return out;
        }
        // SAFETY: written by the successful call.
        let v = unsafe { v.assume_init() };
        // SAFETY: the name is NUL-terminated inside the image.
        assert_eq!(unsafe { *v.name.add(v.name_len) }, 0, "the name ends with a NUL");
        out.push((v.crc, text(v.name, v.name_len)));
    }
}

#[test]
fn every_architecture_and_byte_order_reads_the_same() {
    let mut compiled = 0;
    for &(target, big) in TARGETS {
        let Some(image) = compile(target) else { continue };
        compiled += 1;
        assert_eq!(image[5], if big { 2 } else { 1 }, "{target}: EI_DATA");
        let expected: Vec<_> =
            ENTRIES.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        assert_eq!(entries(&image), expected, "{target}: .modinfo");

        let mut info = KlpelfVersionsInfo::default();
        // SAFETY: the image is live; info is writable.
        let rc = unsafe { klpelf_module_versions(image.as_ptr().cast(), image.len(), &mut info) };
        assert_eq!(rc, 0, "{target}: {:?}", last_error());
        let want = KlpelfVersionsInfo {
            basic_count: 2,
            extended_count: 2,
            has_basic: true,
            has_extended: true,
        };
        assert_eq!(info, want, "{target}");
        assert_eq!(
            versions(&image, KLPELF_VERSIONS_BASIC),
            [(0x1234_abcd, "module_layout".into()), (0x89ab_cdef, "_printk".into())],
            "{target}: __versions"
        );
        let long = "a_symbol_name_longer_than_the_fifty_six_bytes_of_a_modversion_info_entry";
        assert_eq!(
            versions(&image, KLPELF_VERSIONS_EXTENDED),
            [(0xfeed_f00d, long.into()), (0x0bad_cafe, "_printk".into())],
            "{target}: extended"
        );

        let mut vm = std::mem::MaybeUninit::<KlpelfVermagic>::uninit();
        // SAFETY: the image is live; vm is writable.
        let rc = unsafe {
            klpelf_module_vermagic(image.as_ptr().cast::<c_void>(), image.len(), vm.as_mut_ptr())
        };
        assert_eq!(rc, 0, "{target}: {:?}", last_error());
        // SAFETY: written by the successful call.
        let vm = unsafe { vm.assume_init() };
        assert_eq!(text(vm.release, vm.release_len), "7.2.0-1-s390x");
        assert_eq!(text(vm.rest, vm.rest_len), " SMP mod_unload modversions ");
        assert!(vm.has_crcs, "{target}: __versions present");
    }
    assert!(compiled > 0 || Command::new("clang").arg("--version").output().is_err());
}

/// The kernel refuses a module with only one of the extended tables, or fewer names than CRCs;
/// so does klpelf, with the kernel's words, and `*out` stays as it was.
#[test]
fn malformed_extended_tables_are_refused() {
    let Some(image) = compile("s390x-linux-gnu") else { return };
    let rename = |from: &[u8], to: &[u8]| {
        let mut copy = image.clone();
        let at = copy.windows(from.len()).position(|w| w == from).expect("section name");
        copy[at..at + to.len()].copy_from_slice(to);
        copy
    };
    let check = |image: &[u8], words: &str| {
        let mut info = KlpelfVersionsInfo { basic_count: 7, ..Default::default() };
        // SAFETY: the image is live; info is writable.
        let rc = unsafe { klpelf_module_versions(image.as_ptr().cast(), image.len(), &mut info) };
        assert_eq!(rc, -libc_enoexec());
        assert!(last_error().unwrap().contains(words), "{:?}", last_error());
        assert_eq!(info.basic_count, 7, "*out unchanged");
    };
    // "__version_ext_names" renamed: only the CRCs are left.
    check(&rename(b"__version_ext_names\0", b"__version_ext_nameX\0"), "presence does not match");
    // The names' last NUL overwritten: two CRCs, one complete name.
    let mut short = image.clone();
    let at = short.windows(8).rposition(|w| w == b"_printk\0").unwrap() + 7;
    short[at] = b'!';
    check(&short, "more extended version crcs than names");
}

fn libc_enoexec() -> i32 {
    8 // ENOEXEC on every Linux architecture
}
