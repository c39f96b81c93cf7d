//! A module's signature checked as the kernel's `mod_verify_sig()` checks it, with the given
//! certificates as the trusted keyring: `verify_pkcs7_signature()` → `pkcs7_parse_message()`,
//! `pkcs7_verify()` (usage `VERIFYING_MODULE_SIGNATURE`) and `pkcs7_validate_trust()`, in their
//! order and with their error numbers.
//!
//! - parsing: a malformed message is `-EBADMSG`; a digest or signature algorithm the kernel does
//!   not know is `-ENOPKG`; content carried in the message is `-EBADMSG` (a module's is the ELF
//!   part);
//! - `pkcs7_verify()`: content that is not `id-data`, or a signer with authenticated attributes, is
//!   `-EKEYREJECTED`; each signer's digest of the ELF part is made (a digest klpelf cannot make:
//!   that signer is unsupported; when none is left, `-ENOPKG`);
//! - `pkcs7_validate_trust()`: each supported signer's key is looked up among the certificates by
//!   the kernel's key id (issuer and serial number, or subject key identifier, compared with both
//!   ids of each certificate); a signer without a key is skipped; a key of another algorithm, or a
//!   signature that does not verify, is `-EKEYREJECTED` at once. One verified signer makes the
//!   module valid; else `-ENOPKG` if a signer was unsupported, `-ENOKEY` if not.
//!
//! Digests are RustCrypto's `sha2` (SHA-224/256/384/512); signatures its `rsa` (PKCS#1 v1.5, the
//! DigestInfo of the digest) and `p256`/`p384` (ECDSA, DER `r, s`). The kernel also knows SHA-1,
//! SHA-3, SM3 and Streebog digests, which klpelf reports as `-ENOPKG` (no distribution signs
//! modules with them).

use sha2::Digest as _;

use super::certs::{CertSet, PublicKey};
use super::pkcs7::{Message, Signer, SignerId};
use super::{pkcs7_bytes, HashAlgo, Pkcs7Fault, SignatureError, VerifyError};
use crate::error::Error;

/// A digest, up to SHA-512's 64 bytes.
struct Digest {
    bytes: [u8; 64],
    len: usize,
}

impl Digest {
    fn new(bytes: &[u8]) -> Digest {
        let mut digest = Digest { bytes: [0; 64], len: bytes.len() };
        digest.bytes[..bytes.len()].copy_from_slice(bytes);
        digest
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// The digest of `data` by `algo`, or `None` for an algorithm klpelf does not implement.
fn digest(algo: HashAlgo, data: &[u8]) -> Option<Digest> {
    Some(match algo {
        HashAlgo::Sha224 => Digest::new(&sha2::Sha224::digest(data)),
        HashAlgo::Sha256 => Digest::new(&sha2::Sha256::digest(data)),
        HashAlgo::Sha384 => Digest::new(&sha2::Sha384::digest(data)),
        HashAlgo::Sha512 => Digest::new(&sha2::Sha512::digest(data)),
        _ => return None,
    })
}

/// Checks `image`'s appended signature against `certs`, as the kernel's `mod_verify_sig()` does.
///
/// Errors: [`Error::Unsigned`], [`Error::BadSignature`] and [`Error::UnsupportedSignature`] for the
/// trailer (as [`super::find`]); [`Error::BadPkcs7`] for a malformed message; [`Error::Verify`]
/// with the kernel's verdict otherwise.
pub fn verify(image: &[u8], certs: &CertSet) -> Result<(), Error> {
    let (found, pkcs7) = pkcs7_bytes(image)?;
    let content = image.get(..found.sig_offset).unwrap_or_default();
    let message = Message::parse(pkcs7).map_err(SignatureError::BadPkcs7)?;
    // pkcs7_parse_message(): the algorithms are looked up as each signer is parsed.
    for signer in message.signers() {
        if signer.hash.is_none() {
            return Err(unsupported("a digest algorithm the kernel does not know"));
        }
        if signer.pkey.is_none() {
            return Err(unsupported("a signature algorithm the kernel does not accept"));
        }
    }
    if message.embedded_content {
        return Err(SignatureError::BadPkcs7(Pkcs7Fault(
            "the message carries content; a module signature's content is the module",
        ))
        .into());
    }
    // pkcs7_verify(), VERIFYING_MODULE_SIGNATURE.
    if !message.data_content {
        return Err(rejected("the content type is not id-data"));
    }
    if message.signers().any(|s| s.has_authenticated_attributes) {
        return Err(rejected("a module signature must not have authenticated attributes"));
    }
    let digests: Vec<(Signer<'_>, Option<Digest>)> = message
        .signers()
        .map(|signer| (signer, signer.hash.and_then(|algo| digest(algo, content))))
        .collect();
    if digests.iter().all(|(_, digest)| digest.is_none()) {
        return Err(unsupported(if digests.is_empty() {
            "the message has no signer"
        } else {
            "a digest algorithm klpelf does not implement (only SHA-224, -256, -384 and -512)"
        }));
    }
    // pkcs7_validate_trust().
    let mut verdict = Err(VerifyError::NoKey { keys: certs.certs.len() });
    for (signer, digest) in &digests {
        let Some(digest) = digest else {
            if matches!(verdict, Err(VerifyError::NoKey { .. })) {
                verdict = Err(VerifyError::Unsupported(
                    "a digest algorithm klpelf does not implement (only SHA-224, -256, -384 and \
                     -512)",
                ));
            }
            continue;
        };
        let Some(cert) =
            certs.certs.iter().find(|cert| matches_key(signer, &cert.id, cert.skid.as_deref()))
        else {
            continue;
        };
        check(signer, &cert.key, digest.as_bytes()).map_err(Error::Verify)?;
        verdict = Ok(());
    }
    verdict.map_err(Error::Verify)
}

fn unsupported(what: &'static str) -> Error {
    Error::Verify(VerifyError::Unsupported(what))
}

fn rejected(why: &'static str) -> Error {
    Error::Verify(VerifyError::Rejected(why))
}

/// Whether the signer's key id is one of a certificate's two (`asymmetric_key_id_same()` against
/// the certificate's issuer-and-serial id and its subject key identifier).
fn matches_key(signer: &Signer<'_>, id: &[u8], skid: Option<&[u8]>) -> bool {
    let is = |candidate: &[u8]| match signer.id {
        // The kernel's id of a certificate is its serial number's contents, then its issuer's.
        SignerId::IssuerSerial { issuer, serial } => {
            candidate.len() == serial.len() + issuer.len()
                && candidate.starts_with(serial)
                && candidate.ends_with(issuer)
        }
        SignerId::SubjectKeyId(wanted) => candidate == wanted,
    };
    is(id) || skid.is_some_and(is)
}

/// `public_key_verify_signature()`: the key's algorithm must be the signature's, and the signature
/// must verify over the digest.
fn check(signer: &Signer<'_>, key: &PublicKey, digest: &[u8]) -> Result<(), VerifyError> {
    if signer.pkey != Some(key.algo()) {
        return Err(VerifyError::Rejected(
            "the key's algorithm is not the signature's (RSA against ECDSA)",
        ));
    }
    let bad = VerifyError::Rejected("the signature does not verify with the signer's key");
    match key {
        PublicKey::Rsa(key) => {
            let scheme = match signer.hash {
                Some(HashAlgo::Sha224) => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
                Some(HashAlgo::Sha256) => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                Some(HashAlgo::Sha384) => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                Some(HashAlgo::Sha512) => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                _ => return Err(bad),
            };
            key.verify(scheme, digest, signer.signature).map_err(|_| bad)
        }
        PublicKey::P256(key) => {
            use ecdsa::signature::hazmat::PrehashVerifier;
            let signature = p256::ecdsa::Signature::from_der(signer.signature).map_err(|_| bad)?;
            key.verify_prehash(digest, &signature).map_err(|_| bad)
        }
        PublicKey::P384(key) => {
            use ecdsa::signature::hazmat::PrehashVerifier;
            let signature = p384::ecdsa::Signature::from_der(signer.signature).map_err(|_| bad)?;
            key.verify_prehash(digest, &signature).map_err(|_| bad)
        }
    }
}
