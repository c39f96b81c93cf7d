//! The livepatch side: the kernel's name formats, the walk over the `.klp.rela` sections of the
//! persisted info, and the resolution of their `.klp.sym` symbols through a caller's callback.

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use core::mem::size_of;
use core::ptr;
use core::slice;

use super::persist::persisted_tables;
use super::{boundary, c_str, c_str_arg, c_string_into, non_null};
use crate::errno;
use crate::error::{self, Error};
use crate::klp_names;
use crate::layout::{Elf64_Rela, Elf64_Sym, Module, KSYM_NAME_LEN, MODULE_NAME_LEN};
use crate::livepatch::{self, VMLINUX};
use crate::persist::ElfTables;

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
                -errno::EINVAL,
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
                -errno::EINVAL,
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
pub(super) struct CallbackResolver {
    pub(super) resolve: unsafe extern "C" fn(
        *const c_char,
        *const c_char,
        c_ulong,
        *mut c_ulong,
        *mut c_void,
    ) -> c_int,
    pub(super) ctx: *mut c_void,
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
        let own = error::SavedMessage::take();
        let why: &dyn core::fmt::Display =
            if own.is_empty() { &"the resolve callback failed" } else { &own };
        Err(error::report(
            rc,
            format_args!(
                "{}.{} (sympos {sympos}): {why}",
                objname.unwrap_or(VMLINUX).escape_ascii(),
                symname.escape_ascii(),
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
pub(super) unsafe fn kept_symbols<'a>(
    module: &Module,
    tables: &ElfTables<'a>,
) -> Result<livepatch::KeptSymbols<'a>, Error> {
    let sechdrs = tables.table.sechdrs;
    let symtab = &sechdrs[tables.symndx as usize];
    let strtab_len = sechdrs
        .get(symtab.sh_link as usize)
        .map(|s| s.sh_size as usize)
        .ok_or(Error::BadLoadInfo { what: "the symbol table's sh_link is not a section" })?;
    let symbols = symtab.sh_addr as *mut Elf64_Sym;
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
        let target = unsafe { c_str_arg(objname) };
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
pub(super) unsafe fn relocations<'a>(
    section: &livepatch::KlpRelaSection<'a>,
) -> Result<&'a [Elf64_Rela], Error> {
    let count = section.shdr.sh_size as usize / size_of::<Elf64_Rela>();
    if count == 0 {
        return Ok(&[]);
    }
    let at = section.shdr.sh_addr as *const Elf64_Rela;
    if at.is_null() || !at.is_aligned() {
        return Err(error::report(
            -errno::EINVAL,
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
