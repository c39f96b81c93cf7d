//! Fuzz target 4: the image opener (klpelf_image_from_bytes and klpelf_image_from_fd on a memory
//! file) on bytes compressed with xz, zstd or gzip, or not, then the loader's pipeline on the
//! image. The logic: tests/support/fuzz_targets/image_open.rs.
#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::fuzz_targets::image_open(data));
