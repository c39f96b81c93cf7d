//! Fuzz target 2: bytes decoded as a caller-built struct load_info (counts, indices, extended
//! numbering, NULLs, allocation failures) → copy_module_elf / free_module_elf, compared with the C
//! reference oracle (c_tests/support/oracle.c, compiled by build.rs) where its preconditions hold.
//! The logic: tests/support/fuzz_targets/copy_structured.rs.
#![no_main]

use std::ffi::c_int;

use klpelf::layout::{LoadInfo, Module};

#[path = "../../tests/support/mod.rs"]
mod support;

use support::fuzz_targets::{copy_structured, Oracle};

extern "C" {
    fn oracle_copy_module_elf(module: *mut Module, info: *mut LoadInfo) -> c_int;
    fn oracle_free_module_elf(module: *mut Module);
}

const ORACLE: Oracle = Oracle { copy: oracle_copy_module_elf, free: oracle_free_module_elf };

libfuzzer_sys::fuzz_target!(|data: &[u8]| copy_structured(data, ORACLE));
