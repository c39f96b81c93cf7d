//! `struct load_info` from a checked image, and back: what `klpelf_setup_load_info()` fills in
//! (the kernel's `elf_validity_cache_copy()` results, as pointers into the caller's image) and how
//! the later calls re-open the image a `load_info` describes.

use core::ffi::{c_char, c_ulong};
use core::ptr;

use crate::checks::{self, Checked};
use crate::error::Error;
use crate::layout::LoadInfo;
use crate::modinfo;
use crate::section_table::Image;
use crate::signature;
use crate::view::{raw_bytes, require_aligned};

/// Strips an appended signature from `image` as the kernel does, runs the kernel's ELF checks on
/// the rest, and describes it as a `struct load_info` pointing into `image`. `allow_xnum` accepts
/// extended section numbering.
pub fn setup(image: &[u8], allow_xnum: bool) -> Result<LoadInfo, Error> {
    require_aligned(image)?;
    let elf_len = signature::module_len(image)?;
    let elf = image.get(..elf_len).unwrap_or_default();
    let checked = checks::check(elf, allow_xnum)?;
    Ok(load_info(image.as_ptr().cast_mut(), &checked))
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
        len: checked.len as c_ulong,
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

/// Stores `info` at `dst` field by field over zeroed memory, so that the padding after `sig_ok`
/// reads as zeros: a caller may compare the struct with `memcmp`, and a copy of a Rust value
/// would leave those bytes undefined.
///
/// # Safety
/// `dst` must be valid for writes of a `struct load_info`.
pub unsafe fn store(info: LoadInfo, dst: *mut LoadInfo) {
    let LoadInfo {
        name,
        r#mod,
        hdr,
        len,
        sechdrs,
        secstrings,
        strtab,
        symoffs,
        stroffs,
        init_typeoffs,
        core_typeoffs,
        sig_ok,
        mod_kallsyms_init_off,
        index,
    } = info;
    // SAFETY: the caller's contract; each field is written through its own in-bounds place.
    unsafe {
        dst.write_bytes(0, 1);
        ptr::addr_of_mut!((*dst).name).write(name);
        ptr::addr_of_mut!((*dst).r#mod).write(r#mod);
        ptr::addr_of_mut!((*dst).hdr).write(hdr);
        ptr::addr_of_mut!((*dst).len).write(len);
        ptr::addr_of_mut!((*dst).sechdrs).write(sechdrs);
        ptr::addr_of_mut!((*dst).secstrings).write(secstrings);
        ptr::addr_of_mut!((*dst).strtab).write(strtab);
        ptr::addr_of_mut!((*dst).symoffs).write(symoffs);
        ptr::addr_of_mut!((*dst).stroffs).write(stroffs);
        ptr::addr_of_mut!((*dst).init_typeoffs).write(init_typeoffs);
        ptr::addr_of_mut!((*dst).core_typeoffs).write(core_typeoffs);
        ptr::addr_of_mut!((*dst).sig_ok).write(sig_ok);
        ptr::addr_of_mut!((*dst).mod_kallsyms_init_off).write(mod_kallsyms_init_off);
        ptr::addr_of_mut!((*dst).index).write(index);
    }
}

/// The image `info` describes: `info->len` bytes at `info->hdr`, re-opened with its section table.
///
/// # Safety
/// `info->hdr` must be NULL or the image `klpelf_setup_load_info()` checked, still valid for reads
/// of `info->len` bytes and not written while the result is used.
pub unsafe fn image_of(info: &LoadInfo) -> Result<Image<'_>, Error> {
    let too_large = Error::BadLoadInfo { what: "info->len does not fit in memory" };
    let len = usize::try_from(info.len).map_err(|_| too_large)?;
    // SAFETY: the caller's contract for `info->hdr`.
    let bytes =
        unsafe { raw_bytes(info.hdr.cast::<u8>(), len, "info->hdr") }.map_err(|e| match e {
            Error::TooLarge { .. } => too_large,
            e => e,
        })?;
    Image::reopen(bytes)
}

/// The value of `.modinfo`'s first `tag=` entry, NUL-terminated inside the image, or NULL.
///
/// # Safety
/// As for [`image_of`].
pub unsafe fn get_modinfo(info: &LoadInfo, tag: &[u8]) -> Result<*const c_char, Error> {
    if info.index.info == 0 {
        return Ok(ptr::null());
    }
    // SAFETY: the caller's contract.
    let image = unsafe { image_of(info) }?;
    let (offset, section) =
        image.section(info.index.info, "index.info is not a section inside the image")?;
    Ok(modinfo::find(section, tag).map_or(ptr::null(), |found| {
        image.bytes.as_ptr().wrapping_add(offset + found.start).cast()
    }))
}
