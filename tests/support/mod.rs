//! Support for klpelf's Rust tests, and for its fuzz targets, which include this module with
//! `#[path]`: one file per concern.
//! - [`objects`]: module-shaped objects built by the system compiler, what `readelf` says about
//!   them, and the C tests' reference oracle;
//! - [`image`]: image bytes held 8-aligned, as the C API takes them;
//! - [`elf`]: ELF64 field offsets and constants, and field edits that break one rule at a time;
//! - [`compress`]: compressed module files made by the compression tools, the image API, and
//!   what the pipeline persists from an image;
//! - [`api`]: klpelf's C API called from Rust (setup and its verdict, the last error, storage for
//!   the caller's structs);
//! - [`alloc`]: callers' allocators (counting, failing, misaligned) and the lock that runs the
//!   tests that allocate one at a time;
//! - [`signing`]: modules signed by the kernel's `sign-file` with fresh keys, and OpenSSL's view
//!   of their signatures;
//! - [`fuzz_targets`]: the bodies of the fuzz targets, replayed by `tests/fuzz_replay.rs`.

#![allow(dead_code)]

pub mod alloc;
pub mod api;
pub mod compress;
pub mod elf;
pub mod fuzz_targets;
pub mod image;
pub mod objects;
pub mod signing;
