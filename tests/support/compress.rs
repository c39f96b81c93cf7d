//! Compressed module files made at test time by the `xz`, `zstd` and `gzip` tools with the options
//! of the kernel's `scripts/Makefile.modinst`, klpelf's image API called from Rust, and what the
//! pipeline (setup, prepare, copy) makes of an image, with addresses made relative to it so that
//! two images of one module compare equal.

use std::ffi::{c_int, CString};
use std::mem::MaybeUninit;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use klpelf::compression::KlpelfCompression;
use klpelf::ffi::{
    copy_module_elf, klpelf_image_close, klpelf_image_compression, klpelf_image_data,
    klpelf_image_from_bytes, klpelf_image_from_fd, klpelf_image_open, klpelf_image_size,
    klpelf_prepare_module, klpelf_release_module, klpelf_setup_load_info, KlpelfImage,
};
use klpelf::layout::{Elf64_Shdr, LoadInfo};

use super::api::{last_error, zeroed_module};
use super::fuzz_targets::bytes_of;

/// The three formats, each with the command `scripts/Makefile.modinst` compresses a module with
/// (the tool replaces `FILE` with `FILE.EXT`).
pub const FORMATS: [(KlpelfCompression, &str, &[&str]); 3] = [
    (KlpelfCompression::Xz, "xz", &["xz", "--check=crc32", "--lzma2=dict=1MiB", "-f"]),
    (KlpelfCompression::Zstd, "zst", &["zstd", "-T0", "--rm", "-f", "-q"]),
    (KlpelfCompression::Gzip, "gz", &["gzip", "-n", "-f"]),
];

/// A fresh path in the temporary directory.
pub fn temp_path(stem: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("klpelf-image-{}-{n}-{stem}", std::process::id()))
}

/// Writes `bytes` to a fresh temporary file.
pub fn temp_file(stem: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_path(stem);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `bytes` compressed by `format`'s tool as `modules_install` runs it.
pub fn compressed(bytes: &[u8], format: KlpelfCompression) -> Vec<u8> {
    let (_, ext, command) = FORMATS.iter().find(|(f, ..)| *f == format).unwrap();
    let path = temp_file("module.ko", bytes);
    let status = Command::new(command[0]).args(&command[1..]).arg(&path).status();
    assert!(status.is_ok_and(|s| s.success()), "{command:?} on {}", path.display());
    let out = path.with_file_name(format!("{}.{ext}", path.file_name().unwrap().to_str().unwrap()));
    let data = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_file(&path);
    std::fs::remove_file(&out).unwrap();
    data
}

/// An open image, closed when dropped.
pub struct Opened(*mut KlpelfImage);

impl Opened {
    /// Takes ownership of an image klpelf made.
    pub fn from_raw(image: *mut KlpelfImage) -> Self {
        assert!(!image.is_null());
        Opened(image)
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: an open image's data is `size` readable bytes until it is closed.
        unsafe {
            std::slice::from_raw_parts(klpelf_image_data(self.0).cast(), klpelf_image_size(self.0))
        }
    }

    pub fn data(&self) -> *mut u8 {
        // SAFETY: an open image.
        unsafe { klpelf_image_data(self.0).cast() }
    }

    pub fn compression(&self) -> KlpelfCompression {
        // SAFETY: an open image.
        unsafe { klpelf_image_compression(self.0) }
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        // SAFETY: an open image, closed once.
        unsafe { klpelf_image_close(self.0) };
    }
}

/// How an image is made.
#[derive(Debug, Clone, Copy)]
pub enum Via {
    Path,
    Fd,
    Bytes,
}

/// Runs one opener, asserting that a failure leaves `*out` alone and sets a message.
fn opened(open: impl FnOnce(*mut *mut KlpelfImage) -> c_int) -> Result<Opened, (c_int, String)> {
    let sentinel = 0x5a5a_5a5a_usize as *mut KlpelfImage;
    let mut out = sentinel;
    let rc = open(&mut out);
    if rc == 0 {
        assert_eq!(last_error(), None, "a successful open leaves no message");
        assert_ne!(out, sentinel);
        return Ok(Opened(out));
    }
    assert_eq!(out, sentinel, "a failed open changed *out");
    Err((rc, last_error().expect("a failed open sets a message")))
}

/// The image of the file at `path`, made `via` the path, a descriptor or its bytes.
pub fn open(path: &Path, via: Via) -> Result<Opened, (c_int, String)> {
    match via {
        Via::Path => {
            let c_path = CString::new(path.as_os_str().as_bytes()).unwrap();
            // SAFETY: a NUL-terminated path; `out` is writable.
            opened(|out| unsafe { klpelf_image_open(c_path.as_ptr(), out) })
        }
        Via::Fd => {
            let file = std::fs::File::open(path).unwrap();
            // SAFETY: an open descriptor, kept open by `file` during the call.
            opened(|out| unsafe {
                klpelf_image_from_fd(std::os::fd::AsRawFd::as_raw_fd(&file), out)
            })
        }
        Via::Bytes => from_bytes(&std::fs::read(path).unwrap()),
    }
}

/// The image of `bytes`.
pub fn from_bytes(bytes: &[u8]) -> Result<Opened, (c_int, String)> {
    // SAFETY: `bytes` is readable for its length; `out` is writable.
    opened(|out| unsafe { klpelf_image_from_bytes(bytes.as_ptr().cast(), bytes.len(), out) })
}

/// What setup, prepare and copy make of an image, with every address into the image or into
/// klpelf's copies replaced by an offset or left out, so that two images of one module compare
/// equal exactly when klpelf saw the same module in both.
#[derive(Debug, PartialEq, Eq)]
pub struct Persisted {
    /// The `struct load_info`, its pointers as offsets from the image's start.
    pub load_info: Vec<u64>,
    pub name: Vec<u8>,
    /// `klp_info`: the header, the section headers (`sh_addr` relative to the image, the symbol
    /// table's zeroed: it points at the kallsyms copy), the section names, `symndx`.
    pub klp_info: Vec<u8>,
    /// `core_kallsyms`: the symbols and the string table.
    pub kallsyms: Vec<u8>,
}

/// Runs the pipeline on `len` bytes at `image` (8-aligned and writable), which must pass.
pub fn persisted(image: *mut u8, len: usize) -> Persisted {
    let mut info = MaybeUninit::<LoadInfo>::uninit();
    // SAFETY: `image` is `len` writable, aligned bytes; `info` is writable.
    let rc = unsafe { klpelf_setup_load_info(info.as_mut_ptr(), image.cast(), len, 0) };
    assert_eq!(rc, 0, "setup: {:?}", last_error());
    // SAFETY: a successful setup filled `info`.
    let mut info = unsafe { info.assume_init() };
    let mut module = zeroed_module();
    // SAFETY: a zeroed module and a load_info from setup over a live image.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "prepare: {:?}", last_error());
        assert_eq!(copy_module_elf(&mut module, &mut info), 0, "copy: {:?}", last_error());
    }
    let base = image as u64;
    let rel = |p: u64| if p == 0 { 0 } else { p - base };
    let load_info = vec![
        rel(info.name as u64),
        rel(info.hdr as u64),
        info.len,
        rel(info.sechdrs as u64),
        rel(info.secstrings as u64),
        rel(info.strtab as u64),
        u64::from(info.sig_ok),
        u64::from(info.index.sym) | u64::from(info.index.str) << 32,
        u64::from(info.index.info) | u64::from(info.index.vers) << 32,
    ];
    // SAFETY: klp_info and core_kallsyms were just made by copy and prepare for this image.
    let (klp_info, kallsyms) = unsafe { copies(&module, base) };
    // SAFETY: setup's name is NULL or a NUL-terminated string inside the image.
    let name = unsafe { std::ffi::CStr::from_ptr(info.name) }.to_bytes().to_vec();
    // SAFETY: what prepare and copy made.
    unsafe { klpelf_release_module(&mut module) };
    Persisted { load_info, name, klp_info, kallsyms }
}

/// The bytes of `module`'s `klp_info` and `core_kallsyms`, addresses made relative to `base`.
///
/// # Safety
/// `module` was prepared and copied from an image at `base`.
unsafe fn copies(module: &klpelf::layout::Module, base: u64) -> (Vec<u8>, Vec<u8>) {
    // SAFETY: the caller's contract: live copies of the image's tables.
    unsafe {
        let klp = &*module.klp_info;
        let mut out = bytes_of(&klp.hdr).to_vec();
        let count = usize::from(klp.hdr.e_shnum);
        let sechdrs = std::slice::from_raw_parts(klp.sechdrs, count);
        for (i, shdr) in sechdrs.iter().enumerate() {
            let mut shdr: Elf64_Shdr = *shdr;
            shdr.sh_addr = match shdr.sh_addr {
                _ if i == klp.symndx as usize => 0,
                0 => 0,
                addr => addr - base,
            };
            out.extend_from_slice(bytes_of(&shdr));
        }
        let names = &sechdrs[usize::from(klp.hdr.e_shstrndx)];
        out.extend_from_slice(std::slice::from_raw_parts(
            klp.secstrings.cast(),
            names.sh_size as usize,
        ));
        out.extend_from_slice(&klp.symndx.to_ne_bytes());
        let kallsyms = &module.core_kallsyms;
        let symtab = &sechdrs[klp.symndx as usize];
        let strtab = &sechdrs[symtab.sh_link as usize];
        let mut syms =
            std::slice::from_raw_parts(kallsyms.symtab.cast::<u8>(), symtab.sh_size as usize)
                .to_vec();
        syms.extend_from_slice(std::slice::from_raw_parts(
            kallsyms.strtab.cast(),
            strtab.sh_size as usize,
        ));
        (out, syms)
    }
}
