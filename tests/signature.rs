//! Appended module signatures: `klpelf_module_signature()` reads the trailer as the kernel's
//! `mod_check_sig()` does, and `klpelf_setup_load_info()` strips it as `module_sig_check()` does.

mod support;

use std::ffi::c_int;
use std::mem::MaybeUninit;

use klpelf::check_id::KlpelfCheck;
use klpelf::ffi::klpelf_module_signature;
use klpelf::layout::KlpelfSignature;
use support::api::{last_error, rejected_as, setup_ok};
use support::fuzz_targets::MARKER;
use support::image::Image;
use support::objects::{assert_matches_readelf, livepatch};

/// `module`, then a signature trailer laid out as `scripts/sign-file` writes it: the signature
/// (a fake PKCS#7 blob of `sig_len` bytes), `struct module_signature`, the marker.
fn signed(module: &[u8], sig_len: usize, params: [u8; 8]) -> Vec<u8> {
    let mut image = module.to_vec();
    image.extend((0..sig_len).map(|i| (i * 7) as u8));
    image.extend_from_slice(&params);
    image.extend_from_slice(&(sig_len as u32).to_be_bytes());
    image.extend_from_slice(MARKER);
    image
}

const PKCS7: [u8; 8] = [0, 0, 2, 0, 0, 0, 0, 0];

fn signature_of(image: &[u8]) -> Result<KlpelfSignature, (c_int, String)> {
    let mut out = MaybeUninit::<KlpelfSignature>::new(KlpelfSignature {
        sig_len: 0xdead,
        ..Default::default()
    });
    // SAFETY: `image` is readable for its length; `out` is writable.
    let rc =
        unsafe { klpelf_module_signature(image.as_ptr().cast(), image.len(), out.as_mut_ptr()) };
    // SAFETY: initialized above, and written whole on success.
    let out = unsafe { out.assume_init() };
    if rc == 0 {
        Ok(out)
    } else {
        assert_eq!(out, KlpelfSignature { sig_len: 0xdead, ..Default::default() }, "*out changed");
        Err((rc, last_error().unwrap()))
    }
}

#[test]
fn a_signed_module_is_stripped_and_reported() {
    let fixture = livepatch();
    let image_bytes = signed(&fixture.bytes, 467, PKCS7);
    let image = Image::new(&image_bytes);
    let info = setup_ok(&image, 0);
    assert_eq!(info.len as usize, fixture.bytes.len(), "setup strips the signature");
    assert_matches_readelf(&info, &image, fixture);
    let signature = signature_of(&image_bytes).unwrap();
    assert_eq!(
        signature,
        KlpelfSignature {
            sig_offset: fixture.bytes.len(),
            sig_len: 467,
            algo: 0,
            hash: 0,
            id_type: 2,
            signer_len: 0,
            key_id_len: 0,
        }
    );
}

#[test]
fn an_unsigned_module_is_enodata() {
    let (rc, message) = signature_of(&livepatch().bytes).unwrap_err();
    assert_eq!(rc, -libc::ENODATA);
    assert!(message.contains("no appended signature"), "{message}");
}

#[test]
fn malformed_trailers_are_ebadmsg() {
    let module = &livepatch().bytes;
    let mut too_long = signed(module, 10, PKCS7);
    let at = too_long.len() - MARKER.len() - 4;
    too_long[at..at + 4].copy_from_slice(&(module.len() as u32 + 10).to_be_bytes());
    let mut signer = PKCS7;
    signer[3] = 4;
    let mut hash = PKCS7;
    hash[1] = 4;
    let mut short = b"tiny".to_vec();
    short.extend_from_slice(MARKER);
    for bad in [too_long, signed(module, 10, signer), signed(module, 10, hash), short] {
        let (rc, message) = signature_of(&bad).unwrap_err();
        assert_eq!(rc, -libc::EBADMSG, "{message}");
        rejected_as(&bad, 0, -libc::EBADMSG, KlpelfCheck::None, &["signature: malformed trailer"]);
    }
}

#[test]
fn a_signature_that_is_not_pkcs7_loses_only_its_marker() {
    let fixture = livepatch();
    let bytes = signed(&fixture.bytes, 64, [0, 0, 1, 0, 0, 0, 0, 0]);
    let (rc, _) = signature_of(&bytes).unwrap_err();
    assert_eq!(rc, -libc::ENOPKG);
    let info = setup_ok(&Image::new(&bytes), 0);
    assert_eq!(info.len as usize, bytes.len() - MARKER.len());
}
