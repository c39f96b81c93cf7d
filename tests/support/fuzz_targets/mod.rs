//! The logic of klpelf's four fuzz targets, shared by the fuzz crate (`fuzz/fuzz_targets/*.rs`
//! include `tests/support/mod.rs` with `#[path]`) and by `tests/fuzz_replay.rs`, which replays every
//! committed seed and regression input through the same functions under plain `cargo test`.
//!
//! Each target is one function from the fuzzer's bytes to assertions; a failed assertion is a
//! finding (the fuzzer stops on the panic, the replay test fails):
//! - [`setup_pipeline`]: bytes as a module file → `klpelf_setup_load_info` (both flag settings, each
//!   twice: the verdict must be stable) → `klpelf_prepare_module` → `copy_module_elf` →
//!   `klpelf_release_module`, with every condition of the kernel's ELF checks asserted on an
//!   accepted image from an independent reading of its bytes (`accepted.rs`);
//! - [`copy_structured`]: bytes decoded as a caller-built `struct load_info` ([`CopyCase`]:
//!   arbitrary counts, indices, extended numbering, NULL pointers, allocation failures) →
//!   `copy_module_elf` / `free_module_elf`, compared with the kernel's code (the C reference oracle
//!   of the C tests) wherever its preconditions hold, and with the documented errors elsewhere;
//! - [`modinfo_signature`]: the `.modinfo` reader (`klpelf::modinfo` and `klpelf_get_modinfo()` on
//!   a module built around the fuzzed section) and the signature trailer parser
//!   (`klpelf_module_signature()` and the stripping in `klpelf_setup_load_info()`), against
//!   independent models of the kernel's code (`models.rs`);
//! - [`relocs`]: livepatch relocation sections, symbol tables and placements ([`relocs_case`]) →
//!   applying, clearing and describing their relocations, against a model of the kernel's code
//!   with klpelf's documented differences ([`relocs_model`]).
//!
//! - [`pkcs7_verify`]: a module's PKCS#7 signature and X.509 certificates → signature details,
//!   certificate sets and verification, which must agree with each other;
//! - [`image_open`]: bytes as a module file, compressed or not → `klpelf_image_from_bytes()` and
//!   `klpelf_image_from_fd()` (mapped or decoded), which must agree → the pipeline on the image.
//! - [`inspect`]: bytes as a module file of any architecture and byte order → the inspection API
//!   (every `.modinfo` entry, the version tables, the version magic), at an odd address.
//!
//! Nothing here depends on the fuzzer: inputs are plain bytes, so the replay needs no extra crate.

mod accepted;
mod bytes;
mod copy_structured;
mod image_open;
mod inspect;
mod models;
mod modinfo_signature;
mod persisted;
mod pkcs7_verify;
mod relocs;
mod relocs_case;
mod relocs_model;
mod setup_pipeline;

// What the fuzz crate and the replay test call; each of them uses a part.
#[allow(unused_imports)]
pub use self::{
    bytes::bytes_of,
    copy_structured::{copy_structured, CopyCase, Oracle, Rare, RawCase},
    image_open::image_open,
    inspect::inspect,
    models::MARKER,
    modinfo_signature::{modinfo_signature, module_around, ModinfoCase, MODINFO_INDEX},
    persisted::numbering,
    pkcs7_verify::{encode as pkcs7_encode, pkcs7_verify, signed_image as pkcs7_signed_image},
    relocs::relocs,
    setup_pipeline::setup_pipeline,
};
