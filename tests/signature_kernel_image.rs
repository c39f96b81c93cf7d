//! Certificates from a kernel image: a `vmlinux` made at test time by `as` and `ld` the way
//! `certs/system_certificates.S` lays out the built-in list (`system_certificate_list`, the DER
//! certificates one after another, zero padding for extra certificates, and
//! `system_certificate_list_size`), with another certificate elsewhere in `.rodata`:
//! - with symbols, klpelf takes exactly the list (not the other certificate);
//! - stripped, it scans and finds every certificate, the other one too (as documented);
//! - compressed with xz, zstd or gzip, the same as uncompressed;
//! - a module signed with a listed key verifies against the image; one signed with the other key
//!   does not (`-ENOKEY`) when symbols say what the list is.
//!
//! (A real bzImage, Debian's `vmlinuz`, is `tests/signature_debian.rs`.)

mod support;

use std::path::Path;
use std::process::Command;

use klpelf::error::Error;
use klpelf::signature::certs::{CertError, CertSet};
use klpelf::signature::verify::verify;
use klpelf::signature::VerifyError;
use support::objects::livepatch;
use support::signing::{self, KeyKind};

/// The `vmlinux` made from `listed` (the built-in list) and `other` (elsewhere in `.rodata`).
fn vmlinux(dir: &Path, listed: &[&[u8]], other: &[u8]) -> Vec<u8> {
    let list: Vec<u8> = listed.concat();
    std::fs::write(dir.join("certs.bin"), &list).unwrap();
    std::fs::write(dir.join("other.der"), other).unwrap();
    let source = format!(
        "\t.section .init.rodata,\"a\"\n\
         \t.globl system_certificate_list\n\
         system_certificate_list:\n\
         __cert_list_start:\n\
         \t.incbin \"{dir}/certs.bin\"\n\
         __cert_list_end:\n\
         \t.fill 512, 1, 0\n\
         \t.align 8\n\
         \t.globl system_certificate_list_size\n\
         system_certificate_list_size:\n\
         \t.quad __cert_list_end - __cert_list_start\n\
         \t.section .rodata,\"a\"\n\
         other_certificate:\n\
         \t.incbin \"{dir}/other.der\"\n\
         \t.text\n\
         \t.globl _start\n\
         _start:\n\
         \tret\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("certs.S"), source).unwrap();
    signing::run(Command::new("as").arg("-o").arg(dir.join("certs.o")).arg(dir.join("certs.S")));
    signing::run(
        Command::new("ld")
            .args(["-static", "-o"])
            .arg(dir.join("vmlinux"))
            .arg(dir.join("certs.o")),
    );
    std::fs::read(dir.join("vmlinux")).unwrap()
}

fn ids(set: &CertSet) -> Vec<Vec<u8>> {
    set.certs.iter().map(|c| c.der.clone()).collect()
}

#[test]
fn the_built_in_list_is_read_by_symbol_and_found_by_scanning() {
    let dir = signing::work_dir().join("kernel-image");
    std::fs::create_dir_all(&dir).unwrap();
    let rsa = signing::key(KeyKind::Rsa2048, "kernel");
    let p384 = signing::key(KeyKind::P384, "kernel");
    let other = signing::key(KeyKind::P256, "kernel");
    let image = vmlinux(&dir, &[&rsa.cert_der, &p384.cert_der], &other.cert_der);

    let mut listed = CertSet::default();
    assert_eq!(listed.add_kernel_image(&image), Ok(2));
    assert_eq!(ids(&listed), vec![rsa.cert_der.clone(), p384.cert_der.clone()]);

    signing::run(
        Command::new("strip").arg("-o").arg(dir.join("vmlinux.stripped")).arg(dir.join("vmlinux")),
    );
    let stripped = std::fs::read(dir.join("vmlinux.stripped")).unwrap();
    let mut scanned = CertSet::default();
    assert_eq!(scanned.add_kernel_image(&stripped), Ok(3));
    let mut found = ids(&scanned);
    found.sort();
    let mut expected = vec![rsa.cert_der.clone(), p384.cert_der.clone(), other.cert_der.clone()];
    expected.sort();
    assert_eq!(found, expected);

    for (tool, args) in
        [("xz", &["-k", "-f"][..]), ("zstd", &["-q", "-k", "-f"]), ("gzip", &["-k", "-f", "-n"])]
    {
        signing::run(Command::new(tool).args(args).arg(dir.join("vmlinux")));
        let ext = match tool {
            "xz" => "xz",
            "zstd" => "zst",
            _ => "gz",
        };
        let compressed = std::fs::read(dir.join(format!("vmlinux.{ext}"))).unwrap();
        let mut set = CertSet::default();
        assert_eq!(set.add_kernel_image(&compressed), Ok(2), "{tool}");
        assert_eq!(ids(&set), ids(&listed), "{tool}");
    }

    let Some(sign_file) = signing::sign_file() else { return };
    let module = &livepatch().bytes;
    let by_listed = signing::sign(&sign_file, module, &p384, "sha384", true);
    assert_eq!(verify(&by_listed, &listed), Ok(()));
    let by_other = signing::sign(&sign_file, module, &other, "sha256", false);
    assert_eq!(verify(&by_other, &listed), Err(Error::Verify(VerifyError::NoKey { keys: 2 })));
    assert_eq!(verify(&by_other, &scanned), Ok(()));
}

#[test]
fn images_without_certificates_or_of_another_kind_are_refused() {
    let mut set = CertSet::default();
    let module = &livepatch().bytes;
    // An ELF without certificates: none found.
    assert_eq!(set.add_kernel_image(module), Err(Error::Certificates(CertError::NoCertificates)));
    // Neither ELF, bzImage nor a compressed stream.
    assert!(matches!(
        set.add_kernel_image(b"certainly not a kernel"),
        Err(Error::Certificates(CertError::Malformed(_)))
    ));
    assert!(set.certs.is_empty());
}
