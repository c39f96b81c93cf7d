//! klpelf: the Linux kernel's livepatch ELF persistence (`copy_module_elf()` / `free_module_elf()`
//! from `kernel/module/livepatch.c`) as a library with a C ABI.
//!
//! One concern per file:
//! - [`layout`]: the `#[repr(C)]` structs the C header declares, with the kernel's layouts;
//! - [`persist`]: the copy and free logic, safe Rust over borrowed views;
//! - [`signature`]: the appended module signature, found and stripped as the kernel does;
//! - [`checks`]: the kernel's ELF checks on a module image, in its order, as typed views;
//! - [`modinfo`]: the `.modinfo` reader;
//! - [`kallsyms`]: the symbol-table copy a livepatch module keeps (`core_kallsyms`);
//! - [`klp_names`]: the `.klp.rela.*` and `.klp.sym.*` name formats, parsed as the kernel does;
//! - [`symbol_map`]: a kernel's `System.map` / `/proc/kallsyms`, with the kernel's `sympos` rules;
//! - [`alloc`]: the replaceable allocator every handed-out block comes from;
//! - [`error`]: error kinds, errno values and the per-thread last-error message;
//! - [`ffi`]: the `extern "C"` boundary, the only place raw pointers become references.

#[cfg(not(target_pointer_width = "64"))]
compile_error!("klpelf supports 64-bit hosts only (it reads ELF64 files in native byte order)");

pub mod alloc;
pub mod checks;
pub mod error;
pub mod ffi;
pub mod kallsyms;
pub mod klp_names;
pub mod layout;
pub mod modinfo;
pub mod persist;
pub mod signature;
pub mod symbol_map;

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
