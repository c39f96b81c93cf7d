//! `klpelf_signature_details()` on modules signed at test time by the kernel's `sign-file`, with
//! fresh RSA and ECDSA keys and every digest: the signer, key identifier, algorithms and signature
//! bytes it reports are OpenSSL's reading of the same certificate and message.

mod support;

use std::ffi::{c_int, CStr};
use std::slice;

use klpelf::ffi::{klpelf_signature_details, KlpelfSignatureDetails};
use support::api::last_error;
use support::image::Image;
use support::objects::livepatch;
use support::signing::{self, KeyKind};

/// What klpelf reports, as owned values.
#[derive(Debug, PartialEq)]
struct Reported {
    id_type: String,
    signer: Vec<u8>,
    key_id: Vec<u8>,
    hash: String,
    pkey: String,
    signature: Vec<u8>,
}

fn details(image: &[u8]) -> Result<Reported, (c_int, String)> {
    let image = Image::new(image);
    let sentinel = KlpelfSignatureDetails {
        id_type_name: std::ptr::null(),
        signer: std::ptr::null(),
        signer_len: 7,
        key_id: std::ptr::null(),
        key_id_len: 7,
        hash_algo_name: std::ptr::null(),
        pkey_algo_name: std::ptr::null(),
        signature: std::ptr::null(),
        signature_len: 7,
    };
    let mut out = sentinel;
    // SAFETY: the image is `len` readable bytes; `out` is writable.
    let rc = unsafe { klpelf_signature_details(image.ptr(), image.len(), &mut out) };
    if rc != 0 {
        assert_eq!(
            (out.signer_len, out.key_id_len, out.signature_len, out.signer),
            (7, 7, 7, std::ptr::null()),
            "*out untouched on error"
        );
        return Err((rc, last_error().unwrap()));
    }
    let range = image.ptr() as usize..image.ptr() as usize + image.len();
    let bytes = |p: *const u8, len: usize| {
        assert!(len == 0 || (range.contains(&(p as usize)) && p as usize + len <= range.end));
        // SAFETY: checked above to lie inside the live image.
        unsafe { slice::from_raw_parts(p, len) }.to_vec()
    };
    // SAFETY: klpelf's static NUL-terminated names.
    let name = |p| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string();
    Ok(Reported {
        id_type: name(out.id_type_name),
        signer: bytes(out.signer, out.signer_len),
        key_id: bytes(out.key_id, out.key_id_len),
        hash: name(out.hash_algo_name),
        pkey: name(out.pkey_algo_name),
        signature: bytes(out.signature, out.signature_len),
    })
}

#[test]
fn sign_file_signatures_are_described_as_openssl_reads_them() {
    let Some(sign_file) = signing::sign_file() else { return };
    let module = &livepatch().bytes;
    for kind in KeyKind::ALL {
        let key = signing::key(kind, "details");
        for hash in ["sha256", "sha384", "sha512"] {
            for by_key_id in [false, true] {
                let signed = signing::sign(&sign_file, module, &key, hash, by_key_id);
                let (elf, pkcs7) = signing::split(&signed);
                assert_eq!(elf, &module[..]);
                let reported = details(&signed).unwrap();
                let expected = Reported {
                    id_type: "PKCS#7".into(),
                    // Named by key identifier, the signer has no issuer to show.
                    signer: if by_key_id { vec![] } else { key.common_name.clone().into_bytes() },
                    key_id: if by_key_id {
                        signing::openssl_skid(&key)
                    } else {
                        signing::openssl_serial(&key)
                    },
                    hash: hash.into(),
                    pkey: kind.pkey_name().into(),
                    signature: signing::openssl_signature(pkcs7),
                };
                assert_eq!(reported, expected, "{kind:?} {hash} by_key_id={by_key_id}");
            }
        }
    }
}

#[test]
fn malformed_messages_are_ebadmsg_and_unsigned_modules_enodata() {
    let module = &livepatch().bytes;
    let (rc, message) = details(module).unwrap_err();
    assert_eq!(rc, -libc::ENODATA, "{message}");
    let Some(sign_file) = signing::sign_file() else { return };
    let key = signing::key(KeyKind::Rsa2048, "details");
    let signed = signing::sign(&sign_file, module, &key, "sha256", false);
    let (elf, pkcs7) = signing::split(&signed);
    let trailer = &signed[elf.len() + pkcs7.len()..];
    // Every strict prefix of the message, keeping the trailer consistent, and every single-byte
    // change to its first 64 bytes (the structure) either parses or is -EBADMSG.
    for cut in 1..pkcs7.len() {
        let mut image = elf.to_vec();
        image.extend_from_slice(&pkcs7[..cut]);
        image.extend_from_slice(&trailer[..8]);
        image.extend_from_slice(&(cut as u32).to_be_bytes());
        image.extend_from_slice(&trailer[12..]);
        let (rc, message) = details(&image).unwrap_err();
        assert_eq!(rc, -libc::EBADMSG, "cut at {cut}: {message}");
        assert!(message.contains("malformed PKCS#7 message"), "{message}");
    }
    for at in 0..64 {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut image = signed.clone();
            image[elf.len() + at] ^= flip;
            if let Err((rc, message)) = details(&image) {
                assert_eq!(rc, -libc::EBADMSG, "byte {at} ^ {flip:#x}: {message}");
            }
        }
    }
}
