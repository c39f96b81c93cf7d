//! What the kernel's loader does for a module between the ELF checks and `copy_module_elf()`, as
//! far as livepatch needs it: the module's name and livepatch flag, the kept symbol table
//! (`core_kallsyms`, see [`crate::kallsyms`]) and `rewrite_section_headers()`; and the matching
//! release.

use core::ffi::c_char;
use core::slice;

use goblin::elf::section_header::SHF_ALLOC;

use crate::error::Error;
use crate::freestanding::strnlen;
use crate::kallsyms;
use crate::layout::{Elf64_Shdr, LoadInfo, Module, MODULE_NAME_LEN};
use crate::load_info::image_of;
use crate::modinfo;
use crate::persist;

/// `klpelf_prepare_module()`: fills `mod->name`, `mod->klp` and `mod->core_kallsyms` from the
/// image `info` describes, then rewrites its section headers. `*module` and the image change only
/// on success.
///
/// # Safety
/// `info` must have been filled by `klpelf_setup_load_info()`, its image still valid and writable,
/// and `info->name` NULL or a NUL-terminated string.
pub unsafe fn prepare(module: &mut Module, info: &LoadInfo) -> Result<(), Error> {
    if !module.core_kallsyms.symtab.is_null() || !module.core_kallsyms.strtab.is_null() {
        return Err(Error::KallsymsPresent);
    }
    // SAFETY: the caller's contract for `info->name`.
    let name = unsafe { module_name(info.name) }?;
    // SAFETY: the caller's contract for `info`'s image.
    let image = unsafe { image_of(info) }?;
    let livepatch = match info.index.info {
        0 => false,
        index => {
            let (_, section) =
                image.section(index, "index.info is not a section inside the image")?;
            modinfo::find(section, b"livepatch").is_some()
        }
    };
    let symbols = image.symbol_table(info.index.sym)?;
    let (_, strtab) =
        image.section(info.index.str, "index.str is not a section inside the image")?;
    let count = image.table.count();
    let kept = kallsyms::copy(symbols, strtab)?;
    // Nothing fails from here on: `*module` and the image change only on success.
    // SAFETY: `count` section headers were just proven inside the image at `info->hdr`, which the
    // caller gave as writable; the views of it are no longer used.
    unsafe { rewrite_section_headers(info, count) };
    module.name = [0; MODULE_NAME_LEN];
    for (to, &from) in module.name.iter_mut().zip(name) {
        *to = from as c_char;
    }
    module.klp = livepatch;
    module.core_kallsyms = kept;
    Ok(())
}

/// `klpelf_release_module()`: frees `mod->klp_info` as `free_module_elf()` does, then the
/// `core_kallsyms` block.
///
/// # Safety
/// `module.klp_info` NULL or made by `copy_module_elf()`; `module.core_kallsyms.symtab` NULL or
/// made by [`prepare`].
pub unsafe fn release(module: &mut Module) {
    // SAFETY: the caller's contract.
    unsafe {
        persist::free_klp_info(module);
        kallsyms::free_kallsyms(module);
    }
}

/// Reads at most `MODULE_NAME_LEN` bytes of the C string `name`: the module's name, checked to fit
/// `struct module`'s `name` with its NUL.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string.
unsafe fn module_name<'a>(name: *const c_char) -> Result<&'a [u8], Error> {
    if name.is_null() {
        return Err(Error::NoName);
    }
    // SAFETY: strnlen reads no further than the string's NUL or MODULE_NAME_LEN bytes, both inside
    // the string.
    let len = unsafe { strnlen(name, MODULE_NAME_LEN) };
    if len >= MODULE_NAME_LEN {
        return Err(Error::NameTooLong { len });
    }
    if len == 0 {
        return Err(Error::NoName);
    }
    // SAFETY: the first `len` bytes of the string were just read by strnlen.
    Ok(unsafe { slice::from_raw_parts(name.cast::<u8>(), len) })
}

/// The kernel's `rewrite_section_headers()`: every section's `sh_addr` becomes its address in the
/// image, and `__versions`, the extended-version sections and `.modinfo` lose `SHF_ALLOC` (the
/// loader keeps them only while loading). `copy_module_elf()` then persists these addresses, which
/// is how the livepatch relocation sections are found later.
///
/// # Safety
/// `info->hdr` must point at a writable image whose section header table (at `e_shoff`) holds
/// `count` headers, and no reference into the image may be live.
unsafe fn rewrite_section_headers(info: &LoadInfo, count: usize) {
    let base = info.hdr.cast::<u8>();
    // SAFETY: the caller's contract: the header and `count` section headers are in the image.
    unsafe {
        let sechdrs = base.add((*info.hdr).e_shoff as usize).cast::<Elf64_Shdr>();
        (*sechdrs).sh_addr = 0;
        for i in 1..count {
            let shdr = sechdrs.add(i);
            (*shdr).sh_addr = (base as u64).wrapping_add((*shdr).sh_offset);
        }
        let index = &info.index;
        for kept_while_loading in [index.vers, index.vers_ext_crc, index.vers_ext_name, index.info]
        {
            if (kept_while_loading as usize) < count {
                (*sechdrs.add(kept_while_loading as usize)).sh_flags &= !u64::from(SHF_ALLOC);
            }
        }
    }
}
