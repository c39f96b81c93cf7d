//! Certificates whose keys may have signed modules: X.509 certificates from DER or PEM, and the
//! certificates built into a kernel (its `.system_keyring` list).
//!
//! Certificates are parsed by RustCrypto's `x509-cert`, keys by `rsa`, `p256` and `p384`, PEM by
//! `pem-rfc7468` (maintained, pure Rust, no_std-capable, MIT/Apache-2.0). What the kernel matches a
//! signer against is taken raw from the DER, as the kernel's `x509_cert_parse()` takes it: the
//! serial number's and the issuer Name's contents (`asymmetric_key_generate_id(serial, issuer)`)
//! and the subjectKeyIdentifier.
//!
//! From a kernel image: a `vmlinux` ELF with symbols gives the list the kernel loads at boot,
//! `system_certificate_list_size` bytes at `system_certificate_list` (`certs/system_certificates.S`,
//! read as `x509_load_certificate_list()` reads it: DER certificates one after the other). A
//! `vmlinuz`/bzImage holds the stripped `vmlinux`, compressed (gzip, xz or zstd), at the setup
//! header's `payload_offset` (after the real-mode setup sectors), `payload_length` bytes long
//! (xz and zstd payloads end with the 4-byte decompressed size); without symbols, klpelf scans the
//! ELF for DER sequences that parse as X.509 certificates with a key it can use. The scan finds
//! the built-in list and may find other certificates the kernel carries (a revocation list, for
//! one), so a key found that way is trusted as if the kernel trusted it: use a `vmlinux` with
//! symbols when that matters.

use der::asn1::AnyRef;
use der::oid::ObjectIdentifier;
use der::{Decode, Header, Reader, SliceReader, Tag};
use goblin::elf::section_header::{SHT_PROGBITS, SHT_SYMTAB};
use x509_cert::ext::pkix::SubjectKeyIdentifier;
use x509_cert::Certificate;

use super::pkcs7::{expect, next, reader};
use crate::error::Error;
use crate::image::Image;
use crate::inspect_view::ModuleView;
use crate::layout::Elf64_Sym;
use crate::view::{c_string, file_range, slice_at};

/// Why a certificate, PEM file or kernel image gave no key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertError {
    /// Not a DER X.509 certificate, PEM text holding one, or a kernel image klpelf can read
    /// (`-EBADMSG`): what was wrong.
    Malformed(&'static str),
    /// A certificate whose key klpelf cannot verify with: not RSA, NIST P-256 or P-384
    /// (`-ENOPKG`), as the kernel refuses to load a certificate with a key it does not support.
    UnsupportedKey(&'static str),
    /// A kernel image without certificates, or a PEM text without a CERTIFICATE (`-ENOKEY`).
    NoCertificates,
}

/// A certificate's public key, ready to verify with.
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// An RSA key (PKCS#1 v1.5 signatures).
    Rsa(rsa::RsaPublicKey),
    /// An ECDSA key on NIST P-256 (the kernel's "ecdsa-nist-p256").
    P256(p256::ecdsa::VerifyingKey),
    /// An ECDSA key on NIST P-384 (the kernel's "ecdsa-nist-p384").
    P384(p384::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// The kernel's name of the key's algorithm family, as a signature names it.
    pub fn algo(&self) -> super::PkeyAlgo {
        match self {
            PublicKey::Rsa(_) => super::PkeyAlgo::Rsa,
            PublicKey::P256(_) | PublicKey::P384(_) => super::PkeyAlgo::Ecdsa,
        }
    }
}

/// One trusted certificate: its key and what a signer is matched against.
#[derive(Debug, Clone)]
pub struct Cert {
    /// The serial number's contents then the issuer Name's contents: the kernel's key id.
    pub id: Vec<u8>,
    /// The subjectKeyIdentifier, if the certificate has one.
    pub skid: Option<Vec<u8>>,
    /// The subject's CommonName (for messages).
    pub subject: Vec<u8>,
    /// The public key.
    pub key: PublicKey,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");

impl Cert {
    /// Parses one DER certificate, exactly `der` long.
    pub fn from_der(der: &[u8]) -> Result<Cert, CertError> {
        let cert = Certificate::from_der(der)
            .map_err(|_| CertError::Malformed("not a DER X.509 certificate"))?;
        let (serial, issuer) = raw_serial_and_issuer(der)
            .map_err(|_| CertError::Malformed("not a DER X.509 certificate"))?;
        let tbs = &cert.tbs_certificate;
        let skid = tbs
            .get::<SubjectKeyIdentifier>()
            .map_err(|_| CertError::Malformed("a malformed subjectKeyIdentifier"))?
            .map(|(_, skid)| skid.0.as_bytes().to_vec());
        let spki = &tbs.subject_public_key_info;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or(CertError::Malformed("a public key that is not whole bytes"))?;
        let key = if spki.algorithm.oid == RSA_ENCRYPTION {
            use rsa::pkcs1::DecodeRsaPublicKey;
            PublicKey::Rsa(
                rsa::RsaPublicKey::from_pkcs1_der(bits)
                    .map_err(|_| CertError::Malformed("a malformed RSA public key"))?,
            )
        } else if spki.algorithm.oid == EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or(CertError::Malformed("an EC public key without a named curve"))?;
            if curve == P256 {
                PublicKey::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map_err(|_| CertError::Malformed("a malformed P-256 public key"))?,
                )
            } else if curve == P384 {
                PublicKey::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                        .map_err(|_| CertError::Malformed("a malformed P-384 public key"))?,
                )
            } else {
                return Err(CertError::UnsupportedKey(
                    "an EC key on a curve other than P-256, P-384",
                ));
            }
        } else {
            return Err(CertError::UnsupportedKey("a key that is neither RSA nor ECDSA"));
        };
        let subject = tbs
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .find(|attribute| attribute.oid == COMMON_NAME)
            .map(|attribute| attribute.value.value().to_vec())
            .unwrap_or_default();
        let mut id = serial.to_vec();
        id.extend_from_slice(issuer);
        Ok(Cert { id, skid, subject, key, der: der.to_vec() })
    }
}

/// The serial number's and the issuer Name's contents, as they are in the DER.
fn raw_serial_and_issuer(der: &[u8]) -> Result<(&[u8], &[u8]), super::Pkcs7Fault> {
    let mut outer = reader(der)?;
    let mut cert = reader(expect(&mut outer, Tag::Sequence, "a Certificate")?)?;
    let mut tbs = reader(expect(&mut cert, Tag::Sequence, "a TBSCertificate")?)?;
    if tbs.peek_byte() == Some(0xa0) {
        next(&mut tbs, "the version")?;
    }
    let serial = expect(&mut tbs, Tag::Integer, "the serial number")?;
    expect(&mut tbs, Tag::Sequence, "the signature algorithm")?;
    let issuer = expect(&mut tbs, Tag::Sequence, "the issuer")?;
    Ok((serial, issuer))
}

/// A set of trusted certificates: the keys `verify` may accept a module's signature from.
#[derive(Debug, Clone, Default)]
pub struct CertSet {
    /// The certificates, in the order they were added.
    pub certs: Vec<Cert>,
}

impl CertSet {
    /// Adds the certificates in `bytes`: one DER certificate, or PEM text with one or more
    /// `CERTIFICATE` blocks (other blocks, such as a private key, are skipped). Returns how many
    /// were added; on error none is.
    pub fn add(&mut self, bytes: &[u8]) -> Result<usize, CertError> {
        if bytes.first() == Some(&0x30) {
            self.certs.push(Cert::from_der(bytes)?);
            return Ok(1);
        }
        let text = core::str::from_utf8(bytes)
            .map_err(|_| CertError::Malformed("neither a DER certificate nor PEM text"))?;
        let mut found = Vec::new();
        let mut rest = text;
        if !rest.contains("-----BEGIN ") {
            return Err(CertError::Malformed("neither a DER certificate nor PEM text"));
        }
        while let Some(begin) = rest.find("-----BEGIN ") {
            let block = &rest[begin..];
            let end = block
                .find("-----END ")
                .and_then(|at| block[at + 9..].find("-----").map(|e| at + 9 + e + 5))
                .ok_or(CertError::Malformed("a PEM block without its END line"))?;
            let (label, der) = pem_rfc7468::decode_vec(&block.as_bytes()[..end])
                .map_err(|_| CertError::Malformed("a malformed PEM block"))?;
            if label == "CERTIFICATE" {
                found.push(Cert::from_der(&der)?);
            }
            rest = &block[end..];
        }
        if found.is_empty() {
            return Err(CertError::NoCertificates);
        }
        let count = found.len();
        self.certs.extend(found);
        Ok(count)
    }

    /// Adds the certificates built into a kernel image: a `vmlinux` ELF (compressed or not) or a
    /// bzImage (module docs: the method). Certificates with keys klpelf cannot use are skipped, as
    /// the kernel skips those it cannot load. Returns how many were added.
    pub fn add_kernel_image(&mut self, bytes: &[u8]) -> Result<usize, Error> {
        let found = kernel_certificates(bytes)?;
        let mut added = 0;
        for der in found {
            if let Ok(cert) = Cert::from_der(der.as_slice()) {
                if !self.certs.iter().any(|c| c.id == cert.id && c.skid == cert.skid) {
                    self.certs.push(cert);
                }
                added += 1;
            }
        }
        if added == 0 {
            return Err(Error::Certificates(CertError::NoCertificates));
        }
        Ok(added)
    }
}

/// The DER certificates a kernel image carries.
fn kernel_certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let elf = if bytes.starts_with(b"\x7fELF") && bytes.as_ptr() as usize % 8 == 0 {
        None
    } else if let Some(payload) = bzimage_payload(bytes) {
        Some(decompress_payload(payload)?)
    } else {
        // A compressed vmlinux, or one in a buffer not aligned for its tables: a copy of its own.
        Some(Image::from_bytes(bytes)?)
    };
    let elf_bytes = elf.as_ref().map_or(bytes, Image::bytes);
    if !elf_bytes.starts_with(b"\x7fELF") {
        return Err(Error::Certificates(CertError::Malformed(
            "not a kernel image: neither an ELF vmlinux nor a bzImage with a gzip, xz or zstd \
             payload",
        )));
    }
    if let Some(list) = symbol_list(elf_bytes) {
        return Ok(der_sequence(list).map(<[u8]>::to_vec).collect());
    }
    Ok(scan(elf_bytes))
}

/// The compressed payload of a bzImage, if `bytes` is one: `payload_length` bytes at
/// `payload_offset` after the setup sectors (`setup_sects`, 4 when 0, plus the boot sector).
fn bzimage_payload(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.get(0x202..0x206)? != b"HdrS" {
        return None;
    }
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    let setup_sects = match *bytes.get(0x1f1)? {
        0 => 4,
        n => usize::from(n),
    };
    let start = (setup_sects + 1) * 512 + usize::try_from(u32_at(0x248)?).ok()?;
    bytes.get(start..start.checked_add(usize::try_from(u32_at(0x24c)?).ok()?)?)
}

/// The payload decompressed: xz and zstd payloads end with the 4-byte size, which is tried
/// without when the whole does not decode.
fn decompress_payload(payload: &[u8]) -> Result<Image, Error> {
    Image::from_bytes(payload).or_else(|error| {
        payload.get(..payload.len().saturating_sub(4)).map_or(Err(error), Image::from_bytes)
    })
}

/// `system_certificate_list_size` bytes at `system_certificate_list`, from the ELF's symbol table,
/// if it has both symbols and they point into its file. The sections are read through
/// [`ModuleView`], the one reader of a file's section table (extended numbering included).
fn symbol_list(elf: &[u8]) -> Option<&[u8]> {
    let view = ModuleView::parse(elf).ok()?;
    let shdrs = || (0..view.count() as u64).filter_map(|index| view.section_header(index));
    let symtab = shdrs().find(|s| s.sh_type == SHT_SYMTAB)?;
    let strtab = view.contents(&view.section_header(u64::from(symtab.sh_link))?)?;
    let count = usize::try_from(symtab.sh_size).ok()? / core::mem::size_of::<Elf64_Sym>();
    let syms: &[Elf64_Sym] = slice_at(elf, usize::try_from(symtab.sh_offset).ok()?, count).ok()?;
    let value_of = |name: &[u8]| {
        syms.iter()
            .find(|sym| c_string(strtab, sym.st_name as usize) == Some(name))
            .map(|sym| sym.st_value)
    };
    let at_address = |address: u64, len: u64| {
        let shdr = shdrs().find(|s| {
            s.sh_type == SHT_PROGBITS && address >= s.sh_addr && address - s.sh_addr < s.sh_size
        })?;
        let offset = shdr.sh_offset.checked_add(address - shdr.sh_addr)?;
        elf.get(file_range(offset, len, elf.len())?)
    };
    let size = at_address(value_of(b"system_certificate_list_size")?, 8)?;
    let size = u64::from_le_bytes(size.try_into().ok()?);
    at_address(value_of(b"system_certificate_list")?, size)
}

/// The DER elements of `list`, one after the other, up to the first that is not a SEQUENCE (the
/// zero padding of a reserved area ends the list, as in the kernel's loader).
fn der_sequence(list: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = list;
    core::iter::from_fn(move || {
        let len = der_len(rest)?;
        let (element, after) = rest.split_at(len);
        rest = after;
        Some(element)
    })
}

/// The length of the DER SEQUENCE at the start of `bytes`, header included, if one is there whole.
fn der_len(bytes: &[u8]) -> Option<usize> {
    if bytes.first() != Some(&0x30) {
        return None;
    }
    let mut r = SliceReader::new(bytes).ok()?;
    let header = Header::decode(&mut r).ok()?;
    let len = usize::try_from(u32::from(r.position())).ok()?
        + usize::try_from(u32::from(header.length)).ok()?;
    (len <= bytes.len()).then_some(len)
}

/// Every DER certificate with a key klpelf can use, found anywhere in `elf` (certificates are
/// SEQUENCEs with a two-byte length, `30 82 hi lo`, as the kernel's loader expects them).
fn scan(elf: &[u8]) -> Vec<Vec<u8>> {
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut at = 0;
    while let Some(offset) =
        elf.get(at..).and_then(|rest| rest.windows(2).position(|w| w == [0x30, 0x82]))
    {
        let start = at + offset;
        at = start + 1;
        let Some(len) = der_len(&elf[start..]) else { continue };
        let candidate = &elf[start..start + len];
        // Cheap test first: a Certificate is a SEQUENCE of three, starting with a SEQUENCE.
        let Ok(any) = AnyRef::from_der(candidate) else { continue };
        if any.value().first() != Some(&0x30) {
            continue;
        }
        if Cert::from_der(candidate).is_ok() && !found.iter().any(|f| f == candidate) {
            found.push(candidate.to_vec());
            at = start + len;
        }
    }
    found
}
