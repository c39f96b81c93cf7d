//! klpelf: the Linux kernel's livepatch ELF persistence (`copy_module_elf()` / `free_module_elf()`
//! from `kernel/module/livepatch.c`) as a library with a C ABI.
//!
//! One concern per file:
//! - [`layout`]: the `#[repr(C)]` structs the C header declares, with the kernel's layouts, and the
//!   kernel's name limits;
//! - [`view`]: typed, bounds-checked views over borrowed bytes and the one string-table reader;
//! - [`section_table`]: the one view of a section header table, where extended section numbering
//!   is decoded;
//! - [`checks`]: the kernel's ELF checks on a module image, in its order; [`check_id`] names them
//!   for C and [`rejection`] says why an image failed one;
//! - [`signature`]: the appended module signature, found and stripped as the kernel does;
//! - [`compression`]: the compression formats, told apart by magic; [`decompress`]: their
//!   decoders; [`image`]: a module image owned by klpelf, opened from a file, a descriptor or
//!   bytes (mapped, read or decompressed);
//! - [`load_info`]: `struct load_info` from a checked image, and the image back from it;
//! - [`modinfo`]: the `.modinfo` reader; [`versions`]: `__versions`, the extended version tables
//!   and the version magic; [`inspect_view`]: a module file of any 64-bit architecture and byte
//!   order, read for inspection;
//! - [`prepare`]: what the loader does before `copy_module_elf()` (name, `core_kallsyms`,
//!   `rewrite_section_headers()`), with [`kallsyms`], the kept symbol table;
//! - [`persist`]: the copy and free logic, safe Rust over borrowed views;
//! - [`klp_names`]: the `.klp.rela.*` and `.klp.sym.*` name formats, parsed as the kernel does;
//! - [`symbol_map`]: a kernel's `System.map` / `/proc/kallsyms`, with the kernel's `sympos` rules;
//! - [`livepatch`]: the walk over `.klp.rela.*` sections and the resolution of `.klp.sym.*` symbols;
//! - [`klp_relocs`]: applying and clearing those sections' relocations (the livepatch core's
//!   walk), with [`relocate`], the x86-64 relocation code, and [`placement`], where the caller
//!   placed the sections and how the bytes are written;
//! - [`alloc`]: the replaceable allocator every handed-out block comes from;
//! - [`error`]: error kinds, errno values and the last error (per thread with `std`), with
//!   [`errno`], the kernel's errno numbers;
//! - [`ffi`]: the `extern "C"` boundary, the only place raw pointers become references;
//! - [`freestanding`]: what the crate needs in place of the C library, and, without the `std`
//!   feature, the panic handler and unwinder stubs of the freestanding build.
//!
//! Features: `std` (on by default) keeps the last-error message per thread, allocates with the C
//! library's `malloc`/`free` until told otherwise, and reads files. Without it (the freestanding
//! build) klpelf uses no C library function and no thread-locals: memory comes only from the
//! allocator set with `klpelf_set_allocator()`, and the last-error message is one slot for the
//! program. Built so with `panic = "abort"` (the `freestanding` profile), the crate is `#![no_std]`
//! and uses neither `std` nor Rust's `alloc` crate, and a panic stops the program (see
//! [`freestanding`]). With `panic = "unwind"` (plain `cargo build --no-default-features`, and
//! every test build) it still links `std`, only for the unwinding runtime that
//! `catch_unwind` needs at the C boundary: this toolchain's `core` cannot unwind without it.

#![cfg_attr(all(not(feature = "std"), panic = "abort", not(test)), no_std)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("klpelf supports 64-bit hosts only (it reads ELF64 files in native byte order)");

pub mod alloc;
pub mod check_id;
pub mod checks;
pub mod compression;
pub mod decompress;
mod errno;
pub mod error;
pub mod ffi;
pub mod freestanding;
pub mod image;
pub mod inspect_view;
pub mod kallsyms;
pub mod klp_names;
pub mod klp_relocs;
pub mod layout;
pub mod livepatch;
pub mod load_info;
pub mod modinfo;
pub mod persist;
pub mod placement;
pub mod prepare;
pub mod rejection;
pub mod relocate;
pub mod section_table;
pub mod signature;
pub mod symbol_map;
pub mod versions;
pub mod view;

/// Major version of the klpelf API (semantic versioning).
pub const KLPELF_VERSION_MAJOR: u32 = 0;
/// Minor version of the klpelf API.
pub const KLPELF_VERSION_MINOR: u32 = 1;
/// Patch version of the klpelf API.
pub const KLPELF_VERSION_PATCH: u32 = 0;

#[cfg(test)]
mod tests {
    #[test]
    fn version_macros_match_the_package() {
        assert_eq!(super::KLPELF_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(super::KLPELF_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(super::KLPELF_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    }
}
