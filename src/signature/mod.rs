//! The appended module signature: how the kernel finds it (`module_sig_check()`,
//! `mod_verify_sig()`, `mod_check_sig()`) and how much of the file is left for the ELF checks.
//!
//! A signed module, as `scripts/sign-file` writes it, is
//! `ELF part | signature (sig_len bytes, PKCS#7) | struct module_signature (12 bytes) | marker (28)`.
//! Finding it ([`find`], [`module_len`]) is what a kernel that does not enforce signatures does
//! before its ELF checks. [`details`] reads the PKCS#7 message ([`pkcs7`]) as kmod's `modinfo`
//! shows it; with the `verify` feature, [`verify`] checks it against certificates ([`certs`]) as
//! the kernel's `mod_verify_sig()` does.

use core::fmt;

use crate::layout::KlpelfSignature;

pub mod pkcs7;

pub use pkcs7::{HashAlgo, Pkcs7Fault, PkeyAlgo};

/// The marker that ends a signed module (`MODULE_SIG_STRING`).
const MARKER: &[u8] = b"~Module signature appended~\n";

/// Size of `struct module_signature`: `u8 algo, hash, id_type, signer_len, key_id_len; u8 pad[3];
/// __be32 sig_len`.
const HEADER_LEN: usize = 12;

/// `id_type` of a PKCS#7 signature (`PKEY_ID_PKCS7`), the only kind the kernel accepts.
const PKEY_ID_PKCS7: u8 = 2;

/// Why no signature was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// The image carries no appended signature.
    Unsigned,
    /// The trailer is malformed (`-EBADMSG`, as the kernel's `mod_check_sig()`).
    BadSignature(SignatureFault),
    /// The signature is not PKCS#7 (`-ENOPKG`, as the kernel's `mod_check_sig()`).
    UnsupportedSignature {
        /// The trailer's `id_type`.
        id_type: u8,
    },
    /// The PKCS#7 message is malformed, or has no signer (`-EBADMSG`, as the kernel's
    /// `pkcs7_parse_message()`).
    BadPkcs7(Pkcs7Fault),
}

/// Why a module's signature was not accepted, in the kernel's terms (`verify_pkcs7_signature()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// No given key is the signer's (`-ENOKEY`): none has the signer's issuer and serial number,
    /// or subject key identifier.
    NoKey {
        /// How many keys were tried.
        keys: usize,
    },
    /// The signature does not verify, or the message is not a valid module signature
    /// (`-EKEYREJECTED`): why.
    Rejected(&'static str),
    /// An algorithm klpelf (or the kernel) does not implement (`-ENOPKG`): which.
    Unsupported(&'static str),
    /// The certificate set holds no key (`-EINVAL`).
    NoKeys,
}

impl VerifyError {
    /// The negative errno value the kernel returns.
    pub fn errno(&self) -> core::ffi::c_int {
        -match self {
            VerifyError::NoKey { .. } => crate::errno::ENOKEY,
            VerifyError::Rejected(_) => crate::errno::EKEYREJECTED,
            VerifyError::Unsupported(_) => crate::errno::ENOPKG,
            VerifyError::NoKeys => crate::errno::EINVAL,
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            VerifyError::NoKey { keys } => write!(
                f,
                "no key for the signer: none of the {keys} given key(s) has its issuer and serial \
                 number or subject key identifier (-ENOKEY)"
            ),
            VerifyError::Rejected(why) => write!(f, "rejected: {why} (-EKEYREJECTED)"),
            VerifyError::Unsupported(what) => write!(f, "unsupported: {what} (-ENOPKG)"),
            VerifyError::NoKeys => f.write_str("the certificate set holds no key"),
        }
    }
}

/// Why a signature trailer is malformed (the kernel's `-EBADMSG` cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureFault {
    /// Fewer bytes than a `struct module_signature` precede the marker.
    TooShort {
        /// Bytes before the marker.
        before_marker: usize,
    },
    /// `sig_len` leaves no byte for the module itself.
    SigLenTooLarge {
        /// The trailer's `sig_len`.
        sig_len: u32,
        /// Bytes before the `struct module_signature`.
        room: usize,
    },
    /// A PKCS#7 trailer with a non-zero `algo`, `hash`, `signer_len`, `key_id_len` or padding byte.
    NonZeroParams {
        /// The 8 bytes before `sig_len`.
        params: [u8; 8],
    },
}

impl fmt::Display for SignatureFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SignatureFault::TooShort { before_marker } => write!(
                f,
                "only {before_marker} bytes precede the marker, no room for the \
                 {HEADER_LEN}-byte struct module_signature"
            ),
            SignatureFault::SigLenTooLarge { sig_len, room } => write!(
                f,
                "sig_len {sig_len} leaves nothing of the module: only {room} bytes precede \
                 struct module_signature"
            ),
            SignatureFault::NonZeroParams { params } => write!(
                f,
                "a PKCS#7 signature must have zero algo, hash, signer_len, key_id_len and padding \
                 (found {params:?})"
            ),
        }
    }
}

/// The bytes before the marker, if `image` ends with one. Like the kernel, a file that is nothing
/// but the marker is not signed.
fn before_marker(image: &[u8]) -> Option<&[u8]> {
    if image.len() > MARKER.len() && image.ends_with(MARKER) {
        image.get(..image.len() - MARKER.len())
    } else {
        None
    }
}

/// The kernel's `mod_verify_sig()` up to the cryptography (with `mod_check_sig()`, in its order):
/// the signature `image` carries, or why it has none or a bad one.
///
/// Errors: [`SignatureError::Unsigned`] without a marker; [`SignatureError::BadSignature`] for a malformed trailer
/// (`-EBADMSG`); [`SignatureError::UnsupportedSignature`] when the signature is not PKCS#7 (`-ENOPKG`).
pub fn find(image: &[u8]) -> Result<KlpelfSignature, SignatureError> {
    let signed = before_marker(image).ok_or(SignatureError::Unsigned)?;
    let header_at = signed.len().checked_sub(HEADER_LEN).filter(|&at| at > 0).ok_or(
        SignatureError::BadSignature(SignatureFault::TooShort { before_marker: signed.len() }),
    )?;
    let header: [u8; HEADER_LEN] =
        signed.get(header_at..).and_then(|bytes| bytes.try_into().ok()).ok_or(
            SignatureError::BadSignature(SignatureFault::TooShort { before_marker: signed.len() }),
        )?;
    let [algo, hash, id_type, signer_len, key_id_len, pad0, pad1, pad2, s0, s1, s2, s3] = header;
    let sig_len = u32::from_be_bytes([s0, s1, s2, s3]);
    // mod_check_sig: `sig_len >= file_len - sizeof(ms)` leaves no module bytes.
    let sig_offset = usize::try_from(sig_len)
        .ok()
        .and_then(|len| header_at.checked_sub(len))
        .filter(|&offset| offset > 0)
        .ok_or(SignatureError::BadSignature(SignatureFault::SigLenTooLarge {
            sig_len,
            room: header_at,
        }))?;
    if id_type != PKEY_ID_PKCS7 {
        return Err(SignatureError::UnsupportedSignature { id_type });
    }
    let params = [algo, hash, id_type, signer_len, key_id_len, pad0, pad1, pad2];
    if [algo, hash, signer_len, key_id_len, pad0, pad1, pad2] != [0; 7] {
        return Err(SignatureError::BadSignature(SignatureFault::NonZeroParams { params }));
    }
    Ok(KlpelfSignature { sig_offset, sig_len, algo, hash, id_type, signer_len, key_id_len })
}

/// What kmod's `modinfo` shows of a module's signature: its first signer, every slice borrowed
/// from the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Details<'a> {
    /// The issuer's CommonName (empty when the signer is named by key identifier, or its issuer
    /// has no CommonName).
    pub signer: &'a [u8],
    /// The issuer's serial number (without leading zero bytes), or the subject key identifier.
    pub key_id: &'a [u8],
    /// The digest algorithm, `None` when unknown.
    pub hash: Option<HashAlgo>,
    /// The public-key algorithm, `None` when unknown.
    pub pkey: Option<PkeyAlgo>,
    /// The signature bytes (the `encryptedDigest` OCTET STRING's contents).
    pub signature: &'a [u8],
}

/// The PKCS#7 message appended to `image`: the `sig_len` bytes before the trailer.
///
/// Errors: as [`find`].
pub fn pkcs7_bytes(image: &[u8]) -> Result<(KlpelfSignature, &[u8]), SignatureError> {
    let found = find(image)?;
    let end = found.sig_offset + found.sig_len as usize;
    let bytes = image.get(found.sig_offset..end).ok_or(SignatureError::BadSignature(
        SignatureFault::SigLenTooLarge { sig_len: found.sig_len, room: found.sig_offset },
    ))?;
    Ok((found, bytes))
}

/// The signature of `image` as kmod's `modinfo` shows it (its first signer).
///
/// Errors: as [`find`], and [`SignatureError::BadPkcs7`] when the PKCS#7 message is malformed or
/// has no signer.
pub fn details(image: &[u8]) -> Result<Details<'_>, SignatureError> {
    let (_, bytes) = pkcs7_bytes(image)?;
    let message = pkcs7::Message::parse(bytes).map_err(SignatureError::BadPkcs7)?;
    let signer = message
        .signers()
        .next()
        .ok_or(SignatureError::BadPkcs7(Pkcs7Fault("the message has no SignerInfo")))?;
    Ok(Details {
        signer: signer.issuer_common_name().unwrap_or_default(),
        key_id: signer.key_id(),
        hash: signer.hash,
        pkey: signer.pkey,
        signature: signer.signature,
    })
}

/// Length of the part of `image` that the ELF checks see, as the kernel's `module_sig_check()` leaves
/// `info->len` when signatures are not enforced: the whole image when unsigned, the bytes before
/// the signature when it is PKCS#7, the bytes before the marker when the signature is of another
/// kind (the kernel strips only the marker before `mod_check_sig()` refuses it with `-ENOPKG`).
/// A malformed trailer is an error (`-EBADMSG`), as in the kernel.
pub fn module_len(image: &[u8]) -> Result<usize, SignatureError> {
    match find(image) {
        Ok(signature) => Ok(signature.sig_offset),
        Err(SignatureError::Unsigned) => Ok(image.len()),
        Err(SignatureError::UnsupportedSignature { .. }) => {
            Ok(image.len().saturating_sub(MARKER.len()))
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `body`, then a trailer the way `scripts/sign-file` lays it out.
    fn signed(body: &[u8], sig: &[u8], params: [u8; 8]) -> Vec<u8> {
        let mut image = body.to_vec();
        image.extend_from_slice(sig);
        image.extend_from_slice(&params);
        image.extend_from_slice(&(sig.len() as u32).to_be_bytes());
        image.extend_from_slice(MARKER);
        image
    }

    const PKCS7: [u8; 8] = [0, 0, PKEY_ID_PKCS7, 0, 0, 0, 0, 0];

    #[test]
    fn pkcs7_signature_is_found_and_stripped() {
        let image = signed(b"ELF part", &[0xab; 300], PKCS7);
        let signature = find(&image).unwrap();
        assert_eq!(signature.sig_offset, 8);
        assert_eq!(signature.sig_len, 300);
        assert_eq!(signature.id_type, PKEY_ID_PKCS7);
        assert_eq!(module_len(&image), Ok(8));
    }

    #[test]
    fn unsigned_images_are_kept_whole() {
        assert_eq!(find(b"plain module"), Err(SignatureError::Unsigned));
        assert_eq!(module_len(b"plain module"), Ok(12));
        // Only the marker: the kernel requires `len > markerlen`.
        assert_eq!(find(MARKER), Err(SignatureError::Unsigned));
        assert_eq!(module_len(b""), Ok(0));
    }

    #[test]
    fn malformed_trailers_are_bad_messages() {
        let mut short = b"0123456789".to_vec();
        short.extend_from_slice(MARKER);
        assert_eq!(
            find(&short),
            Err(SignatureError::BadSignature(SignatureFault::TooShort { before_marker: 10 }))
        );
        // Exactly a header before the marker: nothing is left for the module (`modlen <= 12`).
        let mut header_only = vec![0; 12];
        header_only.extend_from_slice(MARKER);
        assert!(matches!(
            find(&header_only),
            Err(SignatureError::BadSignature(SignatureFault::TooShort { .. }))
        ));
        // The signature would swallow the whole module.
        let whole = signed(b"", &[1; 20], PKCS7);
        assert_eq!(
            find(&whole),
            Err(SignatureError::BadSignature(SignatureFault::SigLenTooLarge {
                sig_len: 20,
                room: 20
            }))
        );
        let mut huge = signed(b"abc", &[1; 4], PKCS7);
        let at = huge.len() - MARKER.len() - 4;
        huge[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            find(&huge),
            Err(SignatureError::BadSignature(SignatureFault::SigLenTooLarge { .. }))
        ));
        let mut params = PKCS7;
        params[3] = 5; // signer_len
        assert!(matches!(
            find(&signed(b"abc", &[1; 4], params)),
            Err(SignatureError::BadSignature(SignatureFault::NonZeroParams { .. }))
        ));
        params = PKCS7;
        params[7] = 1; // pad[2]
        assert!(module_len(&signed(b"abc", &[1; 4], params)).is_err());
    }

    #[test]
    fn other_signature_kinds_are_unsupported_and_only_the_marker_is_stripped() {
        let image = signed(b"abc", &[1; 4], [0, 0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(find(&image), Err(SignatureError::UnsupportedSignature { id_type: 1 }));
        assert_eq!(module_len(&image), Ok(image.len() - MARKER.len()));
        // The length check comes first, as in mod_check_sig.
        let bad = signed(b"", &[1; 4], [0, 0, 1, 0, 0, 0, 0, 0]);
        assert!(matches!(find(&bad), Err(SignatureError::BadSignature(_))));
    }
}
