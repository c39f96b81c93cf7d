//! Module images to `struct load_info` and `struct module`: the kernel's ELF checks
//! (`klpelf_setup_load_info()`), `.modinfo`, and the preparation of `struct module` and its
//! release. (The appended signature's exports are in `signature`.)

use core::ffi::{c_char, c_int, c_uint, c_void};

use super::{boundary, bytes, c_str, non_null};
use crate::error::Error;
use crate::layout::{LoadInfo, Module};
use crate::{load_info, prepare};

/// Flag for `klpelf_setup_load_info()`: accept extended section numbering (`e_shnum == 0` with the
/// count in section 0's `sh_size`; `e_shstrndx == SHN_XINDEX` with the index in section 0's
/// `sh_link`), which the kernel's loader rejects. Objects with more than 65,279 sections use it.
pub const KLPELF_SETUP_ALLOW_XNUM: c_uint = 1;

/// Checks a module image the way the kernel's loader does and describes it in `*info`, ready for
/// `klpelf_prepare_module()` and `copy_module_elf()`.
///
/// `image` holds `len` bytes of a module file (`.ko`), signed or not. In order:
/// 1. an appended module signature is stripped as the kernel strips it: `info->len` becomes the
///    length of the ELF part (a signature that is not PKCS#7 loses only its marker, as in a kernel
///    that does not enforce signatures; klpelf verifies no signature and leaves `sig_ok` false);
/// 2. the kernel's ELF checks run in the kernel's order (`elf_validity_cache_copy()` of
///    `kernel/module/main.c`, as of Linux 7.2);
/// 3. so do the checks the kernel leaves to its architecture code (ELF class 64, the host's byte
///    order and machine), and checks that close the reads the kernel makes out of bounds on a
///    malformed file (section contents it reads without bounds checks, symbol section indices,
///    relocation symbol indices);
/// 4. `e_shoff` and the symbol table's `sh_offset` must be multiples of 8, since C uses them as
///    arrays of `Elf64_Shdr` and `Elf64_Sym`.
///
/// One of the kernel's checks (the size of `.gnu.linkonce.this_module` equals the running
/// kernel's `sizeof(struct module)`) cannot be made: that size depends on a kernel klpelf does
/// not know. Extended section numbering is rejected, as the kernel rejects it, unless `flags` has
/// `KLPELF_SETUP_ALLOW_XNUM`.
///
/// On success `*info` is overwritten: `hdr`, `sechdrs`, `secstrings` and `strtab` point into
/// `image`; `len` is the ELF part's length; `name` points at the value of `.modinfo`'s `name=` tag,
/// NUL-terminated inside the image, or is NULL without one; `index` holds every index as the kernel
/// finds it (0 for absent optional sections); `mod` is NULL (the image's
/// `.gnu.linkonce.this_module` holds the target kernel's `struct module`, not klpelf's); every other
/// field is 0 or false. Nothing is allocated and nothing needs freeing, but `image` must stay valid
/// and unchanged for as long as `*info` is used.
///
/// Returns 0 on success. On failure `*info` is unchanged, `klpelf_last_error_check()` says which
/// check failed (`enum klpelf_check`), `klpelf_last_error()` says why in the kernel's terms,
/// starting with the kernel function whose check failed and naming the section involved, and the
/// return value is:
/// - `-ENOEXEC`: the image fails a check;
/// - `-EBADMSG`: the appended signature's trailer is malformed (as the kernel says);
/// - `-EINVAL`: `info` or `image` is NULL, `image` is not 8-byte aligned, `len` exceeds
///   `PTRDIFF_MAX`, or `flags` has bits other than `KLPELF_SETUP_ALLOW_XNUM`.
///
/// # Safety
/// Non-NULL pointers must be valid: `info` for writes, `image` for reads of `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_setup_load_info(
    info: *mut LoadInfo,
    image: *mut c_void,
    len: usize,
    flags: c_uint,
) -> c_int {
    boundary(|| {
        if info.is_null() {
            return Err(Error::NullArgument("info"));
        }
        if flags & !KLPELF_SETUP_ALLOW_XNUM != 0 {
            return Err(Error::UnknownFlags { flags });
        }
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(image.cast::<u8>(), len, "image") }?;
        let filled = load_info::setup(image, flags & KLPELF_SETUP_ALLOW_XNUM != 0)?;
        // SAFETY: `info` is non-NULL and valid for writes by the caller's contract; written only
        // now that every check passed.
        unsafe { load_info::store(filled, info) };
        Ok(0)
    })
}

/// The value of the first `tag=value` entry of the module's `.modinfo` section, as the kernel's
/// `get_modinfo()` finds it: entries are NUL-separated, runs of NULs between them are skipped, and
/// `tag` must match a whole tag (`"lic"` does not match `license=GPL`).
///
/// Returns a NUL-terminated string inside the image (owned by the caller's image, valid as long as
/// it is; do not free it), or NULL. NULL with `klpelf_last_error()` NULL means the tag is absent
/// (or the module has no `.modinfo`). One difference from the kernel: a last entry that runs to the
/// end of the section without a NUL is never matched, because it cannot be returned as a
/// NUL-terminated string inside the image.
///
/// NULL with a message means an error: `info` or `tag` is NULL, or `info` does not describe an
/// image that `klpelf_setup_load_info()` accepted (its `.modinfo` index or bounds are wrong).
///
/// # Safety
/// `info` must be NULL or a `struct load_info` filled by `klpelf_setup_load_info()`, its image still
/// valid; `tag` must be NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn klpelf_get_modinfo(
    info: *const LoadInfo,
    tag: *const c_char,
) -> *const c_char {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let info = unsafe { non_null(info, "info") }?;
        // SAFETY: the caller's contract for `tag`; NULL is rejected.
        let tag = unsafe { c_str(tag, "tag") }?;
        // SAFETY: the caller's contract for `info`'s image.
        unsafe { load_info::get_modinfo(info, tag) }
    })
}

/// Does for `*mod` what the kernel's loader does before `copy_module_elf()`: sets `mod->name` from
/// `info->name`, sets `mod->klp` to whether `.modinfo` carries a `livepatch` tag, and builds
/// `mod->core_kallsyms` as the kernel builds it for a livepatch module: every symbol of the image's
/// symbol table, in its original order (`num_symtab` is the symbol count), and a copy of the
/// symbol string table, so that `st_name` values index `core_kallsyms.strtab` unchanged. `typetab`
/// stays NULL (klpelf computes no `nm` type letters). Symbols are copied as they are in the file.
///
/// Then, as the kernel's `rewrite_section_headers()` does, it sets every section's `sh_addr` in the
/// image to the section's address in the image and clears `SHF_ALLOC` from `__versions`, the
/// extended-version sections and `.modinfo`: `copy_module_elf()` persists those headers, and
/// `klpelf_resolve_symbols()` finds the livepatch relocations at those addresses. This writes to
/// the image's section header table (nothing else in the image changes, and nothing on failure).
///
/// Reads `info->hdr`, `info->len`, `info->name`, `info->index.sym`, `info->index.str` and
/// `info->index.info`; `info` must come from `klpelf_setup_load_info()`. The symbol and string tables
/// are one block from the configured allocator; `mod->core_kallsyms.symtab` and `.strtab` point
/// into it. Free it only with `klpelf_release_module()`. `mod->klp_info` is not touched.
///
/// Returns 0 on success. On failure `*mod` is unchanged, nothing is leaked, `klpelf_last_error()`
/// says why, and the return value is:
/// - `-EINVAL`: `mod` or `info` is NULL, or `info` does not describe an image that
///   `klpelf_setup_load_info()` accepted (an index or bound that does not hold);
/// - `-EEXIST`: `mod->core_kallsyms.symtab` or `.strtab` is already set (call
///   `klpelf_release_module()` first);
/// - `-ENOEXEC`: the module has no name (`info->name` is NULL because `.modinfo` has no `name=`,
///   or it is empty);
/// - `-ENAMETOOLONG`: the name has `MODULE_NAME_LEN` (56) bytes or more, so it does not fit
///   `mod->name` with its NUL (klpelf does not cut it);
/// - `-ENOMEM`: the allocator failed.
///
/// # Safety
/// `mod` must be NULL or valid for reads and writes; `info` NULL or filled by
/// `klpelf_setup_load_info()` with its image still valid.
#[no_mangle]
pub unsafe extern "C" fn klpelf_prepare_module(r#mod: *mut Module, info: *const LoadInfo) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { r#mod.as_mut() }.ok_or(Error::NullArgument("mod"))?;
        // SAFETY: as above.
        let info = unsafe { non_null(info, "info") }?;
        // SAFETY: the caller's contract for `info`'s name and image.
        unsafe { prepare::prepare(module, info) }?;
        Ok(0)
    })
}

/// Frees what `klpelf_prepare_module()` and `copy_module_elf()` made for `*mod`: first
/// `mod->klp_info`, exactly as `free_module_elf()` does, then the `core_kallsyms` block, and sets the
/// freed pointers to NULL (`num_symtab` to 0). `name` and `klp` are left as they are. Accepts a
/// NULL `mod` and a module with nothing to free, so a second call is harmless.
///
/// # Safety
/// `mod` must be NULL or valid for reads and writes; its `klp_info` NULL or made by
/// `copy_module_elf()`; its `core_kallsyms.symtab` NULL or made by `klpelf_prepare_module()` (a
/// `core_kallsyms` the caller built itself must be freed by the caller and cleared first).
#[no_mangle]
pub unsafe extern "C" fn klpelf_release_module(r#mod: *mut Module) {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is accepted.
        if let Some(module) = unsafe { r#mod.as_mut() } {
            // SAFETY: the caller's contract: klp_info NULL or made by copy_module_elf(), symtab
            // NULL or made by klpelf_prepare_module().
            unsafe { prepare::release(module) };
        }
        Ok(())
    })
}
