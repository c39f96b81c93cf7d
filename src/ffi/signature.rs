//! The appended module signature: the trailer (`klpelf_module_signature()`), what kmod's
//! `modinfo` shows of the PKCS#7 message (`klpelf_signature_details()`) and, with the `verify`
//! feature, its verification against certificates as the kernel does (`klpelf_verify_signature()`,
//! with the certificate sets of `klpelf_certs_*()`).

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use super::{boundary, bytes};
use crate::error::Error;
use crate::layout::KlpelfSignature;
use crate::signature;

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
        let KlpelfSignature { sig_offset, sig_len, algo, hash, id_type, signer_len, key_id_len } =
            found;
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract. Zeroed first and
        // written field by field, so that its padding reads as zeros (a copy of the Rust value
        // would leave it undefined for a caller that compares the struct with memcmp).
        unsafe {
            out.write_bytes(0, 1);
            ptr::addr_of_mut!((*out).sig_offset).write(sig_offset);
            ptr::addr_of_mut!((*out).sig_len).write(sig_len);
            ptr::addr_of_mut!((*out).algo).write(algo);
            ptr::addr_of_mut!((*out).hash).write(hash);
            ptr::addr_of_mut!((*out).id_type).write(id_type);
            ptr::addr_of_mut!((*out).signer_len).write(signer_len);
            ptr::addr_of_mut!((*out).key_id_len).write(key_id_len);
        }
        Ok(0)
    })
}

/// What kmod's `modinfo` shows of a module's appended PKCS#7 signature (its first signer), filled
/// by `klpelf_signature_details()`. The byte pointers point into the caller's image and are valid
/// as long as it is; the `*_name` strings are static, NUL-terminated.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KlpelfSignatureDetails {
    /// `"PKCS#7"`: the signature's kind, kmod's `sig_id`.
    pub id_type_name: *const c_char,
    /// The signing certificate's issuer CommonName, kmod's `signer` (not NUL-terminated; its
    /// length is `signer_len`; 0 when the signer is named by subject key identifier or its issuer
    /// has no CommonName).
    pub signer: *const u8,
    /// Length of `signer` in bytes.
    pub signer_len: usize,
    /// The signing certificate's serial number (big-endian, without leading zero bytes), or its
    /// subject key identifier when the signer is named by it: kmod's `sig_key`, which prints it as
    /// colon-separated hexadecimal bytes.
    pub key_id: *const u8,
    /// Length of `key_id` in bytes.
    pub key_id_len: usize,
    /// The digest algorithm as kmod's `sig_hashalgo` names it: `"sha256"`, `"sha384"`,
    /// `"sha512"`, `"sha224"`, `"sha1"`, `"md5"`, `"sha3-256"`, ...; `"unknown"` for an OID klpelf
    /// does not know.
    pub hash_algo_name: *const c_char,
    /// The public-key algorithm as the kernel names it: `"rsa"` or `"ecdsa"`; `"unknown"` for an
    /// algorithm the kernel does not accept in a module signature.
    pub pkey_algo_name: *const c_char,
    /// The signature value (the SignerInfo's signature OCTET STRING contents), kmod's `signature`.
    pub signature: *const u8,
    /// Length of `signature` in bytes.
    pub signature_len: usize,
}

/// Reads the PKCS#7 message appended to `image` (`len` bytes of a module file) and describes its
/// first signer in `*out`, as kmod's `modinfo` shows it (`sig_id`, `signer`, `sig_key`,
/// `sig_hashalgo`, `signature`). Nothing is verified: see `klpelf_verify_signature()`.
///
/// Returns 0 on success. On failure `*out` is unchanged, `klpelf_last_error()` says why, and the
/// return value is:
/// - `-ENODATA`: the image carries no appended signature;
/// - `-EBADMSG`: the trailer is malformed (as for `klpelf_module_signature()`), or the PKCS#7
///   message is: not DER, not a SignedData, or without a SignerInfo (the message names the part);
/// - `-ENOPKG`: the signature is not PKCS#7 (`id_type` other than 2);
/// - `-EINVAL`: `image` or `out` is NULL, or `len` exceeds `PTRDIFF_MAX`.
///
/// # Safety
/// Non-NULL pointers must be valid: `image` for reads of `len` bytes, `out` for writes.
#[no_mangle]
pub unsafe extern "C" fn klpelf_signature_details(
    image: *const c_void,
    len: usize,
    out: *mut KlpelfSignatureDetails,
) -> c_int {
    boundary(|| {
        if out.is_null() {
            return Err(Error::NullArgument("out"));
        }
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { bytes(image.cast::<u8>(), len, "image") }?;
        let details = signature::details(image)?;
        let name = |name: Option<&'static str>| -> *const c_char {
            static_c_name(name.unwrap_or("unknown"))
        };
        let filled = KlpelfSignatureDetails {
            id_type_name: c"PKCS#7".as_ptr(),
            signer: details.signer.as_ptr(),
            signer_len: details.signer.len(),
            key_id: details.key_id.as_ptr(),
            key_id_len: details.key_id.len(),
            hash_algo_name: name(details.hash.map(signature::HashAlgo::name)),
            pkey_algo_name: name(details.pkey.map(signature::PkeyAlgo::name)),
            signature: details.signature.as_ptr(),
            signature_len: details.signature.len(),
        };
        // SAFETY: `out` is non-NULL and valid for writes by the caller's contract; the struct has
        // no padding (pointers and sizes only).
        unsafe { out.write(filled) };
        Ok(0)
    })
}

/// The static NUL-terminated copy of an algorithm name.
fn static_c_name(name: &'static str) -> *const c_char {
    const NAMES: [(&str, &core::ffi::CStr); 14] = [
        ("md4", c"md4"),
        ("md5", c"md5"),
        ("sha1", c"sha1"),
        ("sha224", c"sha224"),
        ("sha256", c"sha256"),
        ("sha384", c"sha384"),
        ("sha512", c"sha512"),
        ("sha3-256", c"sha3-256"),
        ("sha3-384", c"sha3-384"),
        ("sha3-512", c"sha3-512"),
        ("sm3", c"sm3"),
        ("rsa", c"rsa"),
        ("ecdsa", c"ecdsa"),
        ("unknown", c"unknown"),
    ];
    NAMES.iter().find(|(n, _)| *n == name).map_or(c"unknown", |&(_, c)| c).as_ptr()
}
