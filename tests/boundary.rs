//! No Rust panic may reach C: every exported function must run its body inside `ffi::boundary`, and
//! only the `ffi` module (`src/ffi.rs`, or the files under `src/ffi/`) may export functions. This
//! reads the sources, so a new export that skips the boundary fails here.

use std::fs;
use std::path::{Path, PathBuf};

/// The exports that need no boundary because they cannot fail or panic: they only read a static or
/// the thread's last-error slot.
const UNGUARDED: &[&str] =
    &["klpelf_last_error", "klpelf_last_error_check", "klpelf_check_name", "klpelf_version"];

/// Every `.rs` file under `src/`, with its path relative to `src/` and its text.
fn sources() -> Vec<(PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src.clone()];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).expect("a readable source directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("source is readable");
                files.push((path.strip_prefix(&src).unwrap().to_path_buf(), text));
            }
        }
    }
    files.sort();
    files
}

/// Whether `path` (relative to `src/`) belongs to the `ffi` module.
fn in_ffi(path: &Path) -> bool {
    path == Path::new("ffi.rs") || path.starts_with("ffi")
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
    let ffi: Vec<String> =
        sources().into_iter().filter(|(path, _)| in_ffi(path)).map(|(_, text)| text).collect();
    assert!(
        ffi.iter().flat_map(|text| exports(text)).any(|(name, _)| name == "klpelf_copy_module_elf"),
        "scan found no exports"
    );
    let bypasses: Vec<String> = ffi.iter().flat_map(|text| unguarded(text)).collect();
    assert_eq!(bypasses, Vec::<String>::new(), "exports that bypass boundary()");
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
    for (path, text) in sources() {
        if in_ffi(&path) {
            continue;
        }
        let name = path.display();
        assert!(!text.contains("no_mangle"), "{name} exports a symbol; exports belong in ffi");
        assert!(!text.contains("extern \"C\" fn "), "{name} defines an extern \"C\" function");
    }
}
