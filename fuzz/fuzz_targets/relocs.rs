//! Fuzz target 4: livepatch relocation sections, symbol tables and placements → apply, clear and
//! describe their relocations, against a model of the kernel's code with klpelf's documented
//! differences. The logic: tests/support/fuzz_targets/relocs.rs.
#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::fuzz_targets::relocs(data));
