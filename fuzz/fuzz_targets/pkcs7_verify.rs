//! Fuzz target pkcs7_verify: module signatures, the PKCS#7 message and X.509 certificates parsed, detailed
//! and verified. The logic: tests/support/fuzz_targets/pkcs7_verify.rs.
#![no_main]

#[path = "../../tests/support/mod.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| support::fuzz_targets::pkcs7_verify(data));
