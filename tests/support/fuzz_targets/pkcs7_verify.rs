//! Fuzz target `pkcs7_verify`: the PKCS#7 and X.509 parsing behind module signatures. The input is
//! `cert_len: u16 LE | certificate bytes | PKCS#7 message`; the message is appended to a fixed
//! module body with a well-formed trailer, so every input reaches the message parser.
//! - `klpelf_signature_details()` returns 0 or `-EBADMSG`; on success every pointer lies inside the
//!   message and `*out` is untouched on failure;
//! - the certificate bytes go through `CertSet::add` (DER or PEM) and, as a kernel image, through
//!   `CertSet::add_kernel_image`; neither may panic;
//! - `verify()` against the set: a message `details` refuses is refused the same way; a message it
//!   accepts gets one of the kernel's verdicts; `Ok` only with a key from the set.
//!
//! Seeds (`fuzz/seeds/pkcs7_verify/`): real `sign-file` signatures with RSA, P-256 and P-384 keys
//! and their certificates.

use klpelf::error::Error;
use klpelf::ffi::{klpelf_set_image_limit, klpelf_signature_details, KlpelfSignatureDetails};
use klpelf::signature::certs::CertSet;
use klpelf::signature::verify::verify;

use super::bytes::Reader;
use super::models::MARKER;
use crate::support::image::Image;

/// The module body the fuzzed message signs.
const BODY: &[u8] = b"\x7fELF module body signed by the fuzzed message";

/// `BODY`, `pkcs7` and a PKCS#7 trailer, as `sign-file` lays them out.
pub fn signed_image(pkcs7: &[u8]) -> Vec<u8> {
    let mut image = BODY.to_vec();
    image.extend_from_slice(pkcs7);
    image.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]);
    image.extend_from_slice(&(pkcs7.len() as u32).to_be_bytes());
    image.extend_from_slice(MARKER);
    image
}

/// The input as `cert_len | cert | pkcs7`.
pub fn encode(cert: &[u8], pkcs7: &[u8]) -> Vec<u8> {
    let mut data = (cert.len() as u16).to_le_bytes().to_vec();
    data.extend_from_slice(cert);
    data.extend_from_slice(pkcs7);
    data
}

pub fn pkcs7_verify(data: &[u8]) {
    let mut reader = Reader(data);
    let cert_len = usize::from(reader.u16()).min(reader.0.len());
    let (cert, pkcs7) = reader.0.split_at(cert_len);

    let mut certs = CertSet::default();
    let added = certs.add(cert);
    assert_eq!(added.is_ok(), !certs.certs.is_empty());
    // As a kernel image, with image_open's small limit: a compressed bomb is found out cheaply.
    klpelf_set_image_limit(super::image_open::LIMIT);
    let mut from_image = CertSet::default();
    let _ = from_image.add_kernel_image(cert);
    klpelf_set_image_limit(0);

    if pkcs7.is_empty() {
        return;
    }
    let bytes = signed_image(pkcs7);
    let image = Image::new(&bytes);
    let untouched = KlpelfSignatureDetails {
        id_type_name: std::ptr::null(),
        signer: std::ptr::null(),
        signer_len: 1,
        key_id: std::ptr::null(),
        key_id_len: 2,
        hash_algo_name: std::ptr::null(),
        pkey_algo_name: std::ptr::null(),
        signature: std::ptr::null(),
        signature_len: 3,
    };
    let mut out = untouched;
    // SAFETY: the image is `len` readable bytes; `out` is writable.
    let rc = unsafe { klpelf_signature_details(image.ptr(), image.len(), &mut out) };
    let message =
        image.ptr() as usize + BODY.len()..image.ptr() as usize + BODY.len() + pkcs7.len();
    match rc {
        0 => {
            for (p, len) in [
                (out.signer, out.signer_len),
                (out.key_id, out.key_id_len),
                (out.signature, out.signature_len),
            ] {
                assert!(
                    len == 0
                        || (message.contains(&(p as usize)) && p as usize + len <= message.end)
                );
            }
        }
        rc => {
            assert_eq!(rc, -libc::EBADMSG);
            assert_eq!((out.signer_len, out.key_id_len, out.signature_len), (1, 2, 3));
        }
    }

    let verdict = verify(image.bytes(), &certs);
    match verdict {
        Ok(()) => assert!(rc == 0 && !certs.certs.is_empty(), "verified without a key"),
        Err(Error::BadPkcs7(_)) => assert_ne!(rc, 0, "verify refused what details parsed"),
        Err(Error::Verify(_)) => {}
        Err(other) => panic!("unexpected verdict {other:?}"),
    }
    // A message details refuses (malformed, or without a signer) is never valid.
    assert!(rc == 0 || verdict.is_err());
}
