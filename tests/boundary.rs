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

#[test]
fn every_export_goes_through_the_panic_boundary() {
    let ffi = source("src/ffi.rs");
    let found = exports(&ffi);
    assert!(found.iter().any(|(name, _)| name == "copy_module_elf"), "scan found no exports");
    for (name, body) in found {
        if UNGUARDED.contains(&name.as_str()) {
            continue;
        }
        let first = body.trim_start();
        assert!(
            first.starts_with("boundary(") || first.starts_with("boundary_void("),
            "export {name} does not start with boundary(...)"
        );
    }
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
