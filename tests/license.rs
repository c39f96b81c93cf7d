//! klpelf is GPL-2.0-only: the LICENSE file holds the GPL version 2 text, and Cargo.toml's
//! `license` field and every SPDX line in the sources say the same. (The kernel sources klpelf
//! follows are GPL-2.0-only or GPL-2.0-or-later; the combination is GPL-2.0-only.)

use std::fs;
use std::path::{Path, PathBuf};

const LICENSE: &str = "GPL-2.0-only";

/// The directories whose files are klpelf's own (build output and fuzzing work are skipped).
const SOURCE_DIRS: [&str; 12] = [
    ".ci", "benches", "c_tests", "cmake", "docs", "examples", "fuzz", "include", "scripts", "src",
    "tests", "tools",
];
const SKIPPED: [&str; 5] = ["target", "corpus", "artifacts", "coverage", "__pycache__"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("the source tree is readable").flatten() {
        let path = entry.path();
        let skipped = SKIPPED.iter().any(|s| path.file_name().is_some_and(|n| n == *s));
        if path.is_dir() && !skipped {
            files(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

#[test]
fn the_license_file_is_the_gpl_version_2() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = fs::read_to_string(root.join("LICENSE")).expect("LICENSE is present");
    assert!(text.trim_start().starts_with("GNU GENERAL PUBLIC LICENSE"));
    assert!(text.contains("Version 2, June 1991"));
    assert!(text.contains("END OF TERMS AND CONDITIONS"), "LICENSE holds the full text");
    assert_eq!(env!("CARGO_PKG_LICENSE"), LICENSE);
}

#[test]
fn every_spdx_line_agrees() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let needle = concat!("SPDX-", "License-Identifier:");
    let mut paths = Vec::new();
    for dir in SOURCE_DIRS {
        files(&root.join(dir), &mut paths);
    }
    let mut seen = 0;
    for path in paths {
        let Ok(text) = fs::read_to_string(&path) else { continue };
        for (at, _) in text.match_indices(needle) {
            let id = text[at + needle.len()..].split_whitespace().next().unwrap_or("");
            assert_eq!(id, LICENSE, "{} says {id}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 50, "only {seen} SPDX lines found: is the scan still right?");
}
