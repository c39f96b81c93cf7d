//! The appended PKCS#7 message, read as the kernel's `pkcs7_parse_message()` reads a module
//! signature (`crypto/asymmetric_keys/pkcs7.asn1`): a `ContentInfo` holding a `SignedData` whose
//! content is detached, with the signer identified by issuer and serial number (CMS version 1) or
//! by subject key identifier (version 3).
//!
//! Every field is borrowed from the caller's bytes: nothing is copied or allocated, so the
//! freestanding build parses signatures too. DER is read with RustCrypto's `der` crate (maintained,
//! pure Rust, no_std, MIT/Apache-2.0), whose reader checks every length against its input; only
//! the structure walk, which is the kernel's grammar, is klpelf's own. `sign-file` writes DER; the
//! kernel's decoder also accepts BER's indefinite lengths, which klpelf refuses as malformed.

use der::asn1::AnyRef;
use der::oid::ObjectIdentifier;
use der::{Decode, Reader, SliceReader, Tag, Tagged};

/// Why a PKCS#7 message is malformed: which part of the grammar it breaks (`-EBADMSG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pkcs7Fault(pub &'static str);

/// A digest algorithm a signer may name, with the names kmod's `modinfo` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlgo {
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Sm3,
}

/// The digest algorithms by OID, as the kernel's `pkcs7_sig_note_digest_algo()` knows them.
const HASHES: [(ObjectIdentifier, HashAlgo); 11] = [
    (ObjectIdentifier::new_unwrap("1.2.840.113549.2.4"), HashAlgo::Md4),
    (ObjectIdentifier::new_unwrap("1.2.840.113549.2.5"), HashAlgo::Md5),
    (ObjectIdentifier::new_unwrap("1.3.14.3.2.26"), HashAlgo::Sha1),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.4"), HashAlgo::Sha224),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1"), HashAlgo::Sha256),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2"), HashAlgo::Sha384),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3"), HashAlgo::Sha512),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.8"), HashAlgo::Sha3_256),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.9"), HashAlgo::Sha3_384),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.10"), HashAlgo::Sha3_512),
    (ObjectIdentifier::new_unwrap("1.2.156.10197.1.401"), HashAlgo::Sm3),
];

impl HashAlgo {
    /// The name kmod's `modinfo` prints as `sig_hashalgo` (OpenSSL's long name of the OID), which
    /// is also the kernel's crypto API name.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md4 => "md4",
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Sha224 => "sha224",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha384 => "sha384",
            HashAlgo::Sha512 => "sha512",
            HashAlgo::Sha3_256 => "sha3-256",
            HashAlgo::Sha3_384 => "sha3-384",
            HashAlgo::Sha3_512 => "sha3-512",
            HashAlgo::Sm3 => "sm3",
        }
    }
}

/// The public-key algorithm of a signature, as the kernel's `pkcs7_sig_note_pkey_algo()` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PkeyAlgo {
    /// `rsaEncryption`: RSA with PKCS#1 v1.5 padding (the kernel's "rsa", encoding "pkcs1").
    Rsa,
    /// `ecdsa-with-*`: ECDSA, the signature a DER `SEQUENCE { r, s }` (the kernel's "ecdsa",
    /// encoding "x962"); the curve is the key's.
    Ecdsa,
}

impl PkeyAlgo {
    /// The kernel's name of the algorithm.
    pub fn name(self) -> &'static str {
        match self {
            PkeyAlgo::Rsa => "rsa",
            PkeyAlgo::Ecdsa => "ecdsa",
        }
    }
}

/// The signature algorithms by OID that the kernel accepts in a PKCS#7 signer.
const PKEYS: [(ObjectIdentifier, PkeyAlgo); 9] = [
    (ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"), PkeyAlgo::Rsa),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.4.1"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.1"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.10"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.11"), PkeyAlgo::Ecdsa),
    (ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.12"), PkeyAlgo::Ecdsa),
];

/// `id-signedData`, the only content type the kernel accepts.
const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-data`, the content type of a module signature.
const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-at-commonName`.
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

/// Context-specific tags of the grammar, as their identifier octets.
const CONS_0: u8 = 0xa0;
const CONS_1: u8 = 0xa1;
const CONS_2: u8 = 0xa2;
const CONS_3: u8 = 0xa3;
const PRIM_0: u8 = 0x80;

/// How a signer names the certificate of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerId<'a> {
    /// CMS version 1: the certificate's issuer (the contents of its `Name`) and serial number
    /// (the contents of its `INTEGER`), as the kernel compares them.
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// CMS version 3: the certificate's subjectKeyIdentifier.
    SubjectKeyId(&'a [u8]),
}

/// One `SignerInfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signer<'a> {
    /// Which certificate's key made the signature.
    pub id: SignerId<'a>,
    /// The digest algorithm, `None` when the kernel does not know its OID.
    pub hash: Option<HashAlgo>,
    /// The public-key algorithm, `None` when the kernel does not accept its OID.
    pub pkey: Option<PkeyAlgo>,
    /// Whether the signer has authenticated attributes (a module signature must not).
    pub has_authenticated_attributes: bool,
    /// The signature: the contents of the `encryptedDigest` OCTET STRING.
    pub signature: &'a [u8],
}

impl<'a> Signer<'a> {
    /// The issuer's first CommonName, as kmod's `modinfo` shows the signer: the attribute value's
    /// contents up to a NUL (kmod reads it as a C string); `None` for a signer named by key
    /// identifier or an issuer without a CommonName.
    pub fn issuer_common_name(&self) -> Option<&'a [u8]> {
        let SignerId::IssuerSerial { issuer, .. } = self.id else {
            return None;
        };
        let mut rdns = reader(issuer).ok()?;
        while !rdns.is_finished() {
            let rdn = next(&mut rdns, "a relative distinguished name").ok()?;
            let mut attributes = reader(rdn.value()).ok()?;
            while !attributes.is_finished() {
                let attribute = next(&mut attributes, "a name attribute").ok()?;
                let mut fields = reader(attribute.value()).ok()?;
                let oid = expect(&mut fields, Tag::ObjectIdentifier, "an attribute type").ok()?;
                if oid == COMMON_NAME.as_bytes() {
                    let value = next(&mut fields, "an attribute value").ok()?.value();
                    let len = value.iter().position(|&b| b == 0).unwrap_or(value.len());
                    return value.get(..len);
                }
            }
        }
        None
    }

    /// The key identifier kmod's `modinfo` shows as `sig_key`: the serial number as an unsigned
    /// big-endian number without leading zero bytes (OpenSSL's `BN_bn2bin()`), or the subject key
    /// identifier.
    pub fn key_id(&self) -> &'a [u8] {
        match self.id {
            SignerId::IssuerSerial { serial, .. } => {
                let zeros = serial.iter().take_while(|&&b| b == 0).count();
                serial.get(zeros..).unwrap_or_default()
            }
            SignerId::SubjectKeyId(skid) => skid,
        }
    }
}

/// A parsed PKCS#7 `SignedData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    /// Whether the encapsulated content type is `id-data` (a module signature's must be).
    pub data_content: bool,
    /// Whether the message carries its content (a module signature's content is detached).
    pub embedded_content: bool,
    /// The contents of `signerInfos`, each one already checked by [`Message::parse`].
    signer_infos: &'a [u8],
}

impl<'a> Message<'a> {
    /// Parses `der`, the whole PKCS#7 message, and each of its signers.
    pub fn parse(der: &'a [u8]) -> Result<Self, Pkcs7Fault> {
        let mut outer = reader(der)?;
        let content_info = expect(&mut outer, Tag::Sequence, "the ContentInfo SEQUENCE")?;
        finished(&outer, "bytes after the ContentInfo")?;
        let mut content_info = reader(content_info)?;
        let content_type =
            expect(&mut content_info, Tag::ObjectIdentifier, "the ContentInfo's contentType")?;
        if content_type != SIGNED_DATA.as_bytes() {
            return Err(Pkcs7Fault("the content type is not signedData"));
        }
        let explicit =
            expect_octet(&mut content_info, CONS_0, "the [0] content of the ContentInfo")?;
        finished(&content_info, "fields after the ContentInfo's content")?;
        let mut explicit = reader(explicit)?;
        let signed_data = expect(&mut explicit, Tag::Sequence, "the SignedData SEQUENCE")?;
        finished(&explicit, "bytes after the SignedData")?;

        let mut fields = reader(signed_data)?;
        let version = version(&mut fields, "SignedData")?;
        if version != 1 && version != 3 {
            return Err(Pkcs7Fault("unsupported SignedData version (not 1 or 3)"));
        }
        expect(&mut fields, Tag::Set, "the digestAlgorithms SET")?;
        let encapsulated = expect(&mut fields, Tag::Sequence, "the encapContentInfo SEQUENCE")?;
        let mut encapsulated = reader(encapsulated)?;
        let data_type =
            expect(&mut encapsulated, Tag::ObjectIdentifier, "the encapsulated content type")?;
        let embedded_content = !encapsulated.is_finished();
        if embedded_content {
            expect_octet(&mut encapsulated, CONS_0, "the [0] encapsulated content")?;
            finished(&encapsulated, "fields after the encapsulated content")?;
        }
        // certificates [0] or [2], crls [1] or [3]: the kernel reads a certificate list, but a
        // module signature's signer is looked up among the trusted keys, never in the message.
        for tags in [[CONS_0, CONS_2], [CONS_1, CONS_3]] {
            if fields.peek_byte().is_some_and(|tag| tags.contains(&tag)) {
                next(&mut fields, "a certificate or CRL list")?;
            }
        }
        let signer_infos = next(&mut fields, "the signerInfos")?;
        if signer_infos.tag() != Tag::Set && signer_infos.tag() != Tag::Sequence {
            return Err(Pkcs7Fault("signerInfos is not a SET or SEQUENCE"));
        }
        finished(&fields, "fields after the signerInfos")?;
        let message = Message {
            data_content: data_type == DATA.as_bytes(),
            embedded_content,
            signer_infos: signer_infos.value(),
        };
        let mut signers = reader(message.signer_infos)?;
        while !signers.is_finished() {
            signer(&mut signers, version)?;
        }
        Ok(message)
    }

    /// The signers, in the message's order.
    pub fn signers(&self) -> impl Iterator<Item = Signer<'a>> + 'a {
        let mut signers = SliceReader::new(self.signer_infos).ok();
        core::iter::from_fn(move || {
            let signers = signers.as_mut().filter(|r| !r.is_finished())?;
            // `parse` read every signer already; a failure here cannot happen and ends the walk.
            signer(signers, 0).ok()
        })
    }
}

/// Reads one `SignerInfo`. `signed_data_version` 0 skips the check of the versions' agreement
/// (already made by [`Message::parse`]).
fn signer<'a>(
    signers: &mut SliceReader<'a>,
    signed_data_version: u8,
) -> Result<Signer<'a>, Pkcs7Fault> {
    let info = expect(signers, Tag::Sequence, "a SignerInfo SEQUENCE")?;
    let mut fields = reader(info)?;
    let version = version(&mut fields, "SignerInfo")?;
    let sid = next(&mut fields, "the signer identifier")?;
    let id = match (version, sid.tag().octet()) {
        (1, 0x30) => {
            let mut issuer_serial = reader(sid.value())?;
            let issuer = expect(&mut issuer_serial, Tag::Sequence, "the signer's issuer Name")?;
            let serial = expect(&mut issuer_serial, Tag::Integer, "the signer's serial number")?;
            finished(&issuer_serial, "fields after the signer's serial number")?;
            SignerId::IssuerSerial { issuer, serial }
        }
        (3, PRIM_0) => SignerId::SubjectKeyId(sid.value()),
        (1 | 3, _) => {
            return Err(Pkcs7Fault(
                "the signer identifier does not match the SignerInfo version (1: issuer and \
                 serial number, 3: subject key identifier)",
            ))
        }
        _ => return Err(Pkcs7Fault("unsupported SignerInfo version (not 1 or 3)")),
    };
    if signed_data_version != 0 && (version == 1) != (signed_data_version == 1) {
        return Err(Pkcs7Fault("the SignedData and SignerInfo versions do not match"));
    }
    let hash = algorithm(&mut fields, "the signer's digestAlgorithm")?;
    let hash = HASHES.iter().find(|(oid, _)| oid.as_bytes() == hash).map(|&(_, algo)| algo);
    let has_authenticated_attributes =
        fields.peek_byte().is_some_and(|t| [CONS_0, CONS_2].contains(&t));
    if has_authenticated_attributes {
        next(&mut fields, "the authenticated attributes")?;
    }
    let pkey = algorithm(&mut fields, "the signer's signatureAlgorithm")?;
    let pkey = PKEYS.iter().find(|(oid, _)| oid.as_bytes() == pkey).map(|&(_, algo)| algo);
    let signature = expect(&mut fields, Tag::OctetString, "the signature OCTET STRING")?;
    if fields.peek_byte().is_some_and(|tag| [CONS_1, CONS_3].contains(&tag)) {
        next(&mut fields, "the unauthenticated attributes")?;
    }
    finished(&fields, "fields after the SignerInfo's signature")?;
    Ok(Signer { id, hash, pkey, has_authenticated_attributes, signature })
}

/// A reader over `bytes`.
fn reader(bytes: &[u8]) -> Result<SliceReader<'_>, Pkcs7Fault> {
    SliceReader::new(bytes).map_err(|_| Pkcs7Fault("a length beyond what DER can encode"))
}

/// The next element, whatever its tag.
fn next<'a>(r: &mut SliceReader<'a>, what: &'static str) -> Result<AnyRef<'a>, Pkcs7Fault> {
    if r.is_finished() {
        return Err(Pkcs7Fault(what));
    }
    AnyRef::decode(r).map_err(|_| Pkcs7Fault(what))
}

/// The contents of the next element, which must have `tag`.
fn expect<'a>(
    r: &mut SliceReader<'a>,
    tag: Tag,
    what: &'static str,
) -> Result<&'a [u8], Pkcs7Fault> {
    expect_octet(r, tag.octet(), what)
}

/// The contents of the next element, whose identifier octet must be `tag`.
fn expect_octet<'a>(
    r: &mut SliceReader<'a>,
    tag: u8,
    what: &'static str,
) -> Result<&'a [u8], Pkcs7Fault> {
    let element = next(r, what)?;
    if element.tag().octet() != tag {
        return Err(Pkcs7Fault(what));
    }
    Ok(element.value())
}

/// Fails with `what` unless `r` is at its end.
fn finished(r: &SliceReader<'_>, what: &'static str) -> Result<(), Pkcs7Fault> {
    if r.is_finished() {
        Ok(())
    } else {
        Err(Pkcs7Fault(what))
    }
}

/// A one-byte version INTEGER, as the kernel requires (`vlen != 1` is unsupported).
fn version(r: &mut SliceReader<'_>, what: &'static str) -> Result<u8, Pkcs7Fault> {
    match expect(r, Tag::Integer, "a version INTEGER")? {
        &[version] => Ok(version),
        _ => Err(Pkcs7Fault(if what == "SignedData" {
            "unsupported SignedData version (not 1 or 3)"
        } else {
            "unsupported SignerInfo version (not 1 or 3)"
        })),
    }
}

/// The OID contents of an `AlgorithmIdentifier` (its parameters are not read, as in the kernel).
fn algorithm<'a>(r: &mut SliceReader<'a>, what: &'static str) -> Result<&'a [u8], Pkcs7Fault> {
    let mut fields = reader(expect(r, Tag::Sequence, what)?)?;
    expect(&mut fields, Tag::ObjectIdentifier, what)
}
