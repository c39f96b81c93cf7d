//! Livepatch relocations: applying and clearing them in the caller's placement of the module's
//! sections, as the kernel's livepatch core and x86-64 relocation code do, and describing them
//! for a pre-flight check.

use core::ffi::{c_char, c_int, c_uint, c_void};
use core::ptr::NonNull;
use core::slice;

use super::livepatch::{kept_symbols, relocations, CallbackResolver, KlpelfResolveFn};
use super::persist::persisted_tables;
use super::{boundary, c_str_arg, non_null};
use crate::error::{self, Error};
use crate::klp_relocs::{self, Action, KlpelfReloc, PatchModule, Writing};
use crate::layout::{Elf64_Rela, Module};
use crate::livepatch::KlpRelaSection;
use crate::placement::{KlpelfSectionPlace, Places, Stores, Writer};
use crate::view::c_string;

/// Writes `len` bytes from `src` to `dest`, which lies in a placed section's `mem`; `addr` is the
/// address those bytes run at (the section's `addr` plus the same offset). A function for code
/// that may be running, as the kernel's `text_poke()` is for a live module. Return 0, or a
/// non-zero value that stops the relocations there and is returned.
pub type KlpelfWriteFn = Option<
    unsafe extern "C" fn(
        dest: *mut c_void,
        addr: u64,
        src: *const c_void,
        len: usize,
        ctx: *mut c_void,
    ) -> c_int,
>;

/// Called after each relocation section was written, or stopped, as the kernel calls
/// `smp_text_poke_sync_each_cpu()` after it changed a live module's code.
pub type KlpelfSyncFn = Option<unsafe extern "C" fn(ctx: *mut c_void)>;

/// Where a livepatch module's sections are placed, and how relocations are written there.
#[repr(C)]
pub struct KlpelfLayout {
    /// One place per section, indexed by section index: at least up to the highest target
    /// section (the `sh_info` of a relocation section with relocations) that is written.
    pub places: *const KlpelfSectionPlace,
    /// The number of entries in `places`.
    pub num_places: usize,
    /// NULL: klpelf stores the bytes itself, as the kernel's `memcpy()` does for a module that is
    /// still being loaded (not running yet). Otherwise every write goes through this function,
    /// as the kernel's go through `text_poke()` for a live module.
    pub write: KlpelfWriteFn,
    /// NULL, or called after each relocation section (see `klpelf_sync_fn`).
    pub sync: KlpelfSyncFn,
    /// Passed to `write` and `sync`.
    pub ctx: *mut c_void,
}

/// Called by `klpelf_klp_describe_relocs()` for each relocation; `reloc` is valid during the
/// call. Return 0 to go on; any other value stops the walk and is returned.
pub type KlpelfRelocFn =
    Option<unsafe extern "C" fn(reloc: *const KlpelfReloc, ctx: *mut c_void) -> c_int>;

/// The caller's `write` and `sync` as a [`Writer`] (plain stores without `write`).
struct CallerWriter {
    write: KlpelfWriteFn,
    sync: KlpelfSyncFn,
    ctx: *mut c_void,
}

impl Writer for CallerWriter {
    fn write(&mut self, dest: NonNull<u8>, addr: u64, bytes: &[u8]) -> Result<(), Error> {
        let Some(write) = self.write else { return Stores.write(dest, addr, bytes) };
        // SAFETY: the caller vouches for `write` and `ctx` (the layout's contract); `dest` and
        // `addr` are in a placed section and `bytes` is valid for the call.
        let rc = unsafe {
            write(dest.as_ptr().cast(), addr, bytes.as_ptr().cast(), bytes.len(), self.ctx)
        };
        if rc == 0 {
            return Ok(());
        }
        Err(error::report(
            rc,
            format_args!("the write callback returned {rc} for {} bytes at {addr:#x}", bytes.len()),
        ))
    }

    fn sync(&mut self) {
        if let Some(sync) = self.sync {
            // SAFETY: the caller vouches for `sync` and `ctx` (the layout's contract).
            unsafe { sync(self.ctx) }
        }
    }

    fn plain(&self) -> bool {
        self.write.is_none()
    }
}

/// Borrows a layout: its places and its writer.
///
/// # Safety
/// `layout` must be NULL or valid for reads, with `places` valid for `num_places` entries (or
/// NULL with 0), each non-NULL `mem` valid for reads and writes of its section's `sh_size`
/// bytes, and `write` and `sync` safe to call with `ctx`.
unsafe fn caller_layout<'a>(
    layout: *const KlpelfLayout,
) -> Result<(Places<'a>, CallerWriter), Error> {
    // SAFETY: the caller's contract; NULL is rejected.
    let layout = unsafe { non_null(layout, "layout") }?;
    let places: &[KlpelfSectionPlace] = match (layout.places.is_null(), layout.num_places) {
        (_, 0) => &[],
        (true, _) => return Err(Error::NullArgument("layout->places")),
        // SAFETY: the caller's contract: `num_places` entries.
        (false, n) => unsafe { slice::from_raw_parts(layout.places, n) },
    };
    let writer = CallerWriter { write: layout.write, sync: layout.sync, ctx: layout.ctx };
    // SAFETY: the caller's contract for each `mem`.
    Ok((unsafe { Places::new(places) }, writer))
}

/// Runs `body` on the module the caller's `mod` describes: its persisted tables, kept symbols
/// and name, with its relocation entries read where the persisted `sh_addr` says.
///
/// # Safety
/// As for `klpelf_resolve_symbols()`: `mod` NULL or valid, with `klp_info` and `core_kallsyms`
/// made by `copy_module_elf()` and `klpelf_prepare_module()`, and every livepatch relocation
/// section's entries readable at its `sh_addr`.
unsafe fn with_module<R>(
    r#mod: *const Module,
    body: impl FnOnce(&mut PatchModule<'_, '_>) -> Result<R, Error>,
) -> Result<R, Error> {
    // SAFETY: the caller's contract; NULL is rejected.
    let module = unsafe { non_null(r#mod, "mod") }?;
    // SAFETY: the caller's contract for `klp_info`.
    let tables = unsafe { persisted_tables(module) }?;
    // SAFETY: the caller's contract for `core_kallsyms`.
    let kept = unsafe { kept_symbols(module, &tables) }?;
    let name = module.name.map(|c| c as u8);
    let name = c_string(&name, 0).unwrap_or(&name);
    // SAFETY: the caller's contract: each section's relocations are at its sh_addr.
    let relas = entries(|section| unsafe { relocations(section) });
    body(&mut PatchModule { tables, kept, name, relas: &relas })
}

/// Gives a closure the signature [`PatchModule::relas`] needs.
fn entries<'a, F>(f: F) -> F
where
    F: Fn(&KlpRelaSection<'a>) -> Result<&'a [Elf64_Rela], Error>,
{
    f
}

/// The body of the exports that write relocations: `resolve` given (NULL or not) applies them,
/// resolving each symbol through it; `None` clears them. `secndx` names one section, `None` every
/// section of the object.
///
/// # Safety
/// As for `klpelf_klp_apply_section_relocs()`.
unsafe fn write_relocs(
    r#mod: *mut Module,
    secndx: Option<c_uint>,
    objname: *const c_char,
    layout: *const KlpelfLayout,
    resolve: Option<(KlpelfResolveFn, *mut c_void)>,
) -> Result<c_int, Error> {
    // SAFETY: the caller's contract; NULL means vmlinux.
    let objname = unsafe { c_str_arg(objname) };
    // SAFETY: the caller's contract for the layout.
    let (places, mut writer) = unsafe { caller_layout(layout) }?;
    let mut resolver;
    let action = match resolve {
        Some((resolve, ctx)) => {
            let resolve = resolve.ok_or(Error::NullArgument("resolve"))?;
            resolver = CallbackResolver { resolve, ctx };
            Action::Apply(&mut resolver)
        }
        None => Action::Clear,
    };
    let mut writing = Writing { action, places, writer: &mut writer };
    // SAFETY: the caller's contract for `mod`.
    unsafe {
        with_module(r#mod, |module| match secndx {
            Some(index) => klp_relocs::write_section_relocs(module, index, objname, &mut writing),
            None => klp_relocs::write_object_relocs(module, objname, &mut writing),
        })
    }?;
    Ok(0)
}

/// Applies one livepatch relocation section, as the kernel's `klp_apply_section_relocs()` does
/// when it loads a livepatch module (with `objname` NULL) or when the object it patches appears.
/// Section `secndx` of `mod->klp_info` must be named `.klp.rela.<object>.<section>` (`-EINVAL`
/// otherwise); unless `<object>` is `objname` (NULL: `vmlinux`) nothing happens and 0 is
/// returned. Then, as `klp_resolve_symbols()`, each relocation's symbol must be a livepatch
/// symbol (`SHN_LIVEPATCH`) named `.klp.sym.<object>.<symbol>,<position>` and is resolved through
/// `resolve` into its `st_value` (see `klpelf_resolve_symbols()`); then, as the x86-64
/// `apply_relocate_add()`, each relocation is written at `layout`'s place of the target section
/// (the section's `sh_info`): `R_X86_64_NONE`, `_64`, `_32`, `_32S`, `_PC32`, `_PLT32` and
/// `_PC64`, with the kernel's overflow checks for `_32` and `_32S`; the target's bytes must be
/// zero. The relocation entries are read at the persisted `sh_addr` of the section, as for
/// `klpelf_resolve_symbols()`.
///
/// Returns 0, or stops at the first failure with (`klpelf_last_error()` in the kernel's words
/// where the kernel has words):
/// - `-EINVAL`: `mod`, `mod->klp_info`, `mod->core_kallsyms` or `layout` is NULL, `resolve` is
///   NULL, `secndx` is not a section, a name is malformed, a symbol is not a livepatch symbol or
///   is a vmlinux symbol in a module's section, a symbol index is past the symbol table, the
///   target section has no place (its index, the relocation section's `sh_info`, is not below
///   `num_places`, or its `mem` is NULL), or `sh_addr` is not the address of the entries;
/// - `resolve`'s own non-zero value (the symbol map's resolver: `-EINVAL`, "not found", ...);
/// - `-ENOEXEC`: the module is not x86-64, an unknown relocation type, an overflow, a target
///   whose bytes are not zero ("existing value is nonzero"), or (klpelf's checks, where the kernel
///   would write out of bounds) the bytes are not inside the target section or `sh_info` is not a
///   section;
/// - `write`'s own non-zero value.
///
/// What a failure leaves, as in the kernel: the symbols resolved keep their new `st_value`, and
/// the relocations written before the failing one stay written (`klpelf_klp_clear_object_relocs()`
/// takes them out again). Nothing is written before every symbol of the section resolved.
///
/// # Safety
/// `mod` as for `klpelf_resolve_symbols()`; `objname` NULL or a NUL-terminated string; `layout`
/// NULL or valid, with `places` holding `num_places` entries, each non-NULL `mem` valid for reads
/// and writes of its section's `sh_size` bytes and overlapping none of the module's relocation
/// entries, symbols or the layout itself; `resolve` safe to call with `resolve_ctx`, and `write`
/// and `sync` with `layout->ctx`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_klp_apply_section_relocs(
    r#mod: *mut Module,
    secndx: c_uint,
    objname: *const c_char,
    layout: *const KlpelfLayout,
    resolve: KlpelfResolveFn,
    resolve_ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        let apply = Some((resolve, resolve_ctx));
        // SAFETY: the caller's contract.
        unsafe { write_relocs(r#mod, Some(secndx), objname, layout, apply) }
    })
}

/// Applies every livepatch relocation section of `mod->klp_info` that patches `objname` (NULL:
/// vmlinux), in index order, as the kernel's `klp_apply_object_relocs()` does when the object a
/// livepatch patches appears: each as `klpelf_klp_apply_section_relocs()`, stopping at the first
/// failure (a malformed section name stops the walk even in a section for another object).
///
/// Returns 0 or the first failure, with the codes of `klpelf_klp_apply_section_relocs()` (but for
/// the one about `secndx`), and what a failure leaves is as there: the sections before the
/// failing one stay applied, and in the failing section the relocations before the failing one.
///
/// # Safety
/// As for `klpelf_klp_apply_section_relocs()`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_klp_apply_object_relocs(
    r#mod: *mut Module,
    objname: *const c_char,
    layout: *const KlpelfLayout,
    resolve: KlpelfResolveFn,
    resolve_ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        let apply = Some((resolve, resolve_ctx));
        // SAFETY: the caller's contract.
        unsafe { write_relocs(r#mod, None, objname, layout, apply) }
    })
}

/// Clears the livepatch relocations of every section that patches `objname` (NULL: vmlinux), as
/// the kernel's `klp_clear_object_relocs()` does when that object goes away: in index order, each
/// relocation's target must hold exactly the value applying wrote (computed again from the
/// symbols' `st_value`, which resolution set, and the placement), and is zeroed. No symbol is
/// resolved.
///
/// A target that does not hold its value ("existing value does not match expected value"), or
/// any other failure in a section, stops that section there; as in the kernel, the other sections
/// are still cleared. A malformed section name stops the walk.
///
/// Returns 0 when every relocation was cleared, otherwise the first failure (with "and N more
/// section(s) could not be cleared" when there were more): `-EINVAL` or `-ENOEXEC` as for
/// `klpelf_klp_apply_section_relocs()`, or `write`'s own non-zero value. The kernel's
/// `clear_relocate_add()` returns nothing; it only warns.
///
/// # Safety
/// As for `klpelf_klp_apply_section_relocs()`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_klp_clear_object_relocs(
    r#mod: *mut Module,
    objname: *const c_char,
    layout: *const KlpelfLayout,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract.
        unsafe { write_relocs(r#mod, None, objname, layout, None) }
    })
}

/// Describes every relocation of livepatch relocation section `secndx`, as the kernel would
/// compute it with the symbols' current `st_value` (resolve first: `klpelf_resolve_symbols()`)
/// and the target section's place in `layout` (only its `addr` is used; `mem` may be NULL):
/// `fn` gets each relocation's type, symbol, value, size and `status`, which says whether the
/// kernel would write it, refuse it, or silently truncate it, and where klpelf would refuse what
/// the kernel would do out of bounds. Nothing is resolved, read from a target or written.
///
/// Returns 0; `fn`'s first non-zero value (the walk stops there); or `-EINVAL` (`mod`,
/// `klp_info`, `core_kallsyms`, `layout` or `fn` NULL; `secndx` not a section, or its name
/// malformed; the target section not placed) or `-ENOEXEC` (the module is not x86-64, or its
/// `sh_info` is not a section).
///
/// # Safety
/// As for `klpelf_klp_apply_section_relocs()`; `fn` safe to call with `ctx`.
#[no_mangle]
pub unsafe extern "C" fn klpelf_klp_describe_relocs(
    r#mod: *const Module,
    secndx: c_uint,
    layout: *const KlpelfLayout,
    r#fn: KlpelfRelocFn,
    ctx: *mut c_void,
) -> c_int {
    boundary(|| {
        // SAFETY: the caller's contract for the layout.
        let (places, _) = unsafe { caller_layout(layout) }?;
        let callback = r#fn.ok_or(Error::NullArgument("fn"))?;
        let mut visit = |reloc: &KlpelfReloc| {
            // SAFETY: the caller's contract for `fn` and `ctx`; `reloc` lives through the call.
            let rc = unsafe { callback(reloc, ctx) };
            if rc == 0 {
                return Ok(());
            }
            Err(error::report(
                rc,
                format_args!(
                    "the callback stopped the walk at relocation {} with {rc}",
                    reloc.index
                ),
            ))
        };
        // SAFETY: the caller's contract for `mod`.
        unsafe {
            with_module(r#mod, |module| {
                klp_relocs::describe_relocs(module, secndx, places, &mut visit)
            })
        }?;
        Ok(0)
    })
}
