//! The `verify` group: one real distribution module's signature verified by klpelf
//! (`klpelf_verify_signature()`: trailer, PKCS#7 parse, SHA digest of the ELF part, key lookup,
//! ECDSA or RSA verification) against libcrypto's `CMS_verify()` in-process on the same bytes,
//! each with the signer's certificate parsed once beforehand.
//!
//! The module is `$KLPELF_BENCH_VERIFY_MODULE` with the certificate in
//! `$KLPELF_BENCH_VERIFY_CERT` (DER or PEM), or else the `.ko.xz` closest to 130 KB (decompressed)
//! of Debian sid's 7.2 cloud kernel that `tests/signature_debian.rs` downloads
//! (`$KLPELF_PACKAGE_CACHE`, or `target/tmp/packages`), verified with the certificate built into
//! that kernel's `vmlinuz`; without them, or without libssl-dev, the group is skipped.
//!
//! Variants / parameter: `klpelf/module`, `libcrypto/module`.

use std::path::{Path, PathBuf};

use klpelf::ffi::{
    klpelf_certs_add, klpelf_certs_add_kernel_image, klpelf_certs_free, klpelf_certs_new,
    klpelf_module_signature, klpelf_verify_signature, KlpelfCerts,
};
use klpelf::layout::KlpelfSignature;
use klpelf_bench_support::{files_under, libcrypto};

use crate::harness::Harness;

/// The module's bytes (decompressed) and the certificates that verify it, as a klpelf set.
fn inputs() -> Option<(Vec<u8>, *mut KlpelfCerts, String)> {
    let mut certs = std::ptr::null_mut();
    // SAFETY: `certs` is writable.
    assert_eq!(unsafe { klpelf_certs_new(&mut certs) }, 0);
    if let (Some(module), Some(cert)) = (
        std::env::var_os("KLPELF_BENCH_VERIFY_MODULE"),
        std::env::var_os("KLPELF_BENCH_VERIFY_CERT"),
    ) {
        let bytes = std::fs::read(&cert).expect("the certificate file");
        // SAFETY: a live set; `bytes` readable.
        assert!(unsafe { klpelf_certs_add(certs, bytes.as_ptr().cast(), bytes.len()) } > 0);
        let image = klpelf::image::open(module.to_str()?.as_bytes()).ok()?;
        return Some((image.bytes().to_vec(), certs, module.to_string_lossy().into_owned()));
    }
    let cache = std::env::var_os("KLPELF_PACKAGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tmp/packages"));
    let kernels = files_under(&cache, "-cloud-amd64/vmlinuz");
    let modules = files_under(&cache, ".ko.xz");
    let kernel = std::fs::read(kernels.first()?).ok()?;
    // SAFETY: a live set; `kernel` readable for its length.
    let found =
        unsafe { klpelf_certs_add_kernel_image(certs, kernel.as_ptr().cast(), kernel.len()) };
    assert!(found > 0);
    let mut best: Option<(u64, Vec<u8>, PathBuf)> = None;
    for path in modules.iter().filter(|p| p.to_string_lossy().contains("7.2.")) {
        let image = klpelf::image::open(path.to_str()?.as_bytes()).ok()?;
        let distance = (image.len() as i64 - 130_000).unsigned_abs();
        if best.as_ref().is_none_or(|(d, _, _)| distance < *d) {
            best = Some((distance, image.bytes().to_vec(), path.clone()));
        }
    }
    let (_, bytes, path) = best?;
    Some((bytes, certs, path.display().to_string()))
}

pub(crate) fn verify_group(harness: &mut Harness) {
    if !libcrypto::AVAILABLE {
        eprintln!("verify: no libcrypto baseline (install libssl-dev): skipped");
        return;
    }
    let Some((module, certs, name)) = inputs() else {
        eprintln!(
            "verify: no module (set KLPELF_BENCH_VERIFY_MODULE and KLPELF_BENCH_VERIFY_CERT, or \
             run the test signature_debian): skipped"
        );
        return;
    };
    let mut sig = KlpelfSignature::default();
    // SAFETY: `module` is readable for its length; `sig` writable.
    let rc = unsafe { klpelf_module_signature(module.as_ptr().cast(), module.len(), &mut sig) };
    assert_eq!(rc, 0);
    let (elf, pkcs7) =
        (&module[..sig.sig_offset], &module[sig.sig_offset..][..sig.sig_len as usize]);
    // The certificate libcrypto gets is the one klpelf found: the set's first, as DER.
    let kernel_cert = klpelf_cert_der(certs);
    assert!(libcrypto::add_cert(&kernel_cert), "libcrypto parses the certificate");
    assert!(libcrypto::verify(elf, pkcs7), "libcrypto verifies {name}");
    // SAFETY: `module` is readable; a live set.
    assert_eq!(unsafe { klpelf_verify_signature(module.as_ptr().cast(), module.len(), certs) }, 0);
    eprintln!("verify: {name} ({} bytes, signature {} bytes)", module.len(), sig.sig_len);
    let record = crate::ingest::object_dir().join("verify-module.txt");
    let _ = std::fs::write(record, format!("{name} {}\n", module.len()));

    let mut group = harness.group("verify");
    group.case("klpelf", "module", || {
        // SAFETY: as above.
        unsafe { klpelf_verify_signature(module.as_ptr().cast(), module.len(), certs) }
    });
    group.case("libcrypto", "module", || libcrypto::verify(elf, pkcs7));
    group.finish();
    // SAFETY: made by klpelf_certs_new() and freed once.
    unsafe { klpelf_certs_free(certs) };
}

/// The DER of the first certificate in a klpelf set (the Rust view of the opaque set).
fn klpelf_cert_der(certs: *mut KlpelfCerts) -> Vec<u8> {
    // SAFETY: klpelf's opaque set is its CertSet (klpelf_certs_new boxes one); read only here,
    // while no call into klpelf uses it.
    let set = unsafe { &*certs.cast::<klpelf::signature::certs::CertSet>() };
    set.certs[0].der.clone()
}
