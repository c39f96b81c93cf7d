//! Fuzz target 3: the .modinfo reader (klpelf::modinfo and klpelf_get_modinfo on a module built
//! around the fuzzed section) and the signature trailer (klpelf_module_signature and setup's
//! stripping), against models of the kernel's code. The logic:
//! tests/support/fuzz_targets/modinfo_signature.rs.
#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::fuzz_targets::modinfo_signature(data));
