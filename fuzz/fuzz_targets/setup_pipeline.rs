//! Fuzz target 1: bytes as a module file → klpelf_setup_load_info (both flag settings, twice) →
//! klpelf_prepare_module → copy_module_elf → klpelf_release_module, with every condition of the
//! kernel's ELF checks asserted on every accepted image. The logic:
//! tests/support/fuzz_targets/setup_pipeline.rs.
#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::fuzz_targets::setup_pipeline(data));
