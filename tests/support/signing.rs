//! Modules signed at test time the way distributions sign them: the kernel's own
//! `scripts/sign-file` (from the installed kernel headers) with keys and self-signed certificates
//! made by `openssl req`, one per kind of key, and what OpenSSL says about the result.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// A kind of signing key, with the digest `sign-file` is asked to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    Rsa2048,
    Rsa4096,
    P256,
    P384,
}

impl KeyKind {
    pub const ALL: [KeyKind; 4] =
        [KeyKind::Rsa2048, KeyKind::Rsa4096, KeyKind::P256, KeyKind::P384];

    /// The `openssl req -newkey` argument and extra options for this kind.
    fn openssl_args(self) -> &'static [&'static str] {
        match self {
            KeyKind::Rsa2048 => &["-newkey", "rsa:2048"],
            KeyKind::Rsa4096 => &["-newkey", "rsa:4096"],
            KeyKind::P256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyKind::P384 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Rsa2048 => "rsa2048",
            KeyKind::Rsa4096 => "rsa4096",
            KeyKind::P256 => "p256",
            KeyKind::P384 => "p384",
        }
    }

    /// The kernel's name of the key's algorithm.
    pub fn pkey_name(self) -> &'static str {
        match self {
            KeyKind::Rsa2048 | KeyKind::Rsa4096 => "rsa",
            KeyKind::P256 | KeyKind::P384 => "ecdsa",
        }
    }
}

/// A key and its self-signed certificate, as files, and the certificate in DER.
#[derive(Debug, Clone)]
pub struct Key {
    pub kind: KeyKind,
    pub key_pem: PathBuf,
    pub cert_pem: PathBuf,
    pub cert_der: Vec<u8>,
    /// The certificate's subject (and issuer) CommonName.
    pub common_name: String,
}

/// The kernel's `scripts/sign-file`, from the installed kernel headers; `None` (and a "skipped:"
/// line) when there is none.
pub fn sign_file() -> Option<PathBuf> {
    let found = std::fs::read_dir("/usr/src").ok().and_then(|dirs| {
        let mut candidates: Vec<PathBuf> = dirs
            .flatten()
            .map(|d| d.path().join("scripts/sign-file"))
            .filter(|p| p.is_file())
            .collect();
        candidates.sort();
        candidates.pop()
    });
    if found.is_none() {
        println!("skipped: no scripts/sign-file under /usr/src (install linux-headers-amd64)");
    }
    found
}

/// A directory of its own for this test process.
pub fn work_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("signing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
    .clone()
}

/// Runs `command`, which must succeed, and returns its standard output.
pub fn run(command: &mut Command) -> Vec<u8> {
    let out = command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(out.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// A fresh key of `kind` named `tag` (made once per test process and tag), with its certificate.
pub fn key(kind: KeyKind, tag: &str) -> Key {
    static KEYS: OnceLock<Mutex<HashMap<(KeyKind, String), Key>>> = OnceLock::new();
    // Held while the key is made, so that two tests asking for one key make it once.
    let mut keys = KEYS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(key) = keys.get(&(kind, tag.to_string())) {
        return key.clone();
    }
    let dir = work_dir();
    let stem = format!("{}-{tag}", kind.name());
    let (key_pem, cert_pem) = (dir.join(format!("{stem}.key")), dir.join(format!("{stem}.pem")));
    let common_name = format!("klpelf test {stem}");
    run(Command::new("openssl")
        .args(["req", "-new", "-x509", "-nodes", "-days", "2", "-subj"])
        .arg(format!("/CN={common_name}/O=klpelf"))
        .args(kind.openssl_args())
        .arg("-keyout")
        .arg(&key_pem)
        .arg("-out")
        .arg(&cert_pem));
    let cert_der =
        run(Command::new("openssl").args(["x509", "-outform", "DER", "-in"]).arg(&cert_pem));
    let key = Key { kind, key_pem, cert_pem, cert_der, common_name };
    keys.insert((kind, tag.to_string()), key.clone());
    key
}

/// `module` signed by `sign-file` with `key` and `hash` ("sha256", ...); `by_key_id` names the
/// signer by subject key identifier (`sign-file -k`) rather than issuer and serial number.
pub fn sign(sign_file: &Path, module: &[u8], key: &Key, hash: &str, by_key_id: bool) -> Vec<u8> {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = work_dir().join(format!("module-{n}.ko"));
    std::fs::write(&path, module).unwrap();
    let mut command = Command::new(sign_file);
    if by_key_id {
        command.arg("-k");
    }
    run(command.arg(hash).arg(&key.key_pem).arg(&key.cert_pem).arg(&path));
    let signed = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    signed
}

/// The PKCS#7 message and the ELF part of a signed module, split by the trailer.
pub fn split(signed: &[u8]) -> (&[u8], &[u8]) {
    let trailer = signed.len() - 28 - 12;
    let sig_len =
        u32::from_be_bytes(signed[trailer + 8..trailer + 12].try_into().unwrap()) as usize;
    (&signed[..trailer - sig_len], &signed[trailer - sig_len..trailer])
}

/// Hexadecimal digits to bytes.
pub fn unhex(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

/// The certificate's serial number as OpenSSL prints it, as bytes without leading zeros.
pub fn openssl_serial(key: &Key) -> Vec<u8> {
    let out =
        run(Command::new("openssl").args(["x509", "-noout", "-serial", "-in"]).arg(&key.cert_pem));
    let text = String::from_utf8(out).unwrap();
    let mut bytes = unhex(text.trim().trim_start_matches("serial="));
    while bytes.first() == Some(&0) {
        bytes.remove(0);
    }
    bytes
}

/// The certificate's subject key identifier as OpenSSL prints it.
pub fn openssl_skid(key: &Key) -> Vec<u8> {
    let out = run(Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectKeyIdentifier", "-in"])
        .arg(&key.cert_pem));
    let text = String::from_utf8(out).unwrap();
    unhex(text.lines().nth(1).expect("a subjectKeyIdentifier line"))
}

/// What `openssl asn1parse` finds as the message's last OCTET STRING: the signature.
pub fn openssl_signature(pkcs7: &[u8]) -> Vec<u8> {
    let path = work_dir().join(format!("asn1-{}.der", pkcs7.len()));
    std::fs::write(&path, pkcs7).unwrap();
    let out = run(Command::new("openssl").args(["asn1parse", "-inform", "DER", "-in"]).arg(&path));
    let text = String::from_utf8(out).unwrap();
    let line = text.lines().rfind(|l| l.contains("OCTET STRING")).expect("an OCTET STRING");
    unhex(line.rsplit_once("[HEX DUMP]:").expect("a hex dump").1)
}

/// OpenSSL's verdict on `pkcs7` over `content` with `cert_pem` as the only signer certificate
/// (`openssl cms -verify -binary -noverify`, no chain check, as the kernel does not check one):
/// true when the signature verifies.
pub fn openssl_verifies(pkcs7: &[u8], content: &[u8], cert_pem: &Path) -> bool {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (sig, data) =
        (work_dir().join(format!("cms-{n}.p7s")), work_dir().join(format!("cms-{n}.bin")));
    std::fs::write(&sig, pkcs7).unwrap();
    std::fs::write(&data, content).unwrap();
    let status = Command::new("openssl")
        .args(["cms", "-verify", "-binary", "-inform", "DER", "-noverify", "-out", "/dev/null"])
        .arg("-in")
        .arg(&sig)
        .arg("-content")
        .arg(&data)
        .arg("-certfile")
        .arg(cert_pem)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    let _ = std::fs::remove_file(&sig);
    let _ = std::fs::remove_file(&data);
    status.success()
}
