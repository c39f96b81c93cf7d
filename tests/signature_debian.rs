//! A real distribution: Debian sid's 7.2 cloud kernel. The certificate built into its `vmlinuz`
//! (a bzImage, found by klpelf without symbols) verifies every module of the matching
//! `linux-modules` package (`.ko.xz`, signed by the build with an ECDSA P-384 key), as the booted
//! kernel would; OpenSSL verifies a sample of them with the same extracted certificate, and a
//! changed byte is refused by both.
//!
//! The packages are downloaded by `tests/packages/fetch.py` into a cache (`KLPELF_PACKAGE_CACHE`,
//! else `target/tmp/packages`); without the network the test prints "skipped: <why>". Because a
//! Rust test cannot report itself skipped, it is ignored by a plain `cargo test` and run by the
//! ctest test `signature_debian` (`cargo test --test signature_debian -- --ignored`), which
//! ctest reports as skipped on that line.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use klpelf::signature::certs::CertSet;
use klpelf::signature::verify::verify;
use klpelf::signature::{self, VerifyError};
use klpelf_bench_support::files_under;
use support::signing;

/// The unpacked Debian sid package whose whole name matches `regex`, or why not.
fn fetch(regex: &str) -> Result<PathBuf, String> {
    let cache = std::env::var_os("KLPELF_PACKAGE_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("packages"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/packages/fetch.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("--cache")
        .arg(&cache)
        .args(["--suite", "sid", regex])
        .output()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        if let Some(root) = line.strip_prefix("root: ") {
            return Ok(PathBuf::from(root));
        }
        if let Some(why) = line.strip_prefix("skipped: ") {
            return Err(why.to_string());
        }
    }
    Err(format!("fetch.py said nothing useful: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

fn open(path: &Path) -> klpelf::image::Image {
    klpelf::image::open(path.to_str().unwrap().as_bytes())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
#[ignore = "downloads Debian's 7.2 cloud kernel: run by the ctest test signature_debian"]
fn the_kernels_certificate_verifies_its_modules() {
    let roots = ["binary", "modules"]
        .map(|kind| fetch(&format!(r"^linux-{kind}-7\.2\.[0-9]+\+deb[0-9]+-cloud-amd64$")));
    let [binary, modules] = match roots {
        [Ok(binary), Ok(modules)] => [binary, modules],
        [Err(why), _] | [_, Err(why)] => {
            println!("skipped: Debian sid's 7.2 cloud kernel could not be fetched: {why}");
            return;
        }
    };
    let images = files_under(&binary, "/vmlinuz");
    let vmlinuz = images.first().expect("linux-binary ships a vmlinuz");
    let mut certs = CertSet::default();
    let found = certs.add_kernel_image(open(vmlinuz).bytes()).expect("certificates in vmlinuz");
    assert!(found >= 1, "{found}");
    let cert_pem = signing::work_dir().join("debian-kernel.pem");
    let der = signing::work_dir().join("debian-kernel.der");
    std::fs::write(&der, &certs.certs[0].der).unwrap();
    signing::run(
        Command::new("openssl")
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&der)
            .arg("-out")
            .arg(&cert_pem),
    );

    let kos = files_under(&modules, ".ko.xz");
    assert!(kos.len() > 500, "only {} modules", kos.len());
    let mut sampled = 0;
    for (n, path) in kos.iter().enumerate() {
        let image = open(path);
        let bytes = image.bytes();
        verify(bytes, &certs).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let details = signature::details(bytes).unwrap();
        assert_eq!(details.pkey, Some(signature::PkeyAlgo::Ecdsa), "{}", path.display());
        if n % 50 == 0 {
            let (elf, pkcs7) = signing::split(bytes);
            assert!(signing::openssl_verifies(pkcs7, elf, &cert_pem), "{}", path.display());
            let mut changed = bytes.to_vec();
            changed[elf.len() / 3] ^= 0x04;
            assert_eq!(
                verify(&changed, &certs),
                Err(klpelf::error::Error::Verify(VerifyError::Rejected(
                    "the signature does not verify with the signer's key"
                )))
            );
            let (elf, pkcs7) = signing::split(&changed);
            assert!(!signing::openssl_verifies(pkcs7, elf, &cert_pem));
            sampled += 1;
        }
    }
    println!("{} modules verified, {sampled} cross-checked with OpenSSL", kos.len());
}
