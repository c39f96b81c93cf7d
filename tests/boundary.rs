//! No Rust panic may reach C: every exported function must run its body inside `ffi::boundary`, and
//! only `src/ffi.rs` may export functions. This reads the sources, so a new export that skips the
//! boundary fails here.

use std::fs;
use std::path::Path;

/// The exports that need no boundary because they cannot fail or panic: they only read a static or
/// the thread's last-error slot.
const UNGUARDED: &[&str] = &["klpelf_last_error", "klpelf_version"];

fn source(path: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .expect("source is readable")
}

/// The name and body (up to the next export or the end) of each `#[no_mangle]` function.
fn exports(src: &str) -> Vec<(String, String)> {
    src.split("#[no_mangle]")
        .skip(1)
        .map(|chunk| {
            let name = chunk
                .split("fn ")
                .nth(1)
                .and_then(|rest| rest.split('(').next())
                .expect("#[no_mangle] is followed by a function")
                .trim()
                .to_string();
            let body = chunk.split_once('{').map(|(_, body)| body.to_string()).unwrap_or_default();
            (name, body)
        })
        .collect()
}

/// The exports of `src` whose body does not start by entering the boundary.
fn unguarded(src: &str) -> Vec<String> {
    exports(src)
        .into_iter()
        .filter(|(name, body)| {
            let first = body.trim_start();
            !UNGUARDED.contains(&name.as_str()) && !first.starts_with("boundary(")
        })
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn every_export_goes_through_the_panic_boundary() {
    let ffi = source("src/ffi.rs");
    assert!(
        exports(&ffi).iter().any(|(name, _)| name == "copy_module_elf"),
        "scan found no exports"
    );
    assert_eq!(unguarded(&ffi), Vec::<String>::new(), "exports that bypass boundary()");
}

#[test]
fn the_scan_catches_a_bypass() {
    let src =
        "#[no_mangle]\npub unsafe extern \"C\" fn leaky(x: *mut u8) -> c_int {\n    body()\n}\n\
               #[no_mangle]\npub extern \"C\" fn fine() -> c_int {\n    boundary(|| Ok(0))\n}\n";
    assert_eq!(unguarded(src), vec!["leaky".to_string()]);
}

#[test]
fn only_ffi_rs_exports() {
    for entry in fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name == "ffi.rs" || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains("no_mangle"), "{name} exports a symbol; exports belong in ffi.rs");
        assert!(!text.contains("extern \"C\" fn "), "{name} defines an extern \"C\" function");
    }
}
