//! klpelf's benchmarks: each group measures klpelf against its baselines in the same run, so the
//! report (`scripts/bench` → `BENCHMARKS.md`) can give ratios that survive a noisy host.
//!
//! - `copy`: `copy_module_elf` + `free_module_elf` through the C ABI (`klpelf`), the kernel's
//!   algorithm as plain C (`kernel-c`: three mallocs, the header copied by value, two memcpys, three
//!   frees) and the floor (`floor`: one malloc of the same total bytes, one memcpy, one free), at
//!   16, 256, 4,096, 65,279 and 1,000,000 sections of synthetic tables laid out like a file: ELF
//!   header, section header table, section-name table (about 21 bytes a section). 1,000,000 uses
//!   extended numbering (`e_shnum = 0`, `e_shstrndx = SHN_XINDEX`, count and name-table index in
//!   section 0); the kernel cannot express it, so `kernel-c` there reads the count and index from
//!   section 0 and copies exactly the same bytes as it would if `e_shnum` could hold the count.
//! - `ingest`: `klpelf_setup_load_info` (`klpelf`) against elfutils libelf doing the same work
//!   (`libelf`) and `goblin::elf::Elf::parse` plus the same index pass (`goblin`), on a module-shaped
//!   object of 92 sections (`module`) and a 65,279-section one (`many`), both built at bench time.
//! - `pipeline`: setup → prepare → copy → release per module (`klpelf`), on the same objects.
//! - `images`: a real distribution module opened through `klpelf_image_open` (`.ko.xz`, `.ko.zst`,
//!   `.ko`) against `xz -dc` / `zstd -dc` piped into the bytes API and against an already-mapped
//!   buffer, each followed by setup.
//! - `verify`: one real distribution module's signature (Debian's 7.2 cloud kernel, ECDSA P-384)
//!   verified by `klpelf_verify_signature` (`klpelf`) and by libcrypto's `CMS_verify`
//!   (`libcrypto`), in-process, on the same bytes and certificate.
//! - `relocs`: apply and clear 100,000 livepatch relocations: the kernel's own
//!   `__write_relocate_add()` (`kernel`, compiled from a kernel source when one is there),
//!   klpelf's relocation step (`klpelf`) and its public API with symbol resolution (`klpelf-api`),
//!   on the same buffers.
//!
//! The C baselines and object builders are in `benches/support` (a dev-dependency only).
//!
//! Profiling: `KLPELF_BENCH_PROFILE=copy/klpelf/4096 KLPELF_BENCH_ITERS=100000` runs just that case
//! that many times without criterion (for `valgrind --tool=callgrind`); the id is
//! `GROUP/VARIANT/PARAM` as in criterion's output.
//!
//! The code is in `benches/klpelf/`: [`tables`] (the `copy` group's synthetic tables), [`copy`],
//! [`ingest`] (with the objects under test), [`pipeline`], [`images`], [`relocs`], [`verify`], and
//! [`harness`]
//! (criterion or profiling).

// A crate root's `mod` looks in its own directory, benches/, where cargo would take every file for
// a bench target of its own; benches/klpelf/ has no main.rs, so cargo leaves it alone.
#[path = "klpelf/copy.rs"]
mod copy;
#[path = "klpelf/harness.rs"]
mod harness;
#[path = "klpelf/images.rs"]
mod images;
#[path = "klpelf/ingest.rs"]
mod ingest;
#[path = "klpelf/pipeline.rs"]
mod pipeline;
#[path = "klpelf/relocs.rs"]
mod relocs;
#[path = "klpelf/tables.rs"]
mod tables;
#[path = "klpelf/verify.rs"]
mod verify;

use klpelf::layout::{LoadInfo, Module};

use crate::harness::Harness;

/// From here on the count needs extended numbering (`SHN_LORESERVE`).
const SHN_LORESERVE: usize = 0xff00;
const SHN_XINDEX: u16 = 0xffff;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_RELA: u32 = 4;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const SHF_INFO_LINK: u64 = 0x40;

/// A zeroed `struct module`, as the C API asks callers to start one.
fn zeroed_module() -> Module {
    // SAFETY: `Module` is a repr(C) struct of integers, bools, an array and raw pointers, all of
    // which are valid when zero.
    unsafe { std::mem::zeroed() }
}

/// A zeroed `struct load_info`.
fn zeroed_load_info() -> LoadInfo {
    // SAFETY: `LoadInfo` is a repr(C) struct of integers, a bool and raw pointers, all of which are
    // valid when zero.
    unsafe { std::mem::zeroed() }
}

fn main() {
    let mut harness = Harness::new();
    copy::copy_group(&mut harness);
    if harness.wants_group("ingest") || harness.wants_group("pipeline") {
        let mut objects = ingest::objects_under_test();
        ingest::ingest_group(&mut harness, &mut objects);
        pipeline::pipeline_group(&mut harness, &mut objects);
    }
    if harness.wants_group("images") {
        images::images_group(&mut harness);
    }
    if harness.wants_group("relocs") {
        relocs::relocs_group(&mut harness);
    }
    if harness.wants_group("verify") {
        verify::verify_group(&mut harness);
    }
    harness.finish();
}
