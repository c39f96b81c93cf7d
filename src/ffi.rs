//! The C boundary: every exported function, each a thin shell that checks pointers, turns them into
//! borrowed views, calls the safe core and reports errors. Every export runs inside
//! [`boundary`], the one place where panics are caught, so no unwinding ever reaches C.

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void, CStr};
use core::mem::size_of;
use core::ptr;
use core::slice;
#[cfg(panic = "unwind")]
use std::panic::{catch_unwind, AssertUnwindSafe};

use goblin::elf::section_header::SHF_ALLOC;

use crate::alloc::{self, KlpelfAllocator};
use crate::checks::{self, Checked, Sections};
use crate::error::{self, Error};
use crate::layout::{Elf64_Ehdr, Elf64_Shdr, KlpelfSignature, LoadInfo, Module, MODULE_NAME_LEN};
use crate::persist::{self, ElfTables, Numbering};
use crate::symbol_map::{LookupFailure, MapError, SymbolMap};
use crate::{kallsyms, klp_names, livepatch, modinfo, signature};

/// What an export returns when its body fails: a negative errno for the exports that return a
/// status, NULL for those that return a pointer, nothing for those that return nothing.
trait FailureValue {
    fn failure(errno: c_int) -> Self;
}

impl FailureValue for c_int {
    fn failure(errno: c_int) -> Self {
        errno
    }
}

impl FailureValue for *const c_char {
    fn failure(_: c_int) -> Self {
        ptr::null()
    }
}

impl FailureValue for () {
    fn failure(_: c_int) {}
}

/// Runs one export: clears the thread's last error, runs `body`, and turns an error or a caught
/// panic into the thread's last error and the export's failure value. Built with `panic = "abort"`
/// (the freestanding build) a panic never unwinds: it stops the program (see
/// `crate::freestanding`), so there is nothing to catch and no unwinding reaches C in either case.
fn boundary<T: FailureValue>(body: impl FnOnce() -> Result<T, Error>) -> T {
    error::clear_last_error();
    #[cfg(panic = "unwind")]
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(Error::Panic));
    #[cfg(not(panic = "unwind"))]
    let result = body();
    let error = match result {
        Ok(value) => return value,
        Err(error) => error,
    };
    if !matches!(error, Error::Reported { .. }) {
        error::set_last_error(&error);
    }
    T::failure(error.errno())
}

/// Borrows a C pointer argument, naming it in the error when it is NULL.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads as a `T` for the lifetime chosen by the caller.
unsafe fn non_null<'a, T>(ptr: *const T, what: &'static str) -> Result<&'a T, Error> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is valid.
    unsafe { ptr.as_ref() }.ok_or(Error::NullArgument(what))
}

/// Where the three tables `copy_module_elf` reads live, and their names for NULL messages.
struct TablePointers {
    hdr: *const Elf64_Ehdr,
    sechdrs: *const Elf64_Shdr,
    secstrings: *const c_char,
    symndx: c_uint,
    names: [&'static str; 3],
}

/// Borrows the tables `copy_module_elf` reads (or wrote), proving the indices in range first.
///
/// # Safety
/// The pointers must be NULL or as `struct load_info` documents them: `hdr` a valid header,
/// `sechdrs` the section header table it describes, `secstrings` the section-name table's bytes.
unsafe fn elf_tables<'a>(at: TablePointers) -> Result<ElfTables<'a>, Error> {
    let [hdr_name, sechdrs_name, secstrings_name] = at.names;
    // SAFETY: the caller's contract for `hdr`; NULL is rejected.
    let hdr = unsafe { non_null(at.hdr, hdr_name) }?;
    // SAFETY: the caller's contract: a non-NULL `sechdrs` holds at least section 0.
    let sec0 = unsafe { non_null(at.sechdrs, sechdrs_name) }?;
    // Not borrowed yet: the table may be empty, so no byte of it is known to be readable.
    if at.secstrings.is_null() {
        return Err(Error::NullArgument(secstrings_name));
    }
    let numbering = Numbering::decode(hdr, sec0, at.symndx)?;
    // SAFETY: `sechdrs` holds the `count` headers that the header and section 0 announce.
    let sechdrs = unsafe { slice::from_raw_parts(at.sechdrs, numbering.count) };
    let secstrings_len = persist::secstrings_len(&sechdrs[numbering.shstrndx])?;
    // SAFETY: `secstrings` holds the section-name table, `sh_size` bytes (at most isize::MAX).
    let secstrings = unsafe { slice::from_raw_parts(at.secstrings.cast(), secstrings_len) };
    Ok(ElfTables { hdr, sechdrs, secstrings, symndx: at.symndx })
}

/// The tables of a `struct load_info` that `copy_module_elf` reads.
///
/// # Safety
/// As for [`elf_tables`], for `info`'s pointers.
unsafe fn load_info_tables(info: &LoadInfo) -> Result<ElfTables<'_>, Error> {
    let at = TablePointers {
        hdr: info.hdr,
        sechdrs: info.sechdrs,
        secstrings: info.secstrings,
        symndx: info.index.sym,
        names: ["info->hdr", "info->sechdrs", "info->secstrings"],
    };
    // SAFETY: the caller's contract.
    unsafe { elf_tables(at) }
}

/// The persisted tables of `mod->klp_info`.
///
/// # Safety
/// `module.klp_info` must be NULL or made by `copy_module_elf()`.
unsafe fn persisted_tables(module: &Module) -> Result<ElfTables<'_>, Error> {
    // SAFETY: the caller's contract; NULL is rejected.
    let klp = unsafe { module.klp_info.as_ref() }
        .ok_or(Error::NullArgument("mod->klp_info (call copy_module_elf() first)"))?;
    let at = TablePointers {
        hdr: &klp.hdr,
        sechdrs: klp.sechdrs,
        secstrings: klp.secstrings,
        symndx: klp.symndx,
        names: ["mod->klp_info->hdr", "mod->klp_info->sechdrs", "mod->klp_info->secstrings"],
    };
    // SAFETY: copy_module_elf() made the three tables as the header describes them.
    unsafe { elf_tables(at) }
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
pub unsafe extern "C" fn copy_module_elf(r#mod: *mut Module, info: *mut LoadInfo) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { r#mod.as_mut() }.ok_or(Error::NullArgument("mod"))?;
        // SAFETY: as above.
        let info = unsafe { non_null(info, "info") }?;
        if !module.klp_info.is_null() {
            return Err(Error::AlreadyPersisted);
        }
        // SAFETY: the caller's contract for `info`'s tables.
        let tables = unsafe { load_info_tables(info) }?;
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
pub unsafe extern "C" fn free_module_elf(r#mod: *mut Module) {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is accepted.
        if let Some(module) = unsafe { r#mod.as_mut() } {
            // SAFETY: the caller's contract: a non-NULL klp_info was made by copy_module_elf().
            unsafe { persist::free_klp_info(module) };
        }
        Ok(())
    })
}

/// Sets the allocator for every block klpelf hands out from now on. NULL restores the default, the
/// C library's `malloc`/`free` (the freestanding build has no default: with NULL, or before any
/// allocator is set, every call that allocates fails with `-ENOMEM`).
///
/// Returns 0 on success; `-EBUSY`, changing nothing, while blocks from a caller's allocator set
/// earlier (the current one) are still live (free them first); `-EINVAL` when `a->alloc` or
/// `a->free` is NULL. The struct is copied: `*a` need not outlive the call.
///
/// Blocks made by the default allocator never make this fail: each block records which allocator
/// made it, and the default's are always returned to the C library, whatever is set by then. The
/// default is `malloc`/`free`, except that blocks of 32 MiB and more (tables of some 400,000
/// sections) are mapped with `mmap`, populated at once and offered transparent huge pages, since
/// they are written whole and live as long as the module.
///
/// # Safety
/// A non-NULL `a` must be valid for reads, and its functions must behave as documented on
/// `struct klpelf_allocator`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_set_allocator(a: *const KlpelfAllocator) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL means the default.
        alloc::set_allocator(unsafe { a.as_ref() }).map(|()| 0)
    })
}

/// The message for the last failed klpelf call on the calling thread, or NULL if the thread's last
/// klpelf call succeeded (or it made none). `klpelf_last_error()` and `klpelf_version()`, which
/// cannot fail, leave it as it is. The string is owned by klpelf and stays valid until the thread's
/// next klpelf call; do not free it.
///
/// In the freestanding build (`libklpelf_freestanding.a`, klpelf built without its `std` feature)
/// there are no thread-locals: one message slot serves the whole program, and "the calling thread"
/// above means "the program". That is exact while klpelf is called from one thread (or CPU) at a
/// time, which is how a freestanding program should call it if it reads messages. Overlapping calls
/// stay safe otherwise (return values are exact, and the slot is never torn: a failure that finds
/// another one writing leaves the message to it), but the message may then be NULL or another
/// call's, and it must not be read while another klpelf call runs. It is always NUL-terminated
/// within 256 bytes.
#[no_mangle]
pub extern "C" fn klpelf_last_error() -> *const c_char {
    // Not through `boundary`, which would clear the message this returns; nothing here can panic.
    error::last_error()
}

/// The library's version, `"MAJOR.MINOR.PATCH"` (the same numbers as the `KLPELF_VERSION_*` macros of
/// the header it was built with). A static string; do not free it.
#[no_mangle]
pub extern "C" fn klpelf_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(version) => version,
            Err(_) => panic!("the package version contains a NUL"),
        };
    VERSION.as_ptr()
}

/// Flag for `klpelf_setup_load_info()`: accept extended section numbering (`e_shnum == 0` with the
/// count in section 0's `sh_size`; `e_shstrndx == SHN_XINDEX` with the index in section 0's
/// `sh_link`), which the kernel's loader rejects. Objects with more than 65,279 sections use it.
pub const KLPELF_SETUP_ALLOW_XNUM: c_uint = 1;

/// Borrows a caller's buffer as bytes, rejecting NULL and lengths no Rust slice can have.
///
/// # Safety
/// A non-NULL `ptr` must be valid for reads of `len` bytes for the lifetime chosen by the caller,
/// and not be written while the borrow lives.
unsafe fn bytes<'a>(ptr: *const u8, len: usize, what: &'static str) -> Result<&'a [u8], Error> {
    if ptr.is_null() {
        return Err(Error::NullArgument(what));
    }
    if len > isize::MAX as usize {
        return Err(Error::TooLarge { what, size: len as u64 });
    }
    // SAFETY: non-NULL, at most isize::MAX bytes, valid for reads by the caller's contract.
    Ok(unsafe { slice::from_raw_parts(ptr, len) })
}

/// The image `info` describes: `info->len` bytes at `info->hdr`, re-opened with its section table.
///
/// # Safety
/// `info->hdr` must be NULL or the image `klpelf_setup_load_info()` checked, still valid for reads
/// of `info->len` bytes.
unsafe fn loaded_image(info: &LoadInfo) -> Result<Sections<'_>, Error> {
    let len = usize::try_from(info.len)
        .map_err(|_| Error::BadLoadInfo { what: "info->len does not fit in memory" })?;
    // SAFETY: the caller's contract for `info->hdr`.
    let image = unsafe { bytes(info.hdr.cast::<u8>(), len, "info->hdr") }?;
    Sections::reopen(image)
}

/// A `struct load_info` pointing into the image at `base`, from what the checks proved. Every
/// field not listed in `klpelf_setup_load_info()`'s documentation is 0, false or NULL.
fn load_info(base: *mut u8, checked: &Checked) -> LoadInfo {
    // wrapping_add: every offset is inside the image (the checks proved it), so these are plain
    // in-bounds pointers; no unsafe arithmetic is needed to make them.
    let at = |offset: usize| base.wrapping_add(offset);
    LoadInfo {
        name: checked.name.map_or(ptr::null(), |offset| at(offset).cast_const().cast()),
        r#mod: ptr::null_mut(),
        hdr: base.cast(),
        len: checked.len as core::ffi::c_ulong,
        sechdrs: at(checked.sechdrs).cast(),
        secstrings: at(checked.secstrings).cast(),
        strtab: at(checked.strtab).cast(),
        symoffs: 0,
        stroffs: 0,
        init_typeoffs: 0,
        core_typeoffs: 0,
        sig_ok: false,
        mod_kallsyms_init_off: 0,
        index: checked.index,
    }
}

/// Checks a module image the way the kernel's loader does and describes it in `*info`, ready for
/// `klpelf_prepare_module()` and `copy_module_elf()`.
///
/// `image` holds `len` bytes of a module file (`.ko`), signed or not. In order:
/// 1. an appended module signature is stripped as the kernel strips it: `info->len` becomes the
///    length of the ELF part (a signature that is not PKCS#7 loses only its marker, as in a kernel
///    that does not enforce signatures; klpelf verifies no signature and leaves `sig_ok` false);
/// 2. the kernel's ELF checks run in the kernel's order (rows 1–17 and 19–26 of its check table);
/// 3. so do the checks the kernel leaves to its architecture code (ELF class 64, the host's byte
///    order and machine), and checks that close the reads the kernel makes out of bounds on a
///    malformed file (section contents it reads without bounds checks, symbol section indices,
///    relocation symbol indices);
/// 4. `e_shoff` and the symbol table's `sh_offset` must be multiples of 8, since C uses them as
///    arrays of `Elf64_Shdr` and `Elf64_Sym`.
///
/// Row 18 of the kernel's checks (the size of `.gnu.linkonce.this_module` equals the running
/// kernel's `sizeof(struct module)`) cannot be checked: that size depends on a kernel klpelf does
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
/// Returns 0 on success. On failure `*info` is unchanged, `klpelf_last_error()` names the failed
/// check (`"row N: ..."` for a row of the kernel's table, `"gap N: ..."` for a bounds check the kernel
/// lacks, `"alignment: ..."`) and the section involved, and the return value is:
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
        let base = image.cast::<u8>();
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(base, len, "image") }?;
        checks::require_aligned(image)?;
        let elf_len = signature::module_len(image)?;
        let elf = image.get(..elf_len).unwrap_or_default();
        let checked = checks::check(elf, flags & KLPELF_SETUP_ALLOW_XNUM != 0)?;
        let filled = load_info(base, &checked);
        // SAFETY: `info` is non-NULL and valid for writes by the caller's contract; written only
        // now that every check passed.
        unsafe { info.write(filled) };
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
        if tag.is_null() {
            return Err(Error::NullArgument("tag"));
        }
        // SAFETY: a non-NULL `tag` is a NUL-terminated string by the caller's contract.
        let tag = unsafe { crate::freestanding::c_str(tag) }.to_bytes();
        if info.index.info == 0 {
            return Ok(ptr::null());
        }
        // SAFETY: the caller's contract for `info`'s image.
        let sections = unsafe { loaded_image(info) }?;
        let (offset, section) =
            sections.section(info.index.info, "index.info is not a section inside the image")?;
        Ok(modinfo::find(section, tag).map_or(ptr::null(), |found| {
            info.hdr.cast::<u8>().cast_const().wrapping_add(offset + found.start).cast()
        }))
    })
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
    let len = unsafe { crate::freestanding::strnlen(name, MODULE_NAME_LEN) };
    if len >= MODULE_NAME_LEN {
        return Err(Error::NameTooLong { len });
    }
    if len == 0 {
        return Err(Error::NoName);
    }
    // SAFETY: the first `len` bytes of the string were just read by strnlen.
    Ok(unsafe { slice::from_raw_parts(name.cast::<u8>(), len) })
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
        if !module.core_kallsyms.symtab.is_null() || !module.core_kallsyms.strtab.is_null() {
            return Err(Error::KallsymsPresent);
        }
        // SAFETY: the caller's contract for `info->name`.
        let name = unsafe { module_name(info.name) }?;
        // SAFETY: the caller's contract for `info`'s image.
        let sections = unsafe { loaded_image(info) }?;
        let livepatch = match info.index.info {
            0 => false,
            index => {
                let (_, section) =
                    sections.section(index, "index.info is not a section inside the image")?;
                modinfo::find(section, b"livepatch").is_some()
            }
        };
        let symbols = sections.symbol_table(info.index.sym)?;
        let (_, strtab) =
            sections.section(info.index.str, "index.str is not a section inside the image")?;
        let count = sections.count();
        let kallsyms = kallsyms::copy(symbols, strtab)?;
        // Nothing fails from here on: `*mod` and the image change only on success.
        // SAFETY: the checks just proved `count` section headers inside the image at `info->hdr`,
        // which the caller gave as writable; the views of it are no longer used.
        unsafe { rewrite_section_headers(info, count) };
        module.name = [0; MODULE_NAME_LEN];
        for (to, &from) in module.name.iter_mut().zip(name) {
            *to = from as c_char;
        }
        module.klp = livepatch;
        module.core_kallsyms = kallsyms;
        Ok(0)
    })
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
            unsafe {
                persist::free_klp_info(module);
                kallsyms::free_kallsyms(module);
            }
        }
        Ok(())
    })
}

/// Finds the module signature appended to `image` (`len` bytes of a module file), as the kernel's
/// `mod_verify_sig()` / `mod_check_sig()` read it, and describes it in `*out`. Nothing is verified.
///
/// Returns 0 on success. On failure `*out` is unchanged, `klpelf_last_error()` says why, and the
/// return value is:
/// - `-ENODATA`: the image does not end with the marker `"~Module signature appended~\n"`: unsigned;
/// - `-EBADMSG`: the trailer is malformed: no room for `struct module_signature`, a `sig_len` that
///   leaves no module bytes, or a PKCS#7 trailer with a non-zero `algo`, `hash`, `signer_len`,
///   `key_id_len` or padding byte (the kernel's verdicts);
/// - `-ENOPKG`: the signature is not PKCS#7 (`id_type` other than 2), which the kernel refuses as
///   unsupported;
/// - `-EINVAL`: `image` or `out` is NULL, or `len` exceeds `PTRDIFF_MAX`.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `out` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_module_signature(
    image: *const c_void,
    len: usize,
    out: *mut KlpelfSignature,
) -> c_int {
    boundary(|| {
        if out.is_null() {
            return Err(Error::NullArgument("out"));
        }
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(image.cast::<u8>(), len, "image") }?;
        let found = signature::find(image)?;
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract.
        unsafe { out.write(found) };
        Ok(0)
    })
}

/// Longest symbol name the livepatch formats read, with its NUL (the kernel's `KSYM_NAME_LEN`).
pub const KSYM_NAME_LEN: usize = 512;

/// Copies `bytes` and a NUL into `out`, which the caller sized for the longest field plus its NUL.
fn c_string_into<const N: usize>(bytes: &[u8], out: &mut [c_char; N]) {
    let len = bytes.len().min(N - 1);
    for (to, &from) in out.iter_mut().zip(&bytes[..len]) {
        *to = from as c_char;
    }
    out[len] = 0;
}

/// Borrows a C string argument, naming it in the error when it is NULL.
///
/// # Safety
/// A non-NULL `s` must be a NUL-terminated string that outlives the borrow.
unsafe fn c_str<'a>(s: *const c_char, what: &'static str) -> Result<&'a [u8], Error> {
    if s.is_null() {
        return Err(Error::NullArgument(what));
    }
    // SAFETY: the caller's contract.
    Ok(unsafe { crate::freestanding::c_str(s) }.to_bytes())
}

/// Borrows an optional C string argument (NULL: `None`).
///
/// # Safety
/// A non-NULL `s` must be a NUL-terminated string that outlives the borrow.
unsafe fn optional_c_str<'a>(s: *const c_char) -> Option<&'a [u8]> {
    // SAFETY: the caller's contract.
    (!s.is_null()).then(|| unsafe { crate::freestanding::c_str(s) }.to_bytes())
}

/// Parses a livepatch relocation section name, `.klp.rela.<objname>.<section>`, exactly as the
/// kernel's `sscanf(name, ".klp.rela.%55[^.]", objname)` does: `<objname>` is 1 to 55 characters up
/// to the first `.`; nothing after it is checked, so a longer object name is cut at 55 characters
/// (the kernel's behaviour) rather than rejected.
///
/// Returns 0 and writes the NUL-terminated object name to `objname`, or `-EINVAL` (with
/// `klpelf_last_error()` set, `objname` unchanged) when the name does not parse or an argument is
/// NULL.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string; `objname` NULL or `MODULE_NAME_LEN` bytes,
/// writable (`char objname[MODULE_NAME_LEN]`).
#[no_mangle]
pub unsafe extern "C" fn klpelf_parse_klp_rela_name(
    name: *const c_char,
    objname: *mut c_char,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let name = unsafe { c_str(name, "name") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { objname.cast::<[c_char; MODULE_NAME_LEN]>().as_mut() }
            .ok_or(Error::NullArgument("objname"))?;
        let parsed = klp_names::parse_klp_rela_name(name).ok_or_else(|| {
            error::report(
                -libc::EINVAL,
                format_args!("section {} has an incorrectly formatted name", name.escape_ascii()),
            )
        })?;
        c_string_into(parsed, out);
        Ok(0)
    })
}

/// Parses a livepatch symbol name, `.klp.sym.<objname>.<symname>,<sympos>`, exactly as the kernel's
/// `sscanf(name, ".klp.sym.%55[^.].%511[^,],%lu", ...)` does: `<objname>` is 1 to 55 characters
/// up to a `.` (which must follow); `<symname>` 1 to 511 characters up to a `,` (which must follow;
/// dots are allowed, as in `foo.isra.0`); `<sympos>` is decimal after optional white space, with
/// no sign; whatever follows its digits is ignored (`,0xyz` gives 0), and overflow wraps as in the
/// kernel.
///
/// Returns 0 and writes the NUL-terminated object and symbol names and the position, or `-EINVAL`
/// (with `klpelf_last_error()` set, the outputs unchanged) when the name does not parse or an
/// argument is NULL.
///
/// # Safety
/// `name` must be NULL or a NUL-terminated string; `objname` NULL or `MODULE_NAME_LEN` writable
/// bytes (`char objname[MODULE_NAME_LEN]`); `symname` NULL or `KSYM_NAME_LEN` writable bytes
/// (`char symname[KSYM_NAME_LEN]`); `sympos` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_parse_klp_sym_name(
    name: *const c_char,
    objname: *mut c_char,
    symname: *mut c_char,
    sympos: *mut c_ulong,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let name = unsafe { c_str(name, "name") }?;
        // SAFETY: the caller's contract for the three outputs; NULL is rejected.
        let (obj_out, sym_out, pos_out) = unsafe {
            (
                objname.cast::<[c_char; MODULE_NAME_LEN]>().as_mut(),
                symname.cast::<[c_char; KSYM_NAME_LEN]>().as_mut(),
                sympos.as_mut(),
            )
        };
        let (Some(obj_out), Some(sym_out), Some(pos_out)) = (obj_out, sym_out, pos_out) else {
            return Err(Error::NullArgument("objname, symname or sympos"));
        };
        let parsed = klp_names::parse_klp_sym_name(name).ok_or_else(|| {
            error::report(
                -libc::EINVAL,
                format_args!("symbol {} has an incorrectly formatted name", name.escape_ascii()),
            )
        })?;
        c_string_into(parsed.objname, obj_out);
        c_string_into(parsed.symname, sym_out);
        *pos_out = parsed.sympos as c_ulong;
        Ok(0)
    })
}

/// Called by `klpelf_for_each_klp_rela()` for each livepatch relocation section: `secndx` is its
/// index in `mod->klp_info->sechdrs`, `objname` the object it patches (NUL-terminated, valid during
/// the call). Return 0 to go on; any other value stops the walk and is returned.
pub type KlpelfKlpRelaFn = Option<
    unsafe extern "C" fn(
        r#mod: *const Module,
        secndx: c_uint,
        objname: *const c_char,
        ctx: *mut c_void,
    ) -> c_int,
>;

/// Walks the livepatch relocation sections (`SHF_RELA_LIVEPATCH`) of `mod->klp_info` in index order,
/// as the kernel's `klp_write_object_relocs()` does, calling `fn` for each with the object it
/// patches (`vmlinux` for the core kernel).
///
/// Returns 0 after the last section; the first non-zero value `fn` returns (the walk stops there);
/// or `-EINVAL` when `mod`, `mod->klp_info` or `fn` is NULL, or when a section's name is outside the
/// section-name table or is not `.klp.rela.<objname>...` (the kernel's "incorrectly formatted name").
///
/// # Safety
/// `mod` must be NULL or valid for reads, its `klp_info` NULL or made by `copy_module_elf()`; `fn`
/// must be safe to call with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_for_each_klp_rela(
    r#mod: *const Module,
    r#fn: KlpelfKlpRelaFn,
    ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { non_null(r#mod, "mod") }?;
        let callback = r#fn.ok_or(Error::NullArgument("fn"))?;
        // SAFETY: the caller's contract for `klp_info`.
        let tables = unsafe { persisted_tables(module) }?;
        let mut objname = [0 as c_char; MODULE_NAME_LEN];
        for section in livepatch::klp_rela_sections(&tables) {
            let section = section?;
            c_string_into(section.objname, &mut objname);
            // SAFETY: the caller's contract for `fn` and `ctx`; `objname` is NUL-terminated and
            // lives through the call.
            let rc = unsafe { callback(r#mod, section.index, objname.as_ptr(), ctx) };
            if rc != 0 {
                return Err(error::report(
                    rc,
                    format_args!(
                        "the callback stopped the walk at section {} ({}) with {rc}",
                        section.index,
                        section.name.escape_ascii()
                    ),
                ));
            }
        }
        Ok(0)
    })
}

/// Finds a livepatch symbol's address: `objname` is the object (NULL for vmlinux), `symname` the
/// symbol, `sympos` 0 when the name must be unique in the object or N for its N-th occurrence.
/// Writes the address to `*addr` and returns 0, or returns a non-zero value (a negative errno, as
/// the kernel's `-EINVAL`) that stops the resolution. `klpelf_symbol_map_resolve()` is one.
pub type KlpelfResolveFn = Option<
    unsafe extern "C" fn(
        objname: *const c_char,
        symname: *const c_char,
        sympos: c_ulong,
        addr: *mut c_ulong,
        ctx: *mut c_void,
    ) -> c_int,
>;

/// A C resolve callback as a [`livepatch::Resolver`].
struct CallbackResolver {
    resolve: unsafe extern "C" fn(
        *const c_char,
        *const c_char,
        c_ulong,
        *mut c_ulong,
        *mut c_void,
    ) -> c_int,
    ctx: *mut c_void,
}

impl livepatch::Resolver for CallbackResolver {
    fn resolve(
        &mut self,
        objname: Option<&[u8]>,
        symname: &[u8],
        sympos: u64,
    ) -> Result<u64, Error> {
        let mut obj = [0 as c_char; MODULE_NAME_LEN];
        let mut sym = [0 as c_char; KSYM_NAME_LEN];
        c_string_into(objname.unwrap_or_default(), &mut obj);
        c_string_into(symname, &mut sym);
        let obj_ptr = if objname.is_some() { obj.as_ptr() } else { ptr::null() };
        let mut addr: c_ulong = 0;
        // SAFETY: the caller of klpelf_resolve_symbols() vouches for the callback and `ctx`; the
        // names are NUL-terminated and `addr` is a live local, all valid through the call.
        let rc = unsafe {
            (self.resolve)(obj_ptr, sym.as_ptr(), sympos as c_ulong, &mut addr, self.ctx)
        };
        if rc == 0 {
            return Ok(addr as u64);
        }
        // Keep the callback's own message (klpelf_symbol_map_resolve() words it as the kernel does).
        let mut why = [0u8; 200];
        let own = error::last_error();
        let why = if own.is_null() {
            &b"the resolve callback failed"[..]
        } else {
            // SAFETY: a non-NULL last error is this thread's NUL-terminated message buffer.
            let text = unsafe { crate::freestanding::c_str(own) }.to_bytes();
            let len = text.len().min(why.len());
            why[..len].copy_from_slice(&text[..len]);
            &why[..len]
        };
        Err(error::report(
            rc,
            format_args!(
                "{}.{} (sympos {sympos}): {}",
                objname.unwrap_or(livepatch::VMLINUX).escape_ascii(),
                symname.escape_ascii(),
                core::str::from_utf8(why).unwrap_or("(the callback's message is not UTF-8)")
            ),
        ))
    }
}

/// The module's kept symbols, as the persisted `sechdrs[symndx].sh_addr` points at them, with the
/// string table the persisted `sh_link` names.
///
/// # Safety
/// `module.core_kallsyms` must describe the symbol table `klp_info` was persisted with, and
/// `sh_addr` of the symbol table section must point at its `num_symtab` symbols.
unsafe fn kept_symbols<'a>(
    module: &Module,
    tables: &ElfTables<'a>,
) -> Result<livepatch::KeptSymbols<'a>, Error> {
    let symtab = &tables.sechdrs[tables.symndx as usize];
    let strtab_len = tables
        .sechdrs
        .get(symtab.sh_link as usize)
        .map(|s| s.sh_size as usize)
        .ok_or(Error::BadLoadInfo { what: "the symbol table's sh_link is not a section" })?;
    let symbols = symtab.sh_addr as *mut crate::layout::Elf64_Sym;
    if symbols.is_null() || !symbols.is_aligned() || module.core_kallsyms.strtab.is_null() {
        return Err(Error::NullArgument("mod->core_kallsyms (call klpelf_prepare_module() first)"));
    }
    // SAFETY: the caller's contract: `sh_addr` points at `num_symtab` symbols, writable (they are
    // core_kallsyms.symtab, which klpelf_prepare_module() allocated), and the string table has
    // the `sh_size` bytes of the section it was copied from.
    unsafe {
        Ok(livepatch::KeptSymbols {
            symbols: slice::from_raw_parts_mut(symbols, module.core_kallsyms.num_symtab as usize),
            strtab: slice::from_raw_parts(module.core_kallsyms.strtab.cast(), strtab_len),
        })
    }
}

/// Resolves the livepatch symbols of every `.klp.rela.<objname>.*` section of `mod->klp_info`, as the
/// kernel's `klp_resolve_symbols()` does before applying them: each relocation's symbol must be a
/// livepatch symbol (`SHN_LIVEPATCH`) named `.klp.sym.<objname>.<symname>,<sympos>`, and a section
/// that patches a module may not use a vmlinux symbol. `resolve` finds each symbol's address, which
/// is written to its `st_value` in `mod->core_kallsyms.symtab` (through the persisted
/// `sechdrs[symndx].sh_addr`, which `copy_module_elf()` pointed there). `objname` NULL means
/// vmlinux.
///
/// The relocations are read where the persisted section header's `sh_addr` says, as in the kernel:
/// `klpelf_prepare_module()` sets every section's `sh_addr` to its place in the image (as the
/// kernel's `rewrite_section_headers()` does), so the image must still be held; a loader that moved
/// the sections sets `sh_addr` itself. Unlike the kernel, every relocation's symbol index is checked
/// against `num_symtab` and every `st_name` against the string table.
///
/// Returns 0 when every symbol resolved. Otherwise it stops at the first failure (symbols resolved
/// before it keep their new `st_value`), `klpelf_last_error()` says which symbol and why (for the
/// symbol map's resolver, in the kernel's words), and the return value is `resolve`'s own non-zero
/// value, or `-EINVAL`: `mod`, `mod->klp_info`, `mod->core_kallsyms` or `resolve` is NULL; a section
/// name or symbol name is malformed; a symbol is not a livepatch symbol; a module-specific section
/// uses a vmlinux symbol; a relocation's symbol index or a symbol's `st_name` is out of range; or a
/// section's `sh_addr` is 0 or misaligned.
///
/// # Safety
/// `mod` must be NULL or valid for reads, with `klp_info` and `core_kallsyms` made by
/// `copy_module_elf()` and `klpelf_prepare_module()` (or equivalent), and the relocation sections'
/// bytes readable at their `sh_addr`; `objname` NULL or a NUL-terminated string; `resolve` safe to
/// call with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_resolve_symbols(
    r#mod: *mut Module,
    objname: *const c_char,
    resolve: KlpelfResolveFn,
    ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let module = unsafe { non_null(r#mod.cast_const(), "mod") }?;
        let resolve = resolve.ok_or(Error::NullArgument("resolve"))?;
        // SAFETY: the caller's contract; NULL means vmlinux.
        let target = unsafe { optional_c_str(objname) };
        // SAFETY: the caller's contract for `klp_info`.
        let tables = unsafe { persisted_tables(module) }?;
        // SAFETY: the caller's contract for `core_kallsyms`.
        let mut kept = unsafe { kept_symbols(module, &tables) }?;
        let mut resolver = CallbackResolver { resolve, ctx };
        for section in livepatch::klp_rela_sections(&tables) {
            let section = section?;
            if !section.patches(target) {
                continue;
            }
            // SAFETY: the caller's contract: the section's relocations are at its sh_addr.
            let relas = unsafe { relocations(&section) }?;
            livepatch::resolve_section(&section, relas, &mut kept, &mut resolver)?;
        }
        Ok(0)
    })
}

/// The relocation entries of a livepatch relocation section, at its `sh_addr`.
///
/// # Safety
/// A non-zero, aligned `sh_addr` must point at the section's `sh_size` bytes.
unsafe fn relocations<'a>(
    section: &livepatch::KlpRelaSection<'a>,
) -> Result<&'a [crate::layout::Elf64_Rela], Error> {
    let count = section.shdr.sh_size as usize / size_of::<crate::layout::Elf64_Rela>();
    if count == 0 {
        return Ok(&[]);
    }
    let at = section.shdr.sh_addr as *const crate::layout::Elf64_Rela;
    if at.is_null() || !at.is_aligned() {
        return Err(error::report(
            -libc::EINVAL,
            format_args!(
                "section {}: sh_addr {:#x} is not the address of its relocations (was the image prepared with klpelf_prepare_module()?)",
                section.name.escape_ascii(),
                section.shdr.sh_addr
            ),
        ));
    }
    // SAFETY: the caller's contract.
    Ok(unsafe { slice::from_raw_parts(at, count) })
}

/// A kernel's symbol map (opaque): made by `klpelf_symbol_map_load()` or
/// `klpelf_symbol_map_load_buffer()`, freed by `klpelf_symbol_map_free()`.
pub struct KlpelfSymbolMap {
    _opaque: [u8; 0],
}

/// Parses a map and hands it to C through `out`.
fn symbol_map_out(text: &[u8], out: &mut *mut KlpelfSymbolMap) -> Result<c_int, Error> {
    let map = SymbolMap::parse(text).map_err(|e| match e {
        MapError::BadLine(bad) => error::report(
            -libc::EINVAL,
            format_args!("symbol map line {} is not 'address type name [module]'", bad.line),
        ),
        MapError::TooLarge => Error::TooLarge { what: "symbol map", size: text.len() as u64 },
        MapError::Alloc(e) => e,
    })?;
    *out = map.into_raw().as_ptr().cast();
    Ok(0)
}

/// Loads a kernel's symbol map from a `System.map` or `/proc/kallsyms` file: lines of
/// `address type name` with an optional `[module]` (blank lines are skipped). The map is one block
/// from the configured allocator; free it with `klpelf_symbol_map_free()`.
///
/// Returns 0 and stores the map in `*out`; on failure `*out` is unchanged and the return value is
/// `-EINVAL` (a NULL argument, or a malformed line: the message gives its number), `-ENOMEM`, or the
/// negative errno of reading the file. Not available in the freestanding build (`-ENOSYS`); use
/// `klpelf_symbol_map_load_buffer()` there.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_load(
    path: *const c_char,
    out: *mut *mut KlpelfSymbolMap,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL is rejected.
        let path = unsafe { c_str(path, "path") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        let text = read_file(path)?;
        symbol_map_out(&text, out)
    })
}

/// Without `std` (the freestanding build) there are no files to read: `-ENOSYS`. (An empty array,
/// so that the caller's `&text` is a slice in both builds.)
#[cfg(not(feature = "std"))]
fn read_file(_path: &[u8]) -> Result<[u8; 0], Error> {
    Err(error::report(
        -libc::ENOSYS,
        format_args!(
            "the freestanding klpelf reads no files: read the map and call \
             klpelf_symbol_map_load_buffer()"
        ),
    ))
}

/// Reads a whole file (`/proc/kallsyms` reports size 0, so it is read to its end).
#[cfg(feature = "std")]
fn read_file(path: &[u8]) -> Result<Vec<u8>, Error> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(path));
    std::fs::read(path).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(libc::EIO);
        error::report(-errno, format_args!("{}: {e}", path.display()))
    })
}

/// Loads a kernel's symbol map from `len` bytes of `System.map` or `/proc/kallsyms` text at `buf`
/// (see `klpelf_symbol_map_load()`); the text is copied, so `buf` may be freed afterwards.
///
/// Returns 0 and stores the map in `*out`; on failure `*out` is unchanged and the return value is
/// `-EINVAL` (a NULL argument or a malformed line) or `-ENOMEM`.
///
/// # Safety
/// `buf` must be NULL or valid for reads of `len` bytes; `out` NULL or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_load_buffer(
    buf: *const c_void,
    len: usize,
    out: *mut *mut KlpelfSymbolMap,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for `buf`.
        let text = unsafe { bytes(buf.cast(), len, "buf") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
        symbol_map_out(text, out)
    })
}

/// Frees a symbol map. Accepts NULL.
///
/// # Safety
/// `map` must be NULL or a map from `klpelf_symbol_map_load*()` not freed before.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_free(map: *mut KlpelfSymbolMap) {
    boundary(|| {
        if let Some(map) = ptr::NonNull::new(map) {
            // SAFETY: the caller's contract: the map came from into_raw() and is freed once.
            drop(unsafe { SymbolMap::from_raw(map.cast()) });
        }
        Ok(())
    })
}

/// A `klpelf_resolve_fn` over a symbol map (pass the map as `ctx`), with the kernel's rules: the
/// symbols of `objname` (NULL: vmlinux, the lines without `[module]`) named `symname`, in file
/// order; `sympos` 0 requires exactly one, N takes the N-th. A symbol whose address is 0 (as
/// `/proc/kallsyms` shows them to unprivileged readers) counts as not found, as in the kernel.
///
/// Returns 0 and writes the address to `*addr`, or `-EINVAL` with the kernel's wording in
/// `klpelf_last_error()`: "symbol '...' not found in symbol table", "unresolvable ambiguity for
/// symbol '...' in object '...'", "symbol position N for symbol '...' in object '...' not found"
/// (klpelf adds the number of candidates), or for a NULL `symname`, `addr` or `ctx`.
///
/// # Safety
/// `objname` and `symname` must be NULL or NUL-terminated strings, `addr` NULL or valid for
/// writes, `ctx` NULL or a map from `klpelf_symbol_map_load*()`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_symbol_map_resolve(
    objname: *const c_char,
    symname: *const c_char,
    sympos: c_ulong,
    addr: *mut c_ulong,
    ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract; NULL means vmlinux.
        let obj = unsafe { optional_c_str(objname) };
        // SAFETY: the caller's contract; NULL is rejected.
        let name = unsafe { c_str(symname, "symname") }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let addr = unsafe { addr.as_mut() }.ok_or(Error::NullArgument("addr"))?;
        let map = ptr::NonNull::new(ctx).ok_or(Error::NullArgument("ctx (the symbol map)"))?;
        // SAFETY: the caller's contract: a live map, only borrowed here.
        let map = unsafe { SymbolMap::borrow_raw(map.cast()) };
        let found = map.lookup(obj, name, sympos).map_err(|reason| {
            let failure =
                LookupFailure { reason, objname: obj.unwrap_or(livepatch::VMLINUX), name, sympos };
            error::report(-libc::EINVAL, format_args!("{failure}"))
        })?;
        *addr = found as c_ulong;
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error() {
        let rc: c_int = boundary(|| panic!("boom"));
        assert_eq!(rc, -libc::ENOTRECOVERABLE);
        assert!(!klpelf_last_error().is_null());
    }

    #[test]
    fn success_clears_the_last_error() {
        error::set_last_error(&Error::AlreadyPersisted);
        assert_eq!(boundary(|| Ok(0)), 0);
        assert!(klpelf_last_error().is_null());
    }
}
