//! Fuzz target 1: bytes as a module file → klpelf_setup_load_info (both flag settings, twice) →
//! klpelf_prepare_module → copy_module_elf → klpelf_release_module, with the check table's
//! invariants asserted on every accepted image. The logic: `setup_pipeline` in
//! tests/support/fuzz_targets.rs.
#![no_main]

#[path = "../../tests/support/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::setup_pipeline(data));
