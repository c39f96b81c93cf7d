//! The symbol table a livepatch module keeps for its lifetime (`mod->core_kallsyms`), built as the
//! kernel's `layout_symtab()` / `add_kallsyms()` build it for livepatch modules: every symbol, in the
//! original order, so that the symbol indices in `.klp.rela.*` relocations stay valid after the
//! image is gone.
//!
//! Two deliberate differences from the kernel, neither visible through `st_name`:
//! - the string table is copied whole, so `st_name` keeps its value; the kernel copies only the
//!   names of kept symbols (all of them, for a livepatch module) and renumbers `st_name`;
//! - `typetab` stays NULL: the `nm`-style type letters serve `/proc/kallsyms`, which the livepatch
//!   ELF persistence never reads.
//!
//! Symbols are copied as they are in the file; the kernel would already have relocated `st_value`.
//!
//! Like [`crate::persist`], klpelf makes one block (an [`OwnedBlock`]) where the kernel makes
//! several: the symbols, then the string table. `symtab` and `strtab` point into it; only
//! [`release`] frees it, through `symtab`.

use core::mem::size_of;
use core::ptr::{self, NonNull};

use crate::alloc::OwnedBlock;
use crate::error::Error;
use crate::layout::{Elf64_Sym, ModKallsyms, Module};

/// Copies `symbols` and `strtab` into one block from the configured allocator and describes it as
/// a `struct mod_kallsyms` (`typetab` NULL). Only [`release`] frees it.
pub fn copy(symbols: &[Elf64_Sym], strtab: &[u8]) -> Result<ModKallsyms, Error> {
    let count = u32::try_from(symbols.len())
        .map_err(|_| Error::TooLarge { what: "symbol table", size: symbols.len() as u64 })?;
    let too_large = Error::TooLarge { what: "kallsyms copy", size: u64::MAX };
    let strtab_at = symbols.len().checked_mul(size_of::<Elf64_Sym>()).ok_or(too_large)?;
    let size = strtab_at.checked_add(strtab.len()).ok_or(too_large)?;
    let block = OwnedBlock::new(size)?;
    let symtab = block.as_ptr().cast::<Elf64_Sym>();
    // SAFETY: the block is 8-aligned (as `Elf64_Sym` needs) and `size` bytes long: the symbols at
    // offset 0 and the strings at `strtab_at` lie inside it without overlapping. The sources are
    // live borrowed slices, which cannot overlap a block just allocated.
    let strings = unsafe {
        ptr::copy_nonoverlapping(symbols.as_ptr(), symtab, symbols.len());
        let strings = block.as_ptr().add(strtab_at);
        ptr::copy_nonoverlapping(strtab.as_ptr(), strings, strtab.len());
        strings
    };
    block.into_raw();
    Ok(ModKallsyms { symtab, num_symtab: count, strtab: strings.cast(), typetab: ptr::null_mut() })
}

/// Frees the block that [`copy`] made, given its `symtab`.
///
/// # Safety
/// `symtab` was the `symtab` of a [`copy`] result and has not been released.
pub unsafe fn release(symtab: NonNull<Elf64_Sym>) {
    // SAFETY: the caller's contract: `symtab` is the data pointer of a block `copy` gave up.
    drop(unsafe { OwnedBlock::from_raw(symtab.cast()) });
}

/// Frees a module's `core_kallsyms` block, if any, and clears `core_kallsyms` first, so that it is
/// released once.
///
/// # Safety
/// `module.core_kallsyms.symtab` is NULL or was made by [`copy`].
pub unsafe fn free_kallsyms(module: &mut Module) {
    let empty = ModKallsyms {
        symtab: ptr::null_mut(),
        num_symtab: 0,
        strtab: ptr::null_mut(),
        typetab: ptr::null_mut(),
    };
    let kept = core::mem::replace(&mut module.core_kallsyms, empty);
    if let Some(symtab) = NonNull::new(kept.symtab) {
        // SAFETY: the caller's contract; the block is no longer reachable from `module`.
        unsafe { release(symtab) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_in_order_and_releases() {
        let symbols: Vec<Elf64_Sym> = (0..5u32)
            .map(|i| Elf64_Sym {
                st_name: i * 3,
                st_value: u64::from(i) << 12,
                ..Default::default()
            })
            .collect();
        let strtab = b"\0ab\0cd\0ef\0gh\0";
        let kallsyms = copy(&symbols, strtab).unwrap();
        assert_eq!(kallsyms.num_symtab, 5);
        assert!(kallsyms.typetab.is_null());
        // SAFETY: the block is live until `release` below; the lengths are what `copy` copied.
        unsafe {
            let copied = core::slice::from_raw_parts(kallsyms.symtab, 5);
            assert!(copied == symbols.as_slice());
            let strings = core::slice::from_raw_parts(kallsyms.strtab.cast::<u8>(), strtab.len());
            assert_eq!(strings, strtab);
            release(NonNull::new(kallsyms.symtab).unwrap());
        }
    }

    #[test]
    fn an_empty_symbol_table_still_has_a_symtab_pointer() {
        let kallsyms = copy(&[], b"\0").unwrap();
        assert_eq!(kallsyms.num_symtab, 0);
        let symtab = NonNull::new(kallsyms.symtab).expect("symtab points into the block");
        // SAFETY: made by `copy` just above, released once.
        unsafe { release(symtab) };
    }
}
