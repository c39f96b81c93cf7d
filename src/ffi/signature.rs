//! The appended module signature: the trailer (`klpelf_module_signature()`), what kmod's
//! `modinfo` shows of the PKCS#7 message (`klpelf_signature_details()`) and, with the `verify`
//! feature, its verification against certificates as the kernel does (`klpelf_verify_signature()`,
//! with the certificate sets of `klpelf_certs_*()`).

use core::ffi::{c_char, c_int, c_void};
use core::ptr;

use super::{boundary, image_for};
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
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { image_for(image, len, out) }?;
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
        // SAFETY: the caller's contract for `image`.
        let image = unsafe { image_for(image, len, out) }?;
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

/// A set of trusted certificates (opaque): the keys `klpelf_verify_signature()` accepts a module's
/// signature from, as the kernel's keyrings hold them. Made by `klpelf_certs_new()`, filled by the
/// `klpelf_certs_add*()` functions, freed by `klpelf_certs_free()`. Only with the `verify` feature
/// (the default build); its memory comes from the C library's `malloc`, not from
/// `klpelf_set_allocator()`'s allocator.
pub struct KlpelfCerts {
    _opaque: [u8; 0],
}

#[cfg(feature = "verify")]
mod verify_exports {
    use core::ffi::{c_char, c_int, c_void};
    use core::ptr::NonNull;

    use super::super::{boundary, bytes, c_str};
    use super::KlpelfCerts;
    use crate::error::Error;
    use crate::image;
    use crate::signature::certs::CertSet;
    use crate::signature::verify::verify;

    /// Borrows a set from C.
    ///
    /// # Safety
    /// `certs` must be NULL or a live set from `klpelf_certs_new()`, not used elsewhere meanwhile.
    unsafe fn set<'a>(certs: *mut KlpelfCerts) -> Result<&'a mut CertSet, Error> {
        // SAFETY: the caller's contract: a live set made by Box::into_raw in klpelf_certs_new().
        unsafe { certs.cast::<CertSet>().as_mut() }.ok_or(Error::NullArgument("certs"))
    }

    /// Makes an empty certificate set and stores it in `*out`.
    ///
    /// Returns 0, or `-EINVAL` when `out` is NULL (then nothing is made).
    ///
    /// # Safety
    /// `out` must be NULL or valid for writes.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_new(out: *mut *mut KlpelfCerts) -> c_int {
        boundary(|| {
            // SAFETY: the caller's contract; NULL is rejected.
            let out = unsafe { out.as_mut() }.ok_or(Error::NullArgument("out"))?;
            *out = Box::into_raw(Box::new(CertSet::default())).cast();
            Ok(0)
        })
    }

    /// Frees a certificate set. Accepts NULL.
    ///
    /// # Safety
    /// `certs` must be NULL or a set from `klpelf_certs_new()` not freed before.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_free(certs: *mut KlpelfCerts) {
        boundary(|| {
            if let Some(certs) = NonNull::new(certs.cast::<CertSet>()) {
                // SAFETY: the caller's contract: made by Box::into_raw and freed once.
                drop(unsafe { Box::from_raw(certs.as_ptr()) });
            }
            Ok(())
        })
    }

    /// The number of certificates in the set (0 for NULL).
    ///
    /// # Safety
    /// `certs` must be NULL or a live set from `klpelf_certs_new()`.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_count(certs: *const KlpelfCerts) -> usize {
        boundary(|| {
            // SAFETY: the caller's contract.
            Ok(unsafe { certs.cast::<CertSet>().as_ref() }.map_or(0, |set| set.certs.len()))
        })
    }

    /// Adds the certificates in `len` bytes at `buf`: one DER X.509 certificate, or PEM text with
    /// one or more `CERTIFICATE` blocks (other blocks, such as a private key, are skipped). The
    /// bytes are not kept. Keys may be RSA, or ECDSA on NIST P-256 or P-384.
    ///
    /// Returns the number of certificates added (at least 1). On failure the set is unchanged and
    /// the return value is `-EBADMSG` (not a certificate, malformed PEM), `-ENOPKG` (a key of
    /// another kind), `-ENOKEY` (PEM text without a certificate) or `-EINVAL` (a NULL argument).
    ///
    /// # Safety
    /// `certs` must be NULL or a live set; `buf` NULL or valid for reads of `len` bytes.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_add(
        certs: *mut KlpelfCerts,
        buf: *const c_void,
        len: usize,
    ) -> c_int {
        boundary(|| {
            // SAFETY: the caller's contract.
            unsafe {
                add_buffer(certs, buf, len, |set, buf| set.add(buf).map_err(Error::Certificates))
            }
        })
    }

    /// Adds the certificates in the file at `path` (DER or PEM, as `klpelf_certs_add()`).
    ///
    /// Returns the number added, or as `klpelf_certs_add()`, or the negative errno of opening or
    /// reading the file.
    ///
    /// # Safety
    /// `certs` must be NULL or a live set; `path` NULL or a NUL-terminated string.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_add_file(
        certs: *mut KlpelfCerts,
        path: *const c_char,
    ) -> c_int {
        boundary(|| {
            // SAFETY: the caller's contract.
            unsafe {
                add_file(certs, path, |set, bytes| set.add(bytes).map_err(Error::Certificates))
            }
        })
    }

    /// Adds the certificates built into a kernel, the keys it verifies modules with, from `len`
    /// bytes at `buf`: a `vmlinux` ELF (also xz-, zstd- or gzip-compressed) or a `vmlinuz`
    /// bzImage whose payload is gzip, xz or zstd. With symbols, the list the kernel loads
    /// (`system_certificate_list`); without, every X.509 certificate found in the image (see
    /// docs/api.md, "Module signatures"). Certificates whose key klpelf cannot use are skipped.
    ///
    /// Returns the number found (at least 1; one already in the set is not added twice). On
    /// failure the set is unchanged and the return value is `-ENOKEY` (no usable certificate),
    /// `-EBADMSG` (not a kernel image), `-ENOEXEC` (a corrupt compressed payload), `-EFBIG` (a
    /// payload past the image limit) or `-EINVAL`.
    ///
    /// # Safety
    /// `certs` must be NULL or a live set; `buf` NULL or valid for reads of `len` bytes.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_add_kernel_image(
        certs: *mut KlpelfCerts,
        buf: *const c_void,
        len: usize,
    ) -> c_int {
        boundary(|| {
            // SAFETY: the caller's contract.
            unsafe { add_buffer(certs, buf, len, CertSet::add_kernel_image) }
        })
    }

    /// Adds the certificates built into the kernel image file at `path` (as
    /// `klpelf_certs_add_kernel_image()`; the file is mapped, or decompressed when it is a
    /// compressed `vmlinux`).
    ///
    /// Returns as `klpelf_certs_add_kernel_image()`, or the negative errno of opening or reading
    /// the file.
    ///
    /// # Safety
    /// `certs` must be NULL or a live set; `path` NULL or a NUL-terminated string.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_certs_add_kernel_image_file(
        certs: *mut KlpelfCerts,
        path: *const c_char,
    ) -> c_int {
        boundary(|| {
            // SAFETY: the caller's contract.
            unsafe { add_file(certs, path, CertSet::add_kernel_image) }
        })
    }

    /// What adds certificates to a set from bytes: the number added, or why none.
    type Add = fn(&mut CertSet, &[u8]) -> Result<usize, Error>;

    /// The body of a `klpelf_certs_add*()` export on the `len` bytes at `buf`.
    ///
    /// # Safety
    /// `certs` must be NULL or a live set; `buf` NULL or valid for reads of `len` bytes.
    unsafe fn add_buffer(
        certs: *mut KlpelfCerts,
        buf: *const c_void,
        len: usize,
        add: Add,
    ) -> Result<c_int, Error> {
        // SAFETY: the caller's contract.
        let set = unsafe { set(certs) }?;
        // SAFETY: the caller's contract for `buf`.
        let buf = unsafe { bytes(buf.cast(), len, "buf") }?;
        count(add(set, buf)?)
    }

    /// The body of a `klpelf_certs_add*_file()` export on the file at `path` (mapped, or
    /// decompressed when compressed).
    ///
    /// # Safety
    /// `certs` must be NULL or a live set; `path` NULL or a NUL-terminated string.
    unsafe fn add_file(
        certs: *mut KlpelfCerts,
        path: *const c_char,
        add: Add,
    ) -> Result<c_int, Error> {
        // SAFETY: the caller's contract.
        let set = unsafe { set(certs) }?;
        // SAFETY: the caller's contract; NULL is rejected.
        let path = unsafe { c_str(path, "path") }?;
        let file = image::open(path)?;
        count(add(set, file.bytes())?)
    }

    /// A count as the exports return it.
    fn count(n: usize) -> Result<c_int, Error> {
        Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
    }

    /// Verifies the signature appended to `image` (`len` bytes of a module file) against the
    /// certificates in `certs`, as the kernel's `mod_verify_sig()` does with its keyrings: the
    /// PKCS#7 message parsed, its content type and attributes checked, the ELF part (the bytes
    /// before the signature) digested, the signer's key found by issuer and serial number or by
    /// subject key identifier, and the signature checked (RSA PKCS#1 v1.5, or ECDSA on P-256 or
    /// P-384; SHA-224, -256, -384 or -512). Certificates are trusted as given: no chain, validity
    /// period or key usage is checked, as the kernel checks none for keys in its keyrings.
    ///
    /// Returns 0 when the signature is valid; otherwise the kernel's verdict, and
    /// `klpelf_last_error()` says which and why:
    /// - `-ENODATA`: unsigned;
    /// - `-EBADMSG`: a malformed trailer or PKCS#7 message;
    /// - `-ENOPKG`: not PKCS#7, or an algorithm the kernel (or klpelf) does not implement;
    /// - `-ENOKEY`: no certificate in the set holds the signer's key;
    /// - `-EKEYREJECTED`: the signature does not verify with the signer's key, the key is of
    ///   another algorithm, or the message is not a valid module signature (not `id-data`
    ///   content, authenticated attributes);
    /// - `-EINVAL`: a NULL argument, or `len` exceeds `PTRDIFF_MAX`.
    ///
    /// # Safety
    /// `image` must be NULL or valid for reads of `len` bytes; `certs` NULL or a live set.
    #[no_mangle]
    pub unsafe extern "C" fn klpelf_verify_signature(
        image: *const c_void,
        len: usize,
        certs: *const KlpelfCerts,
    ) -> c_int {
        boundary(|| {
            // SAFETY: the caller's contract for `image`.
            let image = unsafe { bytes(image.cast(), len, "image") }?;
            // SAFETY: the caller's contract for `certs`.
            let set =
                unsafe { certs.cast::<CertSet>().as_ref() }.ok_or(Error::NullArgument("certs"))?;
            verify(image, set)?;
            Ok(0)
        })
    }
}

#[cfg(feature = "verify")]
pub use verify_exports::*;
