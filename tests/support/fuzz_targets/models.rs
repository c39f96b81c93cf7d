//! Independent models of what the kernel reads from a module file besides its ELF checks: the
//! appended signature trailer (`mod_verify_sig()` / `mod_check_sig()`, and `module_sig_check()`
//! stripping it) and the `.modinfo` walk (`get_modinfo()`), written from the kernel's code.

use std::ffi::c_int;

use klpelf::layout::KlpelfSignature;

use super::super::api::{EBADMSG, ENODATA, ENOPKG};

/// The marker that ends a signed module, and the size of `struct module_signature` before it.
pub const MARKER: &[u8] = b"~Module signature appended~\n";
pub const SIG_HEADER: usize = 12;

/// The kernel's `mod_verify_sig()` / `mod_check_sig()` up to the cryptography, written from the
/// kernel's code: `(sig_offset, sig_len)` of a PKCS#7 signature, or the errno.
pub fn model_signature(image: &[u8]) -> Result<KlpelfSignature, c_int> {
    let len = image.len();
    if len <= MARKER.len() || !image.ends_with(MARKER) {
        return Err(ENODATA);
    }
    let modlen = len - MARKER.len();
    if modlen <= SIG_HEADER {
        return Err(EBADMSG);
    }
    let ms = &image[modlen - SIG_HEADER..modlen];
    let sig_len = u32::from_be_bytes([ms[8], ms[9], ms[10], ms[11]]);
    if sig_len as usize >= modlen - SIG_HEADER {
        return Err(EBADMSG);
    }
    if ms[2] != 2 {
        return Err(ENOPKG);
    }
    if ms[0] != 0 || ms[1] != 0 || ms[3] != 0 || ms[4] != 0 || ms[5..8] != [0, 0, 0] {
        return Err(EBADMSG);
    }
    Ok(KlpelfSignature {
        sig_offset: modlen - SIG_HEADER - sig_len as usize,
        sig_len,
        algo: 0,
        hash: 0,
        id_type: 2,
        signer_len: 0,
        key_id_len: 0,
    })
}

/// The ELF part's length as `klpelf_setup_load_info()` documents it (the kernel's
/// `module_sig_check()` without enforcement): everything when unsigned, the bytes before a PKCS#7
/// signature, the bytes before the marker for another kind; `-EBADMSG` for a malformed trailer.
pub fn model_elf_len(image: &[u8]) -> Result<usize, c_int> {
    match model_signature(image) {
        Ok(signature) => Ok(signature.sig_offset),
        Err(ENODATA) => Ok(image.len()),
        Err(ENOPKG) => Ok(image.len() - MARKER.len()),
        Err(errno) => Err(errno),
    }
}

/// The kernel's `get_modinfo()` walk over a `.modinfo` section, with klpelf's one documented
/// difference (a last entry without its NUL never matches): the value's byte range, or `None`.
pub fn model_modinfo(section: &[u8], tag: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    while start < section.len() {
        let Some(nul) = section[start..].iter().position(|&b| b == 0).map(|n| start + n) else {
            return None; // unterminated last entry
        };
        let entry = &section[start..nul];
        if entry.len() > tag.len() && entry.starts_with(tag) && entry[tag.len()] == b'=' {
            return Some(start + tag.len() + 1..nul);
        }
        start = nul + 1;
    }
    None
}
