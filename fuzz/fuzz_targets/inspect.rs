//! Fuzz target inspect: bytes as a module file of any architecture and byte order through the
//! inspection API (.modinfo entries, version tables, version magic). The logic:
//! tests/support/fuzz_targets/inspect.rs.
#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::fuzz_targets::inspect(data));
