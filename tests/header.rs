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

/// The kernel's names the header defines, and only while `KLPELF_NO_KERNEL_NAMES` is not defined.
const KERNEL_NAMES: [&str; 8] = [
    "module",
    "load_info",
    "klp_modinfo",
    "mod_kallsyms",
    "copy_module_elf",
    "free_module_elf",
    "MODULE_NAME_LEN",
    "KSYM_NAME_LEN",
];

fn prefixed(name: &str) -> bool {
    name.starts_with("klpelf_") || name.starts_with("KLPELF_")
}

/// Each `#define` of the header: its name, its replacement, and whether it sits in the
/// `#ifndef KLPELF_NO_KERNEL_NAMES` block.
fn macros(header: &str) -> Vec<(&str, &str, bool)> {
    let (mut kernel_block, mut found) = (false, Vec::new());
    for line in header.lines() {
        if line == "#ifndef KLPELF_NO_KERNEL_NAMES" {
            kernel_block = true;
        } else if line.starts_with("#endif") {
            kernel_block = false;
        } else if let Some(definition) = line.strip_prefix("#define ") {
            let (name, value) = definition.split_once(' ').unwrap_or((definition, ""));
            found.push((name, value, kernel_block));
        }
    }
    found
}

#[test]
fn every_macro_is_klpelfs_or_a_kernel_name_that_can_be_switched_off() {
    // A `pub const` anywhere in the crate becomes a macro in the header; only klpelf's own names
    // may land in a C program's namespace, and the kernel's names only where
    // KLPELF_NO_KERNEL_NAMES removes them.
    let generated = include_str!(concat!(env!("OUT_DIR"), "/klpelf.h"));
    let mut kernel = Vec::new();
    for (name, value, kernel_block) in macros(generated) {
        if kernel_block {
            // Each maps a kernel name onto klpelf's (or, for the struct tags, the reverse).
            let (ours, theirs) = if prefixed(name) { (name, value) } else { (value, name) };
            let same = ours.eq_ignore_ascii_case(&format!("klpelf_{theirs}"));
            assert!(same, "{name} -> {value} maps no kernel name onto klpelf's");
            kernel.push(theirs);
        } else {
            assert!(
                prefixed(name),
                "the header defines {name}: make it private, or name it KLPELF_*"
            );
        }
    }
    kernel.sort_unstable();
    let mut expected = KERNEL_NAMES.to_vec();
    expected.sort_unstable();
    assert_eq!(kernel, expected, "the kernel names the header maps");
}

#[test]
fn every_declared_name_is_prefixed() {
    // Struct and enum tags, enumerators, typedefs and functions, as cbindgen writes them.
    let generated = include_str!(concat!(env!("OUT_DIR"), "/klpelf.h"));
    let mut names = Vec::new();
    for line in generated.lines() {
        let name = if let Some(rest) = line.strip_prefix("typedef ") {
            rest.split_once("(*").and_then(|(_, r)| r.split_once(')')).map(|(n, _)| n)
        } else if let Some(rest) = line.strip_prefix("struct ").or(line.strip_prefix("enum ")) {
            rest.split([' ', ';']).next()
        } else if line.starts_with("  KLPELF_") || line.starts_with("  klpelf_") {
            line.split_whitespace().next()
        } else if !line.starts_with(['#', ' ', '/', '}', '*']) && line.contains('(') {
            line.split('(').next().and_then(|decl| decl.rsplit([' ', '*']).next())
        } else {
            None
        };
        if let Some(name) = name {
            assert!(prefixed(name), "the header declares {name} without klpelf's prefix: {line}");
            names.push(name);
        }
    }
    for expected in ["klpelf_module", "klpelf_copy_module_elf", "klpelf_version", "klpelf_check"] {
        assert!(names.contains(&expected), "the scan missed {expected}: is it still right?");
    }
}
