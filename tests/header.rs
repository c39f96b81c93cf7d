//! The committed `include/klpelf.h` must be exactly what the pinned cbindgen generates from the
//! sources (build.rs writes it to `$OUT_DIR`). Run with `KLPELF_BLESS=1` to update the committed copy.

use std::path::Path;

#[test]
fn header_is_fresh() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/klpelf.h"));
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/klpelf.h");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if committed == generated {
        return;
    }
    if std::env::var_os("KLPELF_BLESS").is_some() {
        std::fs::write(&committed_path, generated).expect("include/klpelf.h is writable");
        return;
    }
    panic!(
        "include/klpelf.h differs from what cbindgen generates from src/; \
         run `KLPELF_BLESS=1 cargo test --test header` and commit the result"
    );
}

#[test]
fn every_exported_item_is_documented() {
    // cbindgen copies doc comments; an item without one would be a bare declaration in the header.
    let generated = include_str!(concat!(env!("OUT_DIR"), "/klpelf.h"));
    let (mut previous, mut in_struct, mut declarations) = ("", false, 0);
    for line in generated.lines() {
        let opens_struct = line.starts_with("struct ") && line.ends_with('{');
        let declares = if in_struct {
            line.starts_with("  ") && line.ends_with(';')
        } else {
            opens_struct
                || line.starts_with("#define ") && line != "#define KLPELF_H"
                || !line.starts_with(['#', ' ', '/', '}']) && line.contains('(')
        };
        if declares {
            declarations += 1;
            assert!(previous.trim_end().ends_with("*/"), "undocumented in the header: {line}");
        }
        in_struct = (in_struct || opens_struct) && line != "};";
        previous = line;
    }
    assert!(declarations > 40, "only {declarations} declarations found: is the scan still right?");
}

#[test]
fn every_macro_is_klpelfs_or_the_kernels() {
    // A `pub const` anywhere in the crate becomes a macro in the header; only klpelf's own names and
    // the kernel's constants that its structs are sized by may land in a C program's namespace.
    let generated = include_str!(concat!(env!("OUT_DIR"), "/klpelf.h"));
    const KERNEL: [&str; 2] = ["KSYM_NAME_LEN", "MODULE_NAME_LEN"];
    for line in generated.lines() {
        if let Some(name) = line.strip_prefix("#define ").and_then(|d| d.split(' ').next()) {
            assert!(
                name.starts_with("KLPELF_") || KERNEL.contains(&name),
                "the header defines {name}: make it private, or name it KLPELF_*"
            );
        }
    }
}
