//! Fuzz target `modinfo_signature`: the `.modinfo` reader (`klpelf::modinfo`, and
//! `klpelf_get_modinfo()` on a module built around the fuzzed section) and the signature trailer
//! (`klpelf_module_signature()` and the stripping in `klpelf_setup_load_info()`), against the
//! models of the kernel's code.

use std::ffi::CString;

use klpelf::ffi::{klpelf_get_modinfo, klpelf_module_signature};
use klpelf::layout::{KlpelfSignature, LoadInfo};

use super::super::api::{last_error, setup};
use super::super::elf::{
    host_machine, Elf, EHDR, ET_REL, E_EHSIZE, E_MACHINE, E_SHENTSIZE, E_SHNUM, E_SHOFF,
    E_SHSTRNDX, E_TYPE, E_VERSION, HOST_DATA, SHDR, SHF_ALLOC, SHF_WRITE, SHT_NULL, SHT_PROGBITS,
    SHT_STRTAB, SHT_SYMTAB, SYM,
};
use super::super::image::Image;
use super::bytes::Reader;
use super::models::{model_elf_len, model_modinfo, model_signature, MARKER, SIG_HEADER};

/// The parts of an input. Byte format: `tag length` (u8), the tag, `.modinfo length` (u16), the
/// section's bytes (as many as there are), then the trailer (everything left), appended after the
/// module.
pub struct ModinfoCase {
    pub tag: Vec<u8>,
    pub modinfo: Vec<u8>,
    pub trailer: Vec<u8>,
}

impl ModinfoCase {
    pub fn decode(data: &[u8]) -> Self {
        let mut r = Reader(data);
        let tag_len = usize::from(r.u8()) % 64;
        let tag = r.bytes(tag_len);
        let modinfo_len = usize::from(r.u16());
        let modinfo = r.up_to(modinfo_len);
        ModinfoCase { tag, modinfo, trailer: r.0.to_vec() }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.tag.len().min(63) as u8];
        out.extend_from_slice(&self.tag[..self.tag.len().min(63)]);
        let n = self.modinfo.len().min(usize::from(u16::MAX));
        out.extend_from_slice(&(n as u16).to_le_bytes());
        out.extend_from_slice(&self.modinfo[..n]);
        out.extend_from_slice(&self.trailer);
        out
    }
}

/// Index of `.modinfo` in the module [`module_around`] builds.
pub const MODINFO_INDEX: u32 = 1;

/// The smallest module the checks accept, with `modinfo` as its `.modinfo` section: a null
/// section, `.modinfo`, `.gnu.linkonce.this_module`, `.symtab` (the null symbol), `.strtab`,
/// `.shstrtab`.
pub fn module_around(modinfo: &[u8]) -> Vec<u8> {
    const NAMES: &[u8] = b"\0.modinfo\0.gnu.linkonce.this_module\0.symtab\0.strtab\0.shstrtab\0";
    let pad8 = |v: &mut Vec<u8>| v.resize(v.len().div_ceil(8) * 8, 0);
    let mut image = vec![0u8; EHDR];
    let place = |image: &mut Vec<u8>, bytes: &[u8]| {
        pad8(image);
        let at = image.len() as u64;
        image.extend_from_slice(bytes);
        (at, bytes.len() as u64)
    };
    let info = place(&mut image, modinfo);
    let this_module = place(&mut image, &[0; 64]);
    let symtab = place(&mut image, &[0; SYM]);
    let strtab = place(&mut image, b"\0");
    let shstrtab = place(&mut image, NAMES);
    pad8(&mut image);
    let shoff = image.len() as u64;
    /// A section of the module: name, type, flags, (offset, size), link, entsize.
    type Section = (u32, u32, u64, (u64, u64), u32, u64);
    let sections: [Section; 6] = [
        (0, SHT_NULL, 0, (0, 0), 0, 0),
        (1, SHT_PROGBITS, SHF_ALLOC, info, 0, 0),
        (10, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, this_module, 0, 0),
        (36, SHT_SYMTAB, 0, symtab, 4, SYM as u64),
        (44, SHT_STRTAB, 0, strtab, 0, 0),
        (52, SHT_STRTAB, 0, shstrtab, 0, 0),
    ];
    for (name, sh_type, flags, (offset, size), link, entsize) in sections {
        image.extend_from_slice(&name.to_ne_bytes());
        image.extend_from_slice(&sh_type.to_ne_bytes());
        image.extend_from_slice(&flags.to_ne_bytes());
        image.extend_from_slice(&0u64.to_ne_bytes()); // sh_addr
        image.extend_from_slice(&offset.to_ne_bytes());
        image.extend_from_slice(&size.to_ne_bytes());
        image.extend_from_slice(&link.to_ne_bytes());
        image.extend_from_slice(&0u32.to_ne_bytes()); // sh_info
        image.extend_from_slice(&1u64.to_ne_bytes()); // sh_addralign
        image.extend_from_slice(&entsize.to_ne_bytes());
    }
    let mut elf = Elf(image);
    elf.0[..7].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, HOST_DATA, 1]);
    elf.set_hdr(E_TYPE, 2, ET_REL.into());
    elf.set_hdr(E_MACHINE, 2, host_machine().into());
    elf.set_hdr(E_VERSION, 4, 1);
    elf.set_hdr(E_SHOFF, 8, shoff);
    elf.set_hdr(E_EHSIZE, 2, EHDR as u64);
    elf.set_hdr(E_SHENTSIZE, 2, SHDR as u64);
    elf.set_hdr(E_SHNUM, 2, sections.len() as u64);
    elf.set_hdr(E_SHSTRNDX, 2, 5);
    elf.0
}

/// The target. The `.modinfo` bytes and the tag go through `klpelf::modinfo` directly and through
/// `klpelf_get_modinfo()` on a module built around them (which setup must accept, whatever the
/// section holds); the whole signed-or-not file goes through `klpelf_module_signature()` and
/// setup's stripping. Everything is compared with the kernel models.
pub fn modinfo_signature(data: &[u8]) {
    let case = ModinfoCase::decode(data);
    check_reader(&case.modinfo, &case.tag);
    // The C API on a module built around the section, signed (or not) by the trailer.
    let mut file = module_around(&case.modinfo);
    let elf_len = file.len();
    file.extend_from_slice(&case.trailer);
    let image = Image::new(&file);
    check_signature(&image);
    if let Some(info) = check_stripping(&image, elf_len) {
        check_get_modinfo(&image, &info, &case);
    }
}

/// The Rust reader, `klpelf::modinfo`: `find` as the model finds, `entries` as the section holds.
fn check_reader(section: &[u8], tag: &[u8]) {
    let found = klpelf::modinfo::find(section, tag);
    assert_eq!(found, model_modinfo(section, tag), "modinfo::find({tag:?})");
    if let Some(range) = &found {
        assert_eq!(section.get(range.end), Some(&0), "a value ends with a NUL in the section");
    }
    let mut next = 0;
    for entry in klpelf::modinfo::entries(section) {
        assert!(entry.offset >= next, "entries go forward");
        assert!(!entry.text.is_empty() && !entry.text.contains(&0), "an entry is one string");
        assert!(entry.offset == 0 || section[entry.offset - 1] == 0, "entries start after a NUL");
        assert_eq!(&section[entry.offset..entry.offset + entry.text.len()], entry.text);
        let end = entry.offset + entry.text.len();
        assert_eq!(entry.terminated, end < section.len(), "terminated unless at the end");
        assert!(section[next..entry.offset].iter().all(|&b| b == 0), "only NULs are skipped");
        next = end;
    }
    assert!(section[next..].iter().all(|&b| b == 0), "nothing after the last entry but NULs");
}

/// `klpelf_module_signature()` on the whole file: the model's signature, or its errno with `*out`
/// unchanged.
fn check_signature(image: &Image) {
    let file = image.bytes();
    let mut signature = KlpelfSignature { sig_offset: 7, sig_len: 7, ..Default::default() };
    // SAFETY: the image is `len` readable bytes; `signature` is writable.
    let rc = unsafe { klpelf_module_signature(image.ptr(), image.len(), &mut signature) };
    match model_signature(file) {
        Ok(expected) => {
            assert_eq!(rc, 0, "klpelf_module_signature: {:?}", last_error());
            assert_eq!(signature, expected);
            assert_eq!(
                signature.sig_offset + signature.sig_len as usize + SIG_HEADER + MARKER.len(),
                file.len()
            );
        }
        Err(errno) => {
            assert_eq!(rc, errno, "klpelf_module_signature: {:?}", last_error());
            assert_eq!((signature.sig_offset, signature.sig_len), (7, 7), "*out unchanged");
        }
    }
}

/// Setup's stripping of the trailer: the ELF part the model gives, or the model's errno (only a
/// signature that cuts into the module may make it unacceptable). Returns setup's `load_info` when
/// it kept the whole module on a host whose modules this one is built for.
fn check_stripping(image: &Image, elf_len: usize) -> Option<LoadInfo> {
    let expected_len = match model_elf_len(image.bytes()) {
        Ok(len) => len,
        Err(errno) => {
            assert!(matches!(setup(image, 0), Err((rc, _)) if rc == errno));
            return None;
        }
    };
    let info = match setup(image, 0) {
        Ok(info) => info,
        Err((rc, message)) => {
            assert!(expected_len < elf_len, "setup rejected a good module ({rc}): {message}");
            return None;
        }
    };
    assert_eq!(info.len as usize, expected_len, "setup's ELF part");
    if expected_len != elf_len || cfg!(not(any(target_arch = "x86_64", target_arch = "aarch64"))) {
        return None; // a truncated module that still passes says nothing about .modinfo
    }
    Some(info)
}

/// `klpelf_get_modinfo()` on setup's `load_info` finds what the model finds, for a few usual tags
/// and the case's own (up to its first NUL); `info->name` is the `name=` value.
fn check_get_modinfo(image: &Image, info: &LoadInfo, case: &ModinfoCase) {
    assert_eq!(info.index.info, MODINFO_INDEX);
    let modinfo_at = EHDR; // the section follows the header, already 8-aligned
    let mut tags = vec![b"name".to_vec(), b"livepatch".to_vec(), b"license".to_vec()];
    let c_tag = case.tag.iter().position(|&b| b == 0).map_or(&case.tag[..], |n| &case.tag[..n]);
    tags.push(c_tag.to_vec());
    for tag in tags {
        let c = CString::new(tag.clone()).expect("no NUL inside");
        // SAFETY: setup's info with the image live; `c` is a C string.
        let value = unsafe { klpelf_get_modinfo(info, c.as_ptr()) };
        assert_eq!(last_error(), None, "klpelf_get_modinfo on setup's info");
        let expected = model_modinfo(&case.modinfo, &tag)
            .map(|r| image.base() as usize + modinfo_at + r.start);
        assert_eq!((!value.is_null()).then_some(value as usize), expected, "tag {tag:?}");
        if tag == b"name" {
            assert_eq!(info.name, value, "info->name is the name= value");
        }
    }
}
