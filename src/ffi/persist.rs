//! The kernel's two functions, `copy_module_elf()` and `free_module_elf()`, and the borrowing of
//! the tables they read: a caller's `struct load_info`, or the persisted `mod->klp_info`.
//!
//! Their symbols are `klpelf_copy_module_elf` and `klpelf_free_module_elf`, so that a program with
//! functions of the kernel's names links; the header gives C the kernel's names as macros, and
//! Rust has them as the aliases below.

use core::ffi::{c_char, c_int, c_uint};
use core::slice;

use super::{boundary, non_null};
use crate::error::Error;
use crate::layout::{Elf64_Ehdr, Elf64_Shdr, LoadInfo, Module};
use crate::persist::{self, ElfTables};
use crate::section_table::SectionTable;

pub use klpelf_copy_module_elf as copy_module_elf;
pub use klpelf_free_module_elf as free_module_elf;

/// Borrows the tables `copy_module_elf` reads (or wrote), proving the indices in range first.
/// `names` names the three pointers for the NULL messages.
///
/// # Safety
/// The pointers must be NULL or as `struct load_info` documents them: `hdr` a valid header,
/// `sechdrs` the section header table it describes, `secstrings` the section-name table's bytes.
unsafe fn elf_tables<'a>(
    hdr: *const Elf64_Ehdr,
    sechdrs: *const Elf64_Shdr,
    secstrings: *const c_char,
    symndx: c_uint,
    names: [&'static str; 3],
) -> Result<ElfTables<'a>, Error> {
    let [hdr_name, sechdrs_name, secstrings_name] = names;
    // SAFETY: the caller's contract for `hdr`; NULL is rejected.
    let hdr = unsafe { non_null(hdr, hdr_name) }?;
    // SAFETY: the caller's contract: a non-NULL `sechdrs` holds at least section 0.
    let sec0 = unsafe { non_null(sechdrs, sechdrs_name) }?;
    // Not borrowed yet: the table may be empty, so no byte of it is known to be readable.
    if secstrings.is_null() {
        return Err(Error::NullArgument(secstrings_name));
    }
    let (count, shstrndx) = persist::copy_numbering(hdr, sec0, symndx)?;
    // SAFETY: `sechdrs` holds the `count` headers that the header and section 0 announce.
    let sechdrs = unsafe { slice::from_raw_parts(sechdrs, count) };
    let secstrings_len = persist::secstrings_len(&sechdrs[shstrndx])?;
    // SAFETY: `secstrings` holds the section-name table, `sh_size` bytes (at most isize::MAX).
    let secstrings = unsafe { slice::from_raw_parts(secstrings.cast(), secstrings_len) };
    let table = SectionTable { hdr, sechdrs, shstrndx: shstrndx as u64, secstrings };
    Ok(ElfTables { table, symndx })
}

/// The persisted tables of `mod->klp_info`.
///
/// # Safety
/// `module.klp_info` must be NULL or made by `copy_module_elf()`.
pub(super) unsafe fn persisted_tables(module: &Module) -> Result<ElfTables<'_>, Error> {
    // SAFETY: the caller's contract; NULL is rejected.
    let klp = unsafe { module.klp_info.as_ref() }
        .ok_or(Error::NullArgument("mod->klp_info (call copy_module_elf() first)"))?;
    let names = ["mod->klp_info->hdr", "mod->klp_info->sechdrs", "mod->klp_info->secstrings"];
    // SAFETY: copy_module_elf() made the three tables as the header describes them.
    unsafe { elf_tables(&klp.hdr, klp.sechdrs, klp.secstrings, klp.symndx, names) }
}

/// Persists the ELF information a livepatch module needs after its image is freed: a copy of the ELF
/// header, the section header table and the section-name table, stored in `mod->klp_info`. In the
/// copy, the symbol table section's `sh_addr` points at `mod->core_kallsyms.symtab`.
///
/// Reads `info->hdr`, `info->sechdrs`, `info->secstrings` and `info->index.sym`; extended section
/// numbering (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`) is understood.
///
/// Returns 0 on success. On failure `*mod` is unchanged, nothing is leaked, `klpelf_last_error()`
/// says why, and the return value is:
/// - `-EINVAL`: `mod`, `info`, `info->hdr`, `info->sechdrs` or `info->secstrings` is NULL;
///   `e_shstrndx` or `index.sym` is 0 or not below the section count, or `e_shstrndx` is a
///   reserved index (`SHN_LORESERVE` up to, not including, `SHN_XINDEX`); the section count (under
///   extended numbering) exceeds `UINT32_MAX`; or the section-name table is larger than
///   `PTRDIFF_MAX`;
/// - `-EEXIST`: `mod->klp_info` is already set (call `free_module_elf()` first);
/// - `-ENOMEM`: the allocator failed (or returned a block not aligned to 8 bytes).
///
/// The copy is one block from the configured allocator; free it only with `free_module_elf()`.
///
/// # Safety
/// Non-NULL pointers must be valid: `mod` for reads and writes, `info`'s tables for reads of the sizes
/// the header and section headers announce.
#[no_mangle]
pub unsafe extern "C" fn klpelf_copy_module_elf(r#mod: *mut Module, info: *mut LoadInfo) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { r#mod.as_mut() }.ok_or(Error::NullArgument("mod"))?;
        // SAFETY: as above.
        let info = unsafe { non_null(info, "info") }?;
        if !module.klp_info.is_null() {
            return Err(Error::AlreadyPersisted);
        }
        let names = ["info->hdr", "info->sechdrs", "info->secstrings"];
        // SAFETY: the caller's contract for `info`'s tables.
        let tables =
            unsafe { elf_tables(info.hdr, info.sechdrs, info.secstrings, info.index.sym, names) }?;
        let klp_info = persist::persist(&tables, module.core_kallsyms.symtab)?;
        module.klp_info = klp_info.as_ptr();
        Ok(0)
    })
}

/// Frees what `copy_module_elf()` stored in `mod->klp_info` and sets `mod->klp_info` to NULL.
/// Accepts a NULL `mod` and a NULL `mod->klp_info` (then does nothing), so a second call is harmless.
///
/// # Safety
/// A non-NULL `mod` must be valid for reads and writes, and its `klp_info` NULL or made by
/// `copy_module_elf()`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_free_module_elf(r#mod: *mut Module) {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is accepted.
        if let Some(module) = unsafe { r#mod.as_mut() } {
            // SAFETY: the caller's contract: a non-NULL klp_info was made by copy_module_elf().
            unsafe { persist::free_klp_info(module) };
        }
        Ok(())
    })
}
