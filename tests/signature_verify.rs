//! `klpelf_verify_signature()` on modules signed at test time by the kernel's `sign-file`, with
//! fresh keys of every kind the kernel's module signing uses (RSA 2048 and 4096, ECDSA P-256 and
//! P-384; SHA-256, -384 and -512; signer by issuer and serial or by key identifier): each verifies,
//! each tampering is refused with the kernel's error number, and OpenSSL (`openssl cms -verify`) is
//! asked the same question on the same bytes every time.

mod support;

use std::ffi::{c_int, CString};
use std::process::Command;

use klpelf::ffi::{
    klpelf_certs_add, klpelf_certs_add_file, klpelf_certs_count, klpelf_certs_free,
    klpelf_certs_new, klpelf_verify_signature, KlpelfCerts,
};
use support::api::last_error;
use support::image::Image;
use support::objects::livepatch;
use support::signing::{self, Key, KeyKind};

/// A certificate set for a test, freed when dropped.
struct Certs(*mut KlpelfCerts);

impl Certs {
    fn new() -> Certs {
        let mut certs = std::ptr::null_mut();
        // SAFETY: `certs` is writable.
        assert_eq!(unsafe { klpelf_certs_new(&mut certs) }, 0);
        Certs(certs)
    }

    fn of(keys: &[&Key]) -> Certs {
        let certs = Certs::new();
        for key in keys {
            assert_eq!(certs.add(&key.cert_der), Ok(1));
        }
        certs
    }

    fn add(&self, bytes: &[u8]) -> Result<c_int, (c_int, String)> {
        // SAFETY: a live set; `bytes` readable for its length.
        let rc = unsafe { klpelf_certs_add(self.0, bytes.as_ptr().cast(), bytes.len()) };
        if rc > 0 {
            Ok(rc)
        } else {
            Err((rc, last_error().unwrap()))
        }
    }

    fn count(&self) -> usize {
        // SAFETY: a live set.
        unsafe { klpelf_certs_count(self.0) }
    }

    /// klpelf's verdict on `image`: 0 or the negative errno, with the message.
    fn verify(&self, image: &[u8]) -> (c_int, Option<String>) {
        let image = Image::new(image);
        // SAFETY: the image is `len` readable bytes; a live set.
        let rc = unsafe { klpelf_verify_signature(image.ptr(), image.len(), self.0) };
        (rc, last_error())
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        // SAFETY: made by klpelf_certs_new() and freed once.
        unsafe { klpelf_certs_free(self.0) };
    }
}

/// klpelf's and OpenSSL's verdicts on `signed` with `key`'s certificate must agree: `expected`
/// from klpelf, and OpenSSL's "verifies" exactly when klpelf says 0.
fn assert_verdict(signed: &[u8], key: &Key, expected: c_int, what: &str) {
    let (rc, message) = Certs::of(&[key]).verify(signed);
    assert_eq!(rc, expected, "{what}: {message:?}");
    if signed.ends_with(b"~Module signature appended~\n") && signed.len() > 40 {
        let (elf, pkcs7) = signing::split(signed);
        if pkcs7.len() < signed.len() - 40 {
            let openssl = signing::openssl_verifies(pkcs7, elf, &key.cert_pem);
            assert_eq!(openssl, rc == 0, "{what}: OpenSSL says {openssl}, klpelf {rc}");
        }
    }
}

#[test]
fn every_key_kind_and_digest_verifies() {
    let Some(sign_file) = signing::sign_file() else { return };
    let module = &livepatch().bytes;
    for kind in KeyKind::ALL {
        let key = signing::key(kind, "verify");
        for hash in ["sha256", "sha384", "sha512"] {
            for by_key_id in [false, true] {
                let signed = signing::sign(&sign_file, module, &key, hash, by_key_id);
                let what = format!("{kind:?} {hash} by_key_id={by_key_id}");
                assert_verdict(&signed, &key, 0, &what);
            }
        }
    }
}

#[test]
fn tampered_modules_are_refused_with_the_kernels_codes() {
    let Some(sign_file) = signing::sign_file() else { return };
    let module = &livepatch().bytes;
    for kind in KeyKind::ALL {
        let key = signing::key(kind, "verify");
        let other = signing::key(kind, "other");
        let signed = signing::sign(&sign_file, module, &key, "sha256", false);
        let (elf, pkcs7) = signing::split(&signed);
        let (elf_len, sig_len) = (elf.len(), pkcs7.len());
        let what = |w: &str| format!("{kind:?}: {w}");

        // One byte of the ELF part, at its start, middle and end.
        for at in [0, elf_len / 2, elf_len - 1] {
            let mut bad = signed.clone();
            bad[at] ^= 0x20;
            assert_verdict(&bad, &key, -libc::EKEYREJECTED, &what(&format!("ELF byte {at}")));
        }
        // One byte of the signature value (the PKCS#7 message's last bytes).
        for back in [1, 9] {
            let mut bad = signed.clone();
            bad[elf_len + sig_len - back] ^= 0x01;
            let rc = Certs::of(&[&key]).verify(&bad).0;
            // An ECDSA signature is DER: a changed byte may break its encoding, which the kernel
            // also reports as a rejected key.
            assert_eq!(rc, -libc::EKEYREJECTED, "{}", what("signature byte"));
            assert!(!signing::openssl_verifies(
                &bad[elf_len..elf_len + sig_len],
                elf,
                &key.cert_pem
            ));
        }
        // The trailer: a padding byte (-EBADMSG), the id type (-ENOPKG), the marker (-ENODATA).
        let trailer = elf_len + sig_len;
        for (offset, flip, errno) in
            [(5, 1, -libc::EBADMSG), (2, 1, -libc::ENOPKG), (12 + 27, 1, -libc::ENODATA)]
        {
            let mut bad = signed.clone();
            bad[trailer + offset] ^= flip;
            let (rc, message) = Certs::of(&[&key]).verify(&bad);
            assert_eq!(rc, errno, "{}: {message:?}", what(&format!("trailer byte {offset}")));
        }
        // Another key of the same kind: no key for the signer.
        let (rc, message) = Certs::of(&[&other]).verify(&signed);
        assert_eq!(rc, -libc::ENOKEY, "{}: {message:?}", what("wrong key"));
        assert!(message.unwrap().contains("no key for the signer"));
        assert!(!signing::openssl_verifies(pkcs7, elf, &other.cert_pem));
        // ... and with the right one among others, it verifies.
        assert_eq!(Certs::of(&[&other, &key]).verify(&signed).0, 0);
        // The PKCS#7 message truncated (sig_len kept consistent): malformed.
        for keep in [sig_len / 2, sig_len - 1] {
            let mut bad = elf.to_vec();
            bad.extend_from_slice(&pkcs7[..keep]);
            bad.extend_from_slice(&signed[trailer..trailer + 8]);
            bad.extend_from_slice(&(keep as u32).to_be_bytes());
            bad.extend_from_slice(&signed[trailer + 12..]);
            assert_verdict(&bad, &key, -libc::EBADMSG, &what(&format!("truncated to {keep}")));
        }
        // Unsigned.
        assert_eq!(Certs::of(&[&key]).verify(module).0, -libc::ENODATA);
    }
}

#[test]
fn a_key_of_another_algorithm_and_an_empty_set_find_no_key() {
    let Some(sign_file) = signing::sign_file() else { return };
    let module = &livepatch().bytes;
    let rsa = signing::key(KeyKind::Rsa2048, "verify");
    let ec = signing::key(KeyKind::P384, "verify");
    let signed = signing::sign(&sign_file, module, &rsa, "sha512", false);
    assert_eq!(Certs::of(&[&ec]).verify(&signed).0, -libc::ENOKEY);
    assert_eq!(Certs::new().verify(&signed).0, -libc::ENOKEY);
}

/// OpenSSL's own CMS signing, with the kernel-relevant variations sign-file does not make.
fn openssl_sign(module: &[u8], key: &Key, extra: &[&str]) -> Vec<u8> {
    let dir = signing::work_dir();
    let (data, sig) = (dir.join("cms-in.bin"), dir.join(format!("cms-{}.p7s", extra.join("_"))));
    std::fs::write(&data, module).unwrap();
    signing::run(
        Command::new("openssl")
            .args(["cms", "-sign", "-binary", "-outform", "DER", "-nocerts", "-md", "sha256"])
            .args(extra)
            .arg("-in")
            .arg(&data)
            .arg("-signer")
            .arg(&key.cert_pem)
            .arg("-inkey")
            .arg(&key.key_pem)
            .arg("-out")
            .arg(&sig),
    );
    let pkcs7 = std::fs::read(&sig).unwrap();
    let mut image = module.to_vec();
    image.extend_from_slice(&pkcs7);
    image.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0]);
    image.extend_from_slice(&(pkcs7.len() as u32).to_be_bytes());
    image.extend_from_slice(b"~Module signature appended~\n");
    image
}

#[test]
fn messages_the_kernel_refuses_for_modules() {
    let module = &livepatch().bytes;
    let key = signing::key(KeyKind::P256, "verify");
    let certs = Certs::of(&[&key]);
    // What sign-file writes, made by openssl cms: detached, no attributes. Valid.
    let plain = openssl_sign(module, &key, &["-noattr"]);
    assert_eq!(certs.verify(&plain).0, 0, "{:?}", certs.verify(&plain).1);
    // Authenticated attributes (openssl's default): OpenSSL accepts them, the kernel refuses a
    // module signature that has them.
    let attrs = openssl_sign(module, &key, &[]);
    let (elf, pkcs7) = signing::split(&attrs);
    assert!(signing::openssl_verifies(pkcs7, elf, &key.cert_pem));
    let (rc, message) = certs.verify(&attrs);
    assert_eq!(rc, -libc::EKEYREJECTED);
    assert!(message.unwrap().contains("authenticated attributes"));
    // The content inside the message (not detached): malformed for a module signature.
    let embedded = openssl_sign(module, &key, &["-noattr", "-nodetach"]);
    assert_eq!(certs.verify(&embedded).0, -libc::EBADMSG);
}

#[test]
fn a_digest_klpelf_does_not_implement_is_enopkg() {
    let Some(sign_file) = signing::sign_file() else { return };
    let key = signing::key(KeyKind::Rsa2048, "verify");
    let signed = signing::sign(&sign_file, &livepatch().bytes, &key, "sha1", false);
    let (rc, message) = Certs::of(&[&key]).verify(&signed);
    assert_eq!(rc, -libc::ENOPKG, "{message:?}");
}

#[test]
fn certificates_load_from_der_and_pem_or_say_why_not() {
    let key = signing::key(KeyKind::Rsa2048, "verify");
    let ec = signing::key(KeyKind::P384, "verify");
    let certs = Certs::new();
    assert_eq!(certs.add(&key.cert_der), Ok(1));
    // PEM with two certificates and a private key: the two certificates.
    let mut pem = std::fs::read(&key.cert_pem).unwrap();
    pem.extend(std::fs::read(&ec.key_pem).unwrap());
    pem.extend(std::fs::read(&ec.cert_pem).unwrap());
    assert_eq!(certs.add(&pem), Ok(2));
    assert_eq!(certs.count(), 3);
    let path = CString::new(ec.cert_pem.to_str().unwrap()).unwrap();
    // SAFETY: a live set and a NUL-terminated path.
    assert_eq!(unsafe { klpelf_certs_add_file(certs.0, path.as_ptr()) }, 1);
    assert_eq!(certs.count(), 4);
    // Errors leave the set as it was.
    let (rc, _) = certs.add(&std::fs::read(&ec.key_pem).unwrap()).unwrap_err();
    assert_eq!(rc, -libc::ENOKEY);
    let (rc, message) = certs.add(&key.cert_der[..key.cert_der.len() - 1]).unwrap_err();
    assert_eq!(rc, -libc::EBADMSG, "{message}");
    let (rc, _) = certs.add(b"not a certificate").unwrap_err();
    assert_eq!(rc, -libc::EBADMSG);
    let missing = CString::new("/nonexistent/cert.pem").unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { klpelf_certs_add_file(certs.0, missing.as_ptr()) }, -libc::ENOENT);
    // A key the kernel cannot verify module signatures with (Ed25519): -ENOPKG.
    let dir = signing::work_dir();
    let (ed_key, ed_cert) = (dir.join("ed25519.key"), dir.join("ed25519.der"));
    signing::run(
        Command::new("openssl")
            .args(["req", "-new", "-x509", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=ed25519", "-newkey", "ed25519", "-outform", "DER", "-keyout"])
            .arg(&ed_key)
            .arg("-out")
            .arg(&ed_cert),
    );
    let (rc, _) = certs.add(&std::fs::read(&ed_cert).unwrap()).unwrap_err();
    assert_eq!(rc, -libc::ENOPKG);
    assert_eq!(certs.count(), 4);
    // NULL arguments.
    // SAFETY: NULL is rejected before anything is read.
    assert_eq!(unsafe { klpelf_verify_signature(std::ptr::null(), 0, certs.0) }, -libc::EINVAL);
    let byte = [0u8];
    // SAFETY: a NULL set is rejected; `byte` is readable.
    let rc = unsafe { klpelf_certs_add(std::ptr::null_mut(), byte.as_ptr().cast(), 1) };
    assert_eq!(rc, -libc::EINVAL);
}
