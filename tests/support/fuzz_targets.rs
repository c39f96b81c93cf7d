//! The logic of klpelf's three fuzz targets, shared by the fuzz crate (`fuzz/fuzz_targets/*.rs`
//! include this file with `#[path]`) and by `tests/fuzz_replay.rs`, which replays every committed
//! seed and regression input through the same functions under plain `cargo test`.
//!
//! Each target is one function from the fuzzer's bytes to assertions; a failed assertion is a
//! finding (the fuzzer stops on the panic, the replay test fails):
//! - [`setup_pipeline`]: bytes as a module file → `klpelf_setup_load_info` (both flag settings, each
//!   twice: the verdict must be stable) → `klpelf_prepare_module` → `copy_module_elf` →
//!   `klpelf_release_module`, with every invariant the kernel's check table promises asserted on an
//!   accepted image from an independent reading of its bytes;
//! - [`copy_structured`]: bytes decoded as a caller-built `struct load_info` ([`CopyCase`]:
//!   arbitrary counts, indices, extended numbering, NULL pointers, allocation failures) →
//!   `copy_module_elf` / `free_module_elf`, compared with the kernel's code (the C reference oracle
//!   of the C tests) wherever its preconditions hold, and with the documented errors elsewhere;
//! - [`modinfo_signature`]: the `.modinfo` reader (`klpelf::modinfo` and `klpelf_get_modinfo()` on
//!   a module built around the fuzzed section) and the signature trailer parser
//!   (`klpelf_module_signature()` and the stripping in `klpelf_setup_load_info()`), against
//!   independent models of the kernel's code.
//!
//! Nothing here depends on the fuzzer: inputs are plain bytes, so the replay needs no extra crate.

#![allow(dead_code)]

use std::alloc::{alloc, dealloc, Layout};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::mem::{offset_of, size_of};
use std::ptr;

use klpelf::ffi::{
    copy_module_elf, free_module_elf, klpelf_get_modinfo, klpelf_last_error,
    klpelf_module_signature, klpelf_prepare_module, klpelf_release_module, klpelf_set_allocator,
    klpelf_setup_load_info, KLPELF_SETUP_ALLOW_XNUM,
};
use klpelf::layout::{
    Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, KlpModinfo, KlpelfSignature, LoadInfo, Module,
    MODULE_NAME_LEN,
};

const EINVAL: c_int = -libc::EINVAL;
const EEXIST: c_int = -libc::EEXIST;
const ENOMEM: c_int = -libc::ENOMEM;
const ENOEXEC: c_int = -libc::ENOEXEC;
const EBADMSG: c_int = -libc::EBADMSG;
const ENODATA: c_int = -libc::ENODATA;
const ENOPKG: c_int = -libc::ENOPKG;
const ENAMETOOLONG: c_int = -libc::ENAMETOOLONG;

const SHT_NULL: u32 = 0;
const SHT_SYMTAB: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_NOBITS: u32 = 8;
const SHT_REL: u32 = 9;
const SHT_SYMTAB_SHNDX: u32 = 18;
const SHF_ALLOC: u64 = 2;
const SHF_RELA_LIVEPATCH: u64 = 0x0010_0000;
const SHN_UNDEF: u32 = 0;
const SHN_LORESERVE: u32 = 0xff00;
const SHN_LIVEPATCH: u32 = 0xff20;
const SHN_ABS: u32 = 0xfff1;
const SHN_COMMON: u32 = 0xfff2;
const SHN_XINDEX: u32 = 0xffff;
const EHDR: usize = 64;
const SHDR: usize = 64;
const SYM: usize = 24;

/// The marker that ends a signed module, and the size of `struct module_signature` before it.
pub const MARKER: &[u8] = b"~Module signature appended~\n";
const SIG_HEADER: usize = 12;

// ------------------------------------------------------------------------------------------------
// Plumbing: exact-size aligned buffers, byte views, field reads, the last error
// ------------------------------------------------------------------------------------------------

/// Bytes in a heap block of exactly their length, 8-aligned (as `klpelf_setup_load_info()` needs),
/// so that AddressSanitizer reports a read even one byte past the end.
pub struct ExactImage {
    ptr: *mut u8,
    len: usize,
}

impl ExactImage {
    pub fn new(bytes: &[u8]) -> Self {
        let layout = Self::layout(bytes.len());
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc(layout) };
        assert!(!ptr.is_null(), "out of memory for a {}-byte image", bytes.len());
        // SAFETY: the block holds `bytes.len()` bytes and cannot overlap the borrowed `bytes`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
        ExactImage { ptr, len: bytes.len() }
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len.max(1), 8).expect("an image layout")
    }

    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the block holds `len` initialised bytes, borrowed with `self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for ExactImage {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { dealloc(self.ptr, Self::layout(self.len)) };
    }
}

/// The bytes of a `#[repr(C)]` value, padding included (compared to show a value untouched).
fn bytes_of<T>(value: &T) -> &[u8] {
    // SAFETY: any initialised value may be viewed as its `size_of::<T>()` bytes for reading; the
    // structs compared here were created from bytes (so their padding is initialised too).
    unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), size_of::<T>()) }
}

/// A `#[repr(C)]` value of plain integers and pointers made from `size_of::<T>()` bytes (all of
/// them, padding included, so that byte comparisons of the value are meaningful).
///
/// # Safety
/// Every bit pattern must be a valid `T` (integers, raw pointers, and `bool`s fixed by the caller).
unsafe fn from_bytes<T>(bytes: &[u8]) -> T {
    assert!(bytes.len() >= size_of::<T>());
    // SAFETY: the caller's contract; `read_unaligned` accepts any address.
    unsafe { ptr::read_unaligned(bytes.as_ptr().cast::<T>()) }
}

/// Host-order fields read from bytes; `None` past the end.
fn get_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// The calling thread's `klpelf_last_error()`, if any.
pub fn last_error() -> Option<String> {
    let message = klpelf_last_error();
    // SAFETY: a non-NULL result is klpelf's NUL-terminated message, read before the next call.
    (!message.is_null()).then(|| unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned())
}

/// Storage for a `struct module`, every byte initialised (so that byte comparisons are sound):
/// `fill` everywhere except `klp` (0), `klp_alive` (1), `klp_info` and `core_kallsyms` (NULL).
struct ModuleSlot([u64; size_of::<Module>() / 8]);

impl ModuleSlot {
    fn new(fill: u8) -> Self {
        let mut slot = ModuleSlot([u64::from_ne_bytes([fill; 8]); size_of::<Module>() / 8]);
        let bytes = slot.bytes_mut();
        bytes[offset_of!(Module, klp)] = 0;
        bytes[offset_of!(Module, klp_alive)] = 1;
        let kallsyms = offset_of!(Module, core_kallsyms);
        for field in [0, 16, 24] {
            bytes[kallsyms + field..][..8].fill(0); // symtab, strtab, typetab
        }
        bytes[offset_of!(Module, klp_info)..][..8].fill(0);
        slot
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: the words are initialised bytes, borrowed mutably with `self`.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast(), size_of::<Module>()) }
    }

    /// The raw bytes; meaningful while only klpelf's failures (which write nothing) touched them.
    fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    fn ptr(&mut self) -> *mut Module {
        self.0.as_mut_ptr().cast()
    }

    fn get(&self) -> &Module {
        // SAFETY: 8-aligned storage of the right size; the bools are 0 or 1 (set in `new`, written
        // as bools by klpelf), every other field accepts any bits.
        unsafe { &*self.0.as_ptr().cast::<Module>() }
    }

    fn get_mut(&mut self) -> &mut Module {
        // SAFETY: as in `get`.
        unsafe { &mut *self.0.as_mut_ptr().cast::<Module>() }
    }
}

/// Every field of a `struct module`, as numbers (pointers as addresses).
fn module_fields(module: &Module) -> Vec<u64> {
    let k = &module.core_kallsyms;
    let mut out: Vec<u64> = module.name.iter().map(|&c| u64::from(c as u8)).collect();
    out.extend([
        k.symtab as u64,
        u64::from(k.num_symtab),
        k.strtab as u64,
        k.typetab as u64,
        u64::from(module.klp),
        u64::from(module.klp_alive),
        module.klp_info as u64,
    ]);
    out
}

/// Storage for a `struct load_info`, every byte initialised to `fill` (`sig_ok` true).
struct InfoSlot([u64; size_of::<LoadInfo>() / 8]);

impl InfoSlot {
    fn new(fill: u8) -> Self {
        let mut slot = InfoSlot([u64::from_ne_bytes([fill; 8]); size_of::<LoadInfo>() / 8]);
        // SAFETY: the words are initialised bytes, borrowed mutably with `slot`.
        let bytes: &mut [u8] = unsafe {
            std::slice::from_raw_parts_mut(slot.0.as_mut_ptr().cast(), size_of::<LoadInfo>())
        };
        bytes[offset_of!(LoadInfo, sig_ok)] = 1;
        slot
    }

    fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    fn ptr(&mut self) -> *mut LoadInfo {
        self.0.as_mut_ptr().cast()
    }

    fn get_mut(&mut self) -> &mut LoadInfo {
        // SAFETY: 8-aligned storage of the right size; `sig_ok` is 1, other fields take any bits.
        unsafe { &mut *self.0.as_mut_ptr().cast::<LoadInfo>() }
    }
}

/// Allocators that fail: every allocation, or every one handed back misaligned (klpelf must turn
/// that into `-ENOMEM` too). Installed around one call with [`with_allocator`].
unsafe extern "C" fn failing_alloc(_size: usize, _ctx: *mut c_void) -> *mut c_void {
    ptr::null_mut()
}
unsafe extern "C" fn misaligned_alloc(size: usize, _ctx: *mut c_void) -> *mut c_void {
    // SAFETY: malloc accepts any size; one spare byte makes room for the misalignment.
    let block = unsafe { libc::malloc(size + 1) }.cast::<u8>();
    if block.is_null() {
        return ptr::null_mut();
    }
    block.wrapping_add(1).cast()
}
unsafe extern "C" fn misaligned_free(block: *mut c_void, _size: usize, _ctx: *mut c_void) {
    // SAFETY: `block` came from `misaligned_alloc`, one byte past malloc's block.
    unsafe { libc::free(block.cast::<u8>().wrapping_sub(1).cast()) };
}
unsafe extern "C" fn never_free(_block: *mut c_void, _size: usize, _ctx: *mut c_void) {
    panic!("free called for a block the failing allocator never handed out");
}

/// What the allocator does during one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocMode {
    Normal,
    Fail,
    Misaligned,
}

/// Runs `f` with the allocator `mode` selects, then restores the default (`malloc`). Returns what
/// `f` returned and the thread's last error right after it (restoring the allocator clears it).
fn with_allocator<R>(mode: AllocMode, f: impl FnOnce() -> R) -> (R, Option<String>) {
    let allocator = match mode {
        AllocMode::Normal => {
            let result = f();
            return (result, last_error());
        }
        AllocMode::Fail => klpelf::alloc::KlpelfAllocator {
            alloc: Some(failing_alloc),
            free: Some(never_free),
            ctx: ptr::null_mut(),
        },
        AllocMode::Misaligned => klpelf::alloc::KlpelfAllocator {
            alloc: Some(misaligned_alloc),
            free: Some(misaligned_free),
            ctx: ptr::null_mut(),
        },
    };
    // SAFETY: a valid allocator whose functions behave as documented (misaligned blocks are
    // allowed: klpelf must free them and report -ENOMEM).
    let rc = unsafe { klpelf_set_allocator(&allocator) };
    assert_eq!(rc, 0, "klpelf_set_allocator: no block may be live here ({:?})", last_error());
    let result = f();
    let message = last_error();
    // SAFETY: NULL restores the default allocator.
    let rc = unsafe { klpelf_set_allocator(ptr::null()) };
    assert_eq!(rc, 0, "a failed allocation left a block live: {:?}", last_error());
    (result, message)
}
// ------------------------------------------------------------------------------------------------
// Independent models: the signature trailer and .modinfo, as the kernel reads them
// ------------------------------------------------------------------------------------------------

/// The kernel's `mod_verify_sig()` / `mod_check_sig()` up to the cryptography, written from the
/// kernel's code: `(sig_offset, sig_len)` of a PKCS#7 signature, or the errno.
pub fn model_signature(image: &[u8]) -> Result<KlpelfSignature, c_int> {
    let len = image.len();
    if len <= MARKER.len() || !image.ends_with(MARKER) {
        return Err(ENODATA);
    }
    let modlen = len - MARKER.len();
    if modlen <= SIG_HEADER {
        return Err(EBADMSG);
    }
    let ms = &image[modlen - SIG_HEADER..modlen];
    let sig_len = u32::from_be_bytes([ms[8], ms[9], ms[10], ms[11]]);
    if sig_len as usize >= modlen - SIG_HEADER {
        return Err(EBADMSG);
    }
    if ms[2] != 2 {
        return Err(ENOPKG);
    }
    if ms[0] != 0 || ms[1] != 0 || ms[3] != 0 || ms[4] != 0 || ms[5..8] != [0, 0, 0] {
        return Err(EBADMSG);
    }
    Ok(KlpelfSignature {
        sig_offset: modlen - SIG_HEADER - sig_len as usize,
        sig_len,
        algo: 0,
        hash: 0,
        id_type: 2,
        signer_len: 0,
        key_id_len: 0,
    })
}

/// The ELF part's length as `klpelf_setup_load_info()` documents it (the kernel's
/// `module_sig_check()` without enforcement): everything when unsigned, the bytes before a PKCS#7
/// signature, the bytes before the marker for another kind; `-EBADMSG` for a malformed trailer.
pub fn model_elf_len(image: &[u8]) -> Result<usize, c_int> {
    match model_signature(image) {
        Ok(signature) => Ok(signature.sig_offset),
        Err(ENODATA) => Ok(image.len()),
        Err(ENOPKG) => Ok(image.len() - MARKER.len()),
        Err(errno) => Err(errno),
    }
}

/// The kernel's `get_modinfo()` walk over a `.modinfo` section, with klpelf's one documented
/// difference (a last entry without its NUL never matches): the value's byte range, or `None`.
pub fn model_modinfo(section: &[u8], tag: &[u8]) -> Option<std::ops::Range<usize>> {
    let mut start = 0;
    while start < section.len() {
        let Some(nul) = section[start..].iter().position(|&b| b == 0).map(|n| start + n) else {
            return None; // unterminated last entry
        };
        let entry = &section[start..nul];
        if entry.len() > tag.len() && entry.starts_with(tag) && entry[tag.len()] == b'=' {
            return Some(start + tag.len() + 1..nul);
        }
        start = nul + 1;
    }
    None
}

// ------------------------------------------------------------------------------------------------
// Target 1: bytes → setup → prepare → copy → release
// ------------------------------------------------------------------------------------------------

/// Target 1. `data` is a module file. Setup runs with flags 0 and `KLPELF_SETUP_ALLOW_XNUM`, twice
/// each; an accepted image must satisfy every invariant of the check table ([`assert_accepted`]),
/// an image accepted without the flag must be accepted identically with it, and then the loader's
/// pipeline must succeed on it (allocation failures are injected once per step too).
pub fn setup_pipeline(data: &[u8]) {
    let trailer = model_elf_len(data);
    let mut plain = None;
    for flags in [0, KLPELF_SETUP_ALLOW_XNUM] {
        // A fresh image each time: prepare rewrites the section headers, as the kernel's loader does.
        let image = ExactImage::new(data);
        let first = setup(&image, flags);
        let second = setup(&image, flags);
        assert_eq!(first.verdict(), second.verdict(), "setup's verdict changed between two runs");
        let info = match first {
            Outcome::Accepted(info) => info,
            Outcome::Rejected(rc, message) => {
                let expected: &[c_int] = if trailer.is_err() { &[EBADMSG] } else { &[ENOEXEC] };
                assert!(expected.contains(&rc), "setup failed with {rc}: {message}");
                assert!(plain.is_none(), "the flag rejected an image accepted without it");
                continue;
            }
        };
        assert_accepted(&image, &info, flags);
        match &plain {
            None => pipeline(&image, &info),
            Some(plain) => {
                assert_eq!(*plain, relative(&info), "the flag changed an accepted image")
            }
        }
        if flags == 0 {
            plain = Some(relative(&info));
        }
    }
}

enum Outcome {
    Accepted(LoadInfo),
    Rejected(c_int, String),
}

impl Outcome {
    fn verdict(&self) -> Result<Vec<u64>, (c_int, String)> {
        match self {
            Outcome::Accepted(info) => Ok(fields(info)),
            Outcome::Rejected(rc, message) => Err((*rc, message.clone())),
        }
    }
}

/// Every field of a `load_info`, as numbers (pointers as addresses).
fn fields(info: &LoadInfo) -> Vec<u64> {
    let i = &info.index;
    vec![
        info.name as u64,
        info.r#mod as u64,
        info.hdr as u64,
        info.len,
        info.sechdrs as u64,
        info.secstrings as u64,
        info.strtab as u64,
        info.symoffs,
        info.stroffs,
        info.init_typeoffs,
        info.core_typeoffs,
        u64::from(info.sig_ok),
        info.mod_kallsyms_init_off,
        u64::from(i.sym),
        u64::from(i.str),
        u64::from(i.r#mod),
        u64::from(i.vers),
        u64::from(i.info),
        u64::from(i.pcpu),
        u64::from(i.vers_ext_crc),
        u64::from(i.vers_ext_name),
    ]
}

/// [`fields`] with the pointers into the image as offsets from its start (NULL as `u64::MAX`), to
/// compare setup's results on two copies of one image.
fn relative(info: &LoadInfo) -> Vec<u64> {
    let base = info.hdr as u64;
    let mut out = fields(info);
    for pointer in [0, 2, 4, 5, 6] {
        out[pointer] = if out[pointer] == 0 { u64::MAX } else { out[pointer].wrapping_sub(base) };
    }
    out
}

/// One `klpelf_setup_load_info()` call; on failure the caller's struct must be untouched and a
/// message set.
fn setup(image: &ExactImage, flags: u32) -> Outcome {
    let mut slot = InfoSlot::new(0xa5);
    let before = slot.bytes();
    // SAFETY: the slot is writable; the image is `len` readable bytes, 8-aligned.
    let rc = unsafe { klpelf_setup_load_info(slot.ptr(), image.ptr().cast(), image.len(), flags) };
    if rc == 0 {
        assert_eq!(last_error(), None, "a successful setup leaves no message");
        // SAFETY: a successful setup wrote a whole load_info into the slot.
        Outcome::Accepted(unsafe { ptr::read(slot.ptr()) })
    } else {
        assert_eq!(slot.bytes(), before, "a failed setup changed *info");
        let message = last_error().expect("a failed setup sets a message");
        Outcome::Rejected(rc, message)
    }
}

/// A section header read from the image (`None` past its end).
#[derive(Debug, Clone, Copy, Default)]
struct Shdr {
    name: u32,
    sh_type: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
}

impl Shdr {
    fn read(elf: &[u8], at: usize) -> Option<Shdr> {
        Some(Shdr {
            name: get_u32(elf, at)?,
            sh_type: get_u32(elf, at + 4)?,
            flags: get_u64(elf, at + 8)?,
            addr: get_u64(elf, at + 16)?,
            offset: get_u64(elf, at + 24)?,
            size: get_u64(elf, at + 32)?,
            link: get_u32(elf, at + 40)?,
            info: get_u32(elf, at + 44)?,
        })
    }

    /// The section's bytes, if `[offset, offset + size)` lies inside `elf`.
    fn bytes<'a>(&self, elf: &'a [u8]) -> Option<&'a [u8]> {
        let end = self.offset.checked_add(self.size)?;
        elf.get(usize::try_from(self.offset).ok()?..usize::try_from(end).ok()?)
    }

    fn alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
}

/// The name at `at` of a string table, up to its NUL (which must be inside).
fn c_name(table: &[u8], at: u32) -> &[u8] {
    let rest = &table[at as usize..];
    &rest[..rest.iter().position(|&b| b == 0).expect("a NUL-terminated name")]
}

/// Asserts what the check table promises about an image setup accepted, reading the bytes
/// independently of klpelf's parser.
fn assert_accepted(image: &ExactImage, info: &LoadInfo, flags: u32) {
    let base = image.ptr() as u64;
    let whole = image.bytes();
    let at = |p: *const u8| (p as u64).checked_sub(base).expect("a pointer into the image");
    // The fields setup fills: pointers into the image, everything else zero.
    assert_eq!(info.hdr as u64, base);
    assert_eq!(Ok(info.len as usize), model_elf_len(whole), "len is the ELF part's length");
    assert!(info.r#mod.is_null() && !info.sig_ok);
    assert_eq!(
        [info.symoffs, info.stroffs, info.init_typeoffs, info.core_typeoffs],
        [0; 4],
        "offsets zero"
    );
    assert_eq!(info.mod_kallsyms_init_off, 0);
    let elf = &whole[..info.len as usize];

    // Rows 1–4, 6 and the architecture checks.
    assert!(elf.len() >= EHDR, "row 1");
    assert_eq!(&elf[..4], b"\x7fELF", "row 2");
    assert_eq!(get_u16(elf, 16), Some(1), "row 3: ET_REL");
    assert_eq!((elf[4], elf[5]), (2, if cfg!(target_endian = "little") { 1 } else { 2 }));
    #[cfg(target_arch = "x86_64")]
    assert_eq!(get_u16(elf, 18), Some(62), "row 4: EM_X86_64");
    assert_eq!(get_u16(elf, 58), Some(64), "row 6: e_shentsize");

    // Row 7, 8, alignment: the section table lies in the file.
    let shoff = get_u64(elf, 40).unwrap();
    let e_shnum = get_u16(elf, 60).unwrap();
    let e_shstrndx = u32::from(get_u16(elf, 62).unwrap());
    assert_eq!(shoff % 8, 0, "alignment: e_shoff");
    assert!(shoff < elf.len() as u64, "row 7: e_shoff inside");
    let shoff = shoff as usize;
    let sec0 = Shdr::read(elf, shoff).expect("section 0 inside the file");
    let xnum = flags & KLPELF_SETUP_ALLOW_XNUM != 0 && e_shnum == 0;
    let count = if xnum { sec0.size } else { u64::from(e_shnum) };
    assert!(count >= 1, "an accepted image has sections");
    let table_end = count.checked_mul(SHDR as u64).and_then(|n| n.checked_add(shoff as u64));
    assert!(table_end.is_some_and(|end| end <= elf.len() as u64), "row 7: the table inside");
    assert!(count <= u64::from(u32::MAX));
    let count = count as usize;
    assert_eq!(at(info.sechdrs.cast()), shoff as u64, "sechdrs at e_shoff");
    let shdrs: Vec<Shdr> =
        (0..count).map(|i| Shdr::read(elf, shoff + i * SHDR).expect("inside")).collect();
    assert_eq!((sec0.sh_type, sec0.addr), (SHT_NULL, 0), "row 8");
    assert!(sec0.size == 0 || xnum, "row 8: sh_size");

    // Row 9 and gap 7: sections with contents lie in the file.
    for (i, s) in shdrs.iter().enumerate().skip(1) {
        let has_bytes = match s.sh_type {
            SHT_NOBITS => false,
            SHT_NULL => s.alloc(),
            _ => true,
        };
        assert!(!has_bytes || s.bytes(elf).is_some(), "row 9 / gap 7: section {i} inside");
    }

    // Rows 10–13 and gaps 1, 3: the section-name table.
    let allow = flags & KLPELF_SETUP_ALLOW_XNUM != 0;
    let shstrndx = if allow && e_shstrndx == SHN_XINDEX { sec0.link } else { e_shstrndx };
    assert!(shstrndx != 0 && (shstrndx as usize) < count, "row 10");
    let names_shdr = shdrs[shstrndx as usize];
    let names = names_shdr.bytes(elf).expect("gap 1: the name table inside");
    assert!(!names.is_empty() && names[names.len() - 1] == 0, "rows 11, 12");
    assert_eq!(at(info.secstrings.cast()), names_shdr.offset, "secstrings");
    for (i, s) in shdrs.iter().enumerate().skip(1) {
        assert!((s.name as usize) < names.len(), "row 13 / gap 3: section {i}'s name inside");
    }
    let name_of = |i: usize| c_name(names, shdrs[i].name);

    // Rows 14–17, the kernel's lookups, and gap 6.
    let named = |wanted: &[u8]| -> Vec<usize> {
        (1..count).filter(|&i| name_of(i) == wanted).collect::<Vec<_>>()
    };
    let first_alloc = |wanted: &[u8]| -> u32 {
        (1..count).find(|&i| shdrs[i].alloc() && name_of(i) == wanted).unwrap_or(0) as u32
    };
    let modinfo = named(b".modinfo");
    assert!(modinfo.len() <= 1, "row 14");
    assert_eq!(info.index.info as usize, modinfo.first().copied().unwrap_or(0), "index.info");
    let this_module = named(b".gnu.linkonce.this_module");
    assert_eq!(this_module.len(), 1, "row 15");
    assert_eq!(info.index.r#mod as usize, this_module[0], "index.mod");
    let m = shdrs[this_module[0]];
    assert!(m.sh_type != SHT_NOBITS && m.alloc(), "rows 16, 17");
    assert_eq!(info.index.vers, first_alloc(b"__versions"), "index.vers");
    assert_eq!(info.index.pcpu, first_alloc(b".data..percpu"), "index.pcpu");
    assert_eq!(info.index.vers_ext_crc, first_alloc(b"__version_ext_crcs"));
    assert_eq!(info.index.vers_ext_name, first_alloc(b"__version_ext_names"));
    let i = &info.index;
    for index in [i.info, i.vers, i.pcpu, i.vers_ext_crc, i.vers_ext_name] {
        assert!(index == 0 || shdrs[index as usize].bytes(elf).is_some(), "gap 6: {index}");
    }

    // Rows 21–22: extended versions come in pairs, a name for every CRC.
    assert_eq!(i.vers_ext_crc == 0, i.vers_ext_name == 0, "row 21");
    if i.vers_ext_crc != 0 {
        let crcs = shdrs[i.vers_ext_crc as usize].size / 4;
        let names = shdrs[i.vers_ext_name as usize].bytes(elf).unwrap();
        assert!(crcs <= names.iter().filter(|&&b| b == 0).count() as u64, "row 22");
    }

    // Rows 19–20, 23–26, gap 4, alignment: the symbol table and its strings.
    let symtabs: Vec<usize> = (1..count).filter(|&i| shdrs[i].sh_type == SHT_SYMTAB).collect();
    assert_eq!(symtabs, [i.sym as usize], "row 19: the only SHT_SYMTAB is index.sym");
    let symtab = shdrs[i.sym as usize];
    assert_eq!(i.str, symtab.link, "index.str is the symbol table's sh_link");
    assert!(i.str != 0 && (i.str as usize) < count, "row 20");
    assert_eq!(symtab.offset % 8, 0, "alignment: the symbol table");
    let symbols = symtab.bytes(elf).expect("row 9: the symbol table inside");
    let strtab_shdr = shdrs[i.str as usize];
    let strtab = strtab_shdr.bytes(elf).expect("gap 4: the string table inside");
    assert!(!strtab.is_empty(), "row 23");
    assert!(strtab[0] == 0 && strtab[strtab.len() - 1] == 0, "rows 24, 25");
    assert_eq!(at(info.strtab.cast()), strtab_shdr.offset, "strtab");
    let nsyms = symbols.len() / SYM;
    let shndx_table = shdrs
        .iter()
        .find(|s| s.sh_type == SHT_SYMTAB_SHNDX && s.link == i.sym)
        .and_then(|s| s.bytes(elf));
    for n in 0..nsyms {
        let sym = &symbols[n * SYM..(n + 1) * SYM];
        assert!((get_u32(sym, 0).unwrap() as usize) < strtab.len(), "row 26: symbol {n}");
        let shndx = u32::from(get_u16(sym, 6).unwrap()); // st_shndx
        if n == 0 || [SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH].contains(&shndx) {
            continue;
        }
        let real = if shndx == SHN_XINDEX {
            assert!(flags & KLPELF_SETUP_ALLOW_XNUM != 0, "gap 5: SHN_XINDEX without the flag");
            let real = shndx_table.and_then(|t| get_u32(t, n * 4)).expect("gap 5: an index");
            assert_ne!(real, 0, "gap 5: extended index 0");
            real
        } else {
            assert!(shndx < SHN_LORESERVE, "gap 5: reserved st_shndx {shndx:#x}");
            shndx
        };
        assert!((real as usize) < count, "gap 5: symbol {n}'s section {real}");
    }
    // Gap 5, relocations: the sections the loader or livepatch applies name real symbols.
    for (index, s) in shdrs.iter().enumerate().skip(1) {
        let record = match s.sh_type {
            SHT_RELA => 24,
            SHT_REL => 16,
            _ => continue,
        };
        let target_loaded = shdrs.get(s.info as usize).is_some_and(Shdr::alloc);
        if s.flags & SHF_RELA_LIVEPATCH == 0 && !target_loaded {
            continue;
        }
        let relocations = s.bytes(elf).expect("row 9: relocations inside");
        for r in relocations.chunks_exact(record) {
            let symbol = get_u64(r, 8).unwrap() >> 32;
            assert!(symbol < nsyms as u64, "gap 5: relocation section {index}: symbol {symbol}");
        }
    }

    // name: the value of .modinfo's name= tag, NUL-terminated inside the section.
    let expected_name = (i.info != 0)
        .then(|| {
            let s = shdrs[i.info as usize];
            model_modinfo(s.bytes(elf).unwrap(), b"name").map(|r| s.offset + r.start as u64)
        })
        .flatten();
    assert_eq!((!info.name.is_null()).then(|| at(info.name.cast())), expected_name, "name");
    // SAFETY: `info` came from a successful setup on the live image; the tag is a C string.
    let found = unsafe { klpelf_get_modinfo(info, c"name".as_ptr()) };
    assert_eq!(found, info.name, "klpelf_get_modinfo(\"name\") is info->name");
}

/// The loader's pipeline on an accepted image: prepare and copy each once under a failing
/// allocator (nothing may change), then for real: prepare, copy, check the persisted copy, a second
/// copy (`-EEXIST`), release, release again. Prepare may change the image only as the kernel's
/// `rewrite_section_headers()` does ([`rewritten`]), and only when it succeeds.
fn pipeline(image: &ExactImage, info: &LoadInfo) {
    let original = image.bytes().to_vec();
    let name = (!info.name.is_null())
        // SAFETY: setup's `name` is NUL-terminated inside the live image.
        .then(|| unsafe { CStr::from_ptr(info.name) }.to_bytes().to_vec());
    let expected = match &name {
        None => ENOEXEC,
        Some(name) if name.is_empty() => ENOEXEC,
        Some(name) if name.len() >= MODULE_NAME_LEN => ENAMETOOLONG,
        Some(_) => 0,
    };
    let mut slot = ModuleSlot::new(0x5a);
    let untouched = slot.bytes();
    // SAFETY: the module is writable with NULL pointers; `info` is setup's, its image live.
    let (rc, _) =
        with_allocator(AllocMode::Fail, || unsafe { klpelf_prepare_module(slot.ptr(), info) });
    assert_eq!(rc, if expected == 0 { ENOMEM } else { expected }, "prepare, allocation failing");
    assert_eq!(slot.bytes(), untouched, "a failed prepare changed *mod");

    let mut info_slot = InfoSlot::new(0);
    // SAFETY: a bytewise copy of setup's load_info into storage of its size.
    unsafe { ptr::copy_nonoverlapping(info, info_slot.ptr(), 1) };
    let info_before = fields(info);
    // SAFETY: the module is valid with klp_info NULL; the copy describes the live image.
    let (rc, _) =
        with_allocator(AllocMode::Fail, || unsafe { copy_module_elf(slot.ptr(), info_slot.ptr()) });
    assert_eq!(rc, ENOMEM, "copy_module_elf, allocation failing");
    assert_eq!(slot.bytes(), untouched, "a failed copy changed *mod");

    // SAFETY: as above.
    let rc = unsafe { klpelf_prepare_module(slot.ptr(), info) };
    assert_eq!(rc, expected, "prepare: {:?}", last_error());
    if rc == 0 {
        assert_prepared(slot.get(), info, &original, name.as_deref().unwrap_or_default());
        assert!(image.bytes() == rewritten(&original, info), "prepare's changes to the image");
    } else {
        assert_eq!(slot.bytes(), untouched, "a failed prepare changed *mod");
        assert!(image.bytes() == original, "a failed prepare changed the image");
    }
    let prepared = module_fields(slot.get());
    // SAFETY: as above.
    let rc = unsafe { copy_module_elf(slot.ptr(), info_slot.ptr()) };
    assert_eq!(rc, 0, "copy_module_elf fails on an accepted image: {:?}", last_error());
    assert_eq!(fields(info_slot.get_mut()), info_before, "copy_module_elf changed *info");
    let mut rest = module_fields(slot.get());
    assert_persisted(slot.get(), info);
    *rest.last_mut().unwrap() = 0;
    assert_eq!(rest, prepared, "copy_module_elf changed *mod beyond klp_info");
    // SAFETY: klp_info was made by copy_module_elf: a second copy must refuse.
    let rc = unsafe { copy_module_elf(slot.ptr(), info_slot.ptr()) };
    assert_eq!(rc, EEXIST, "a second copy");
    // SAFETY: klp_info from copy_module_elf, core_kallsyms from prepare (or NULL).
    unsafe { klpelf_release_module(slot.ptr()) };
    let module = slot.get();
    assert!(module.klp_info.is_null() && module.core_kallsyms.symtab.is_null());
    assert!(module.core_kallsyms.strtab.is_null() && module.core_kallsyms.num_symtab == 0);
    // SAFETY: everything is NULL now: a second release is harmless.
    unsafe { klpelf_release_module(slot.ptr()) };
}

/// The image after a successful `klpelf_prepare_module()`: as the kernel's
/// `rewrite_section_headers()` leaves it, every section's `sh_addr` its address in the image
/// (section 0's 0), and `SHF_ALLOC` cleared from `__versions`, the extended-version sections and
/// `.modinfo` (from section 0 for an absent one, as the kernel does). Nothing else changes.
fn rewritten(original: &[u8], info: &LoadInfo) -> Vec<u8> {
    let mut image = original.to_vec();
    let base = info.hdr as u64;
    let shoff = get_u64(&image, 40).unwrap() as usize;
    let e_shnum = get_u16(&image, 60).unwrap();
    let count =
        if e_shnum == 0 { get_u64(&image, shoff + 32).unwrap() } else { u64::from(e_shnum) };
    for i in 0..count as usize {
        let at = shoff + i * SHDR;
        let offset = get_u64(&image, at + 24).unwrap();
        let addr = if i == 0 { 0 } else { base.wrapping_add(offset) };
        image[at + 16..at + 24].copy_from_slice(&addr.to_ne_bytes());
    }
    let i = &info.index;
    for index in [i.vers, i.vers_ext_crc, i.vers_ext_name, i.info] {
        let at = shoff + index as usize * SHDR + 8;
        let flags = get_u64(&image, at).unwrap() & !SHF_ALLOC;
        image[at..at + 8].copy_from_slice(&flags.to_ne_bytes());
    }
    image
}

/// What prepare promises: the name, `klp`, and `core_kallsyms` as copies of the image's tables.
fn assert_prepared(module: &Module, info: &LoadInfo, original: &[u8], name: &[u8]) {
    let stored: Vec<u8> = module.name.iter().map(|&c| c as u8).collect();
    assert_eq!(&stored[..name.len()], name, "mod->name");
    assert!(stored[name.len()..].iter().all(|&b| b == 0), "mod->name is NUL-padded");
    // SAFETY: setup's info, image live; the tag is a C string.
    let livepatch = unsafe { klpelf_get_modinfo(info, c"livepatch".as_ptr()) };
    assert_eq!(module.klp, !livepatch.is_null(), "mod->klp");
    let (symbols, strings) = tables(original, info);
    let kallsyms = &module.core_kallsyms;
    assert_eq!(kallsyms.num_symtab as usize, symbols.len() / SYM, "num_symtab");
    assert!(kallsyms.typetab.is_null());
    assert_eq!(kallsyms.symtab as usize % 8, 0, "symtab aligned");
    // SAFETY: prepare made blocks of `num_symtab` symbols and the string table's size.
    let (copied_syms, copied_strs) = unsafe {
        (
            std::slice::from_raw_parts(kallsyms.symtab.cast::<u8>(), symbols.len() / SYM * SYM),
            std::slice::from_raw_parts(kallsyms.strtab.cast::<u8>(), strings.len()),
        )
    };
    assert_eq!(copied_syms, &symbols[..symbols.len() / SYM * SYM], "core_kallsyms.symtab");
    assert_eq!(copied_strs, strings, "core_kallsyms.strtab");
}

/// The symbol table and symbol string table of an accepted image, read from its bytes as they were
/// before prepare (which copies them before it rewrites the section headers: with a table that
/// overlaps the section header table, the bytes after the rewrite differ).
fn tables<'a>(image: &'a [u8], info: &LoadInfo) -> (&'a [u8], &'a [u8]) {
    let shoff = get_u64(image, 40).unwrap() as usize;
    let section = |index: u32| {
        let shdr =
            Shdr::read(image, shoff + index as usize * SHDR).expect("setup proved it inside");
        shdr.bytes(image).expect("setup proved it inside")
    };
    (section(info.index.sym), section(info.index.str))
}

/// The section count and the section-name table index of a described image (extended numbering
/// decoded as the ELF specification says).
fn numbering(hdr: &Elf64_Ehdr, sec0: &Elf64_Shdr) -> (u64, u64) {
    let count = if hdr.e_shnum == 0 { sec0.sh_size } else { u64::from(hdr.e_shnum) };
    let shstrndx = match u32::from(hdr.e_shstrndx) {
        SHN_XINDEX => u64::from(sec0.sh_link),
        n => u64::from(n),
    };
    (count, shstrndx)
}

/// The persisted copy equals the tables `info` describes, with only the symbol table's `sh_addr`
/// redirected to `core_kallsyms.symtab`, in fresh 8-aligned memory.
fn assert_persisted(module: &Module, info: &LoadInfo) {
    assert!(!module.klp_info.is_null());
    assert_eq!(module.klp_info as usize % 8, 0, "klp_info aligned");
    // SAFETY: copy_module_elf made klp_info; `info` describes the live tables (both proven).
    unsafe {
        let k: &KlpModinfo = &*module.klp_info;
        let hdr = &*info.hdr;
        let (count, shstrndx) = numbering(hdr, &*info.sechdrs);
        let sechdrs = std::slice::from_raw_parts(info.sechdrs, count as usize);
        let names_len = sechdrs[shstrndx as usize].sh_size as usize;
        let names = std::slice::from_raw_parts(info.secstrings.cast::<u8>(), names_len);
        let copied = std::slice::from_raw_parts(k.sechdrs, count as usize);
        let copied_names = std::slice::from_raw_parts(k.secstrings.cast::<u8>(), names_len);
        assert_copy(
            k,
            bytes_of(hdr),
            sechdrs,
            names,
            info.index.sym,
            module.core_kallsyms.symtab,
            copied,
            copied_names,
        );
    }
}

/// Compares one persisted copy with its source tables.
#[allow(clippy::too_many_arguments)]
fn assert_copy(
    k: &KlpModinfo,
    hdr: &[u8],
    sechdrs: &[Elf64_Shdr],
    names: &[u8],
    symndx: u32,
    symtab: *mut Elf64_Sym,
    copied: &[Elf64_Shdr],
    copied_names: &[u8],
) {
    assert_eq!(bytes_of(&k.hdr), hdr, "the persisted ELF header");
    assert_eq!(k.symndx, symndx, "symndx");
    assert_eq!(copied.len(), sechdrs.len());
    assert_ne!(k.sechdrs.cast_const(), sechdrs.as_ptr(), "fresh section headers");
    for (i, (to, from)) in copied.iter().zip(sechdrs).enumerate() {
        let mut expected = *from;
        if i == symndx as usize {
            expected.sh_addr = symtab as u64;
        }
        assert_eq!(bytes_of(to), bytes_of(&expected), "persisted section header {i}");
    }
    assert_eq!(copied_names, names, "the persisted section-name table");
}

// ------------------------------------------------------------------------------------------------
// Target 2: a caller-built load_info → copy_module_elf / free_module_elf, against the oracle
// ------------------------------------------------------------------------------------------------

/// The kernel's `copy_module_elf()` / `free_module_elf()` in C (`c_tests/support/oracle.c`).
#[derive(Clone, Copy)]
pub struct Oracle {
    pub copy: unsafe extern "C" fn(*mut Module, *mut LoadInfo) -> c_int,
    pub free: unsafe extern "C" fn(*mut Module),
}

/// Most sections a [`CopyCase`] provides (its header may claim more).
pub const MAX_SECTIONS: usize = 1024;
/// Most section-name bytes a [`CopyCase`] provides.
pub const MAX_NAMES: usize = 8192;

/// One rare event per case, so that most cases reach the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rare {
    None,
    FailAlloc,
    MisalignedAlloc,
    KlpInfoSet,
    NullMod,
    NullInfo,
    NullHdr,
    NullSechdrs,
    NullSecstrings,
    /// The section-name table's `sh_size` exceeds `PTRDIFF_MAX`.
    HugeNames,
}

const RARE: [Rare; 9] = [
    Rare::FailAlloc,
    Rare::MisalignedAlloc,
    Rare::KlpInfoSet,
    Rare::NullMod,
    Rare::NullInfo,
    Rare::NullHdr,
    Rare::NullSechdrs,
    Rare::NullSecstrings,
    Rare::HugeNames,
];

/// A caller-built `struct load_info`: what the buffers hold and what the header claims.
///
/// The byte format ([`CopyCase::decode`]; missing bytes read as 0):
/// `rare` (u8: 0xf0 + n picks `RARE[n]`, anything else none), `shape` (u8: bit 0 extended
/// numbering, bit 1 raw count, bit 2 raw e_shstrndx, bit 3 raw index.sym), `sections - 1` (u16),
/// `count` (u64), `shstrndx` (u32), `sym` (u32), `symtab` (u64), `names length` (u16), the names
/// (as many as there are), the 64 header bytes, then 64 bytes per section (as many sections as
/// there are bytes for, the last one zero-filled, at least one).
///
/// Non-raw indices are brought into `1..count`. Then, so that the case never makes klpelf read
/// past the buffers, a claimed count larger than the sections provided is cut to them when both
/// indices are valid (klpelf must reject the others reading only the header and section 0), and
/// the section-name table's `sh_size` is set to the names provided.
#[derive(Debug, Clone)]
pub struct CopyCase {
    pub rare: Rare,
    pub hdr: Elf64_Ehdr,
    pub sections: Vec<Elf64_Shdr>,
    pub names: Vec<u8>,
    pub symndx: u32,
    pub symtab: u64,
}

/// Reads the fuzzer's bytes front to back; past the end everything is 0.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    /// At most `n` bytes: as many as are left.
    fn up_to(&mut self, n: usize) -> Vec<u8> {
        let m = n.min(self.0.len());
        let (taken, rest) = self.0.split_at(m);
        self.0 = rest;
        taken.to_vec()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = vec![0; n];
        let m = n.min(self.0.len());
        out[..m].copy_from_slice(&self.0[..m]);
        self.0 = &self.0[m..];
        out
    }
}

fn shdr_from(b: &[u8]) -> Elf64_Shdr {
    // SAFETY: a section header is 64 bytes of integers without padding.
    unsafe { from_bytes(b) }
}

/// Raw fields of a case before the fix-ups; [`CopyCase::encode`] writes them back.
#[derive(Debug, Clone, Default)]
pub struct RawCase {
    pub rare: u8,
    pub shape: u8,
    pub count: u64,
    pub shstrndx: u32,
    pub sym: u32,
    pub symtab: u64,
    pub names: Vec<u8>,
    pub hdr: Vec<u8>,
    pub sections: Vec<u8>,
}

impl RawCase {
    /// The raw case of a real module's tables (for seeds): every field raw, so that decoding gives
    /// the module's own numbering and indices back.
    pub fn of_tables(hdr: &[u8], sections: &[u8], names: &[u8], sym: u32) -> Self {
        let e_shnum = get_u16(hdr, 60).unwrap_or(0);
        let e_shstrndx = get_u16(hdr, 62).unwrap_or(0);
        let xnum = e_shnum == 0;
        let (count, shstrndx) = if xnum {
            (get_u64(sections, 32).unwrap_or(0), get_u32(sections, 40).unwrap_or(0))
        } else {
            (u64::from(e_shnum), u32::from(e_shstrndx))
        };
        RawCase {
            rare: 0,
            shape: 0b1110 | u8::from(xnum),
            count,
            shstrndx,
            sym,
            symtab: 0x7f00_1234_5000,
            names: names.to_vec(),
            hdr: hdr.to_vec(),
            sections: sections.to_vec(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.rare, self.shape];
        let n = (self.sections.len() / SHDR).clamp(1, MAX_SECTIONS);
        out.extend_from_slice(&((n - 1) as u16).to_le_bytes());
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.shstrndx.to_le_bytes());
        out.extend_from_slice(&self.sym.to_le_bytes());
        out.extend_from_slice(&self.symtab.to_le_bytes());
        let names = &self.names[..self.names.len().min(MAX_NAMES)];
        out.extend_from_slice(&(names.len() as u16).to_le_bytes());
        out.extend_from_slice(names);
        let mut hdr = self.hdr.clone();
        hdr.resize(EHDR, 0);
        out.extend_from_slice(&hdr);
        out.extend_from_slice(&self.sections[..(n * SHDR).min(self.sections.len())]);
        out
    }
}

impl CopyCase {
    pub fn decode(data: &[u8]) -> CopyCase {
        let mut r = Reader(data);
        let rare = match r.u8() {
            n @ 0xf0..=0xff => RARE.get(usize::from(n - 0xf0)).copied().unwrap_or(Rare::None),
            _ => Rare::None,
        };
        let shape = r.u8();
        let wanted = usize::from(r.u16()) % MAX_SECTIONS + 1;
        let raw_count = r.u64();
        let raw_shstrndx = r.u32();
        let raw_sym = r.u32();
        let symtab = r.u64();
        let names_len = usize::from(r.u16()) % (MAX_NAMES + 1);
        let names = r.up_to(names_len);
        let hdr_bytes = r.bytes(EHDR);
        // As many sections as the input holds (at least one, zero-filled when it holds none).
        let n = wanted.min(r.0.len().div_ceil(SHDR)).max(1);
        // SAFETY: an ELF header is 64 bytes of integers without padding.
        let mut hdr: Elf64_Ehdr = unsafe { from_bytes(&hdr_bytes) };
        let mut sections: Vec<Elf64_Shdr> =
            r.bytes(n * SHDR).chunks_exact(SHDR).map(shdr_from).collect();

        let xnum = shape & 1 != 0;
        let count = if shape & 2 != 0 { raw_count } else { n as u64 };
        let in_range = |raw: u32| if count >= 2 { 1 + u64::from(raw) % (count - 1) } else { 1 };
        let shstrndx =
            if shape & 4 != 0 { u64::from(raw_shstrndx) } else { in_range(raw_shstrndx) };
        let symndx = if shape & 8 != 0 { raw_sym } else { in_range(raw_sym) as u32 };
        if xnum {
            hdr.e_shnum = 0;
            hdr.e_shstrndx = SHN_XINDEX as u16;
            sections[0].sh_size = count;
            sections[0].sh_link = shstrndx as u32;
        } else {
            hdr.e_shnum = count as u16;
            hdr.e_shstrndx = shstrndx as u16;
        }

        // Never claim more sections than provided when klpelf would read them all.
        let (count, shstrndx) = numbering(&hdr, &sections[0]);
        let valid = |index: u64, count: u64| index != 0 && index < count;
        let reserved = (SHN_LORESERVE..SHN_XINDEX).contains(&u32::from(hdr.e_shstrndx));
        if count > n as u64
            && count <= u64::from(u32::MAX)
            && !reserved
            && valid(shstrndx, count)
            && valid(u64::from(symndx), count)
        {
            if hdr.e_shnum == 0 {
                sections[0].sh_size = n as u64;
            } else {
                hdr.e_shnum = n as u16;
            }
        }
        let (count, shstrndx) = numbering(&hdr, &sections[0]);
        if valid(shstrndx, count.min(n as u64)) {
            sections[shstrndx as usize].sh_size = match rare {
                Rare::HugeNames => isize::MAX as u64 + 1 + (symtab >> 1),
                _ => names.len() as u64,
            };
        }
        CopyCase { rare, hdr, sections, names, symndx, symtab }
    }

    /// What klpelf's documentation says `copy_module_elf()` returns for this case: `Ok((count,
    /// shstrndx))` or the errno, checked in klpelf's order.
    pub fn expected(&self) -> Result<(usize, usize), c_int> {
        match self.rare {
            Rare::NullMod | Rare::NullInfo => return Err(EINVAL),
            Rare::KlpInfoSet => return Err(EEXIST),
            Rare::NullHdr | Rare::NullSechdrs | Rare::NullSecstrings => return Err(EINVAL),
            _ => {}
        }
        let (count, shstrndx) = numbering(&self.hdr, &self.sections[0]);
        if count > u64::from(u32::MAX) {
            return Err(EINVAL);
        }
        if (SHN_LORESERVE..SHN_XINDEX).contains(&u32::from(self.hdr.e_shstrndx)) {
            return Err(EINVAL);
        }
        if shstrndx == 0 || shstrndx >= count || self.symndx == 0 || u64::from(self.symndx) >= count
        {
            return Err(EINVAL);
        }
        assert!(count as usize <= self.sections.len(), "a case that would read past its buffers");
        if self.sections[shstrndx as usize].sh_size > isize::MAX as u64 {
            return Err(EINVAL);
        }
        match self.rare {
            Rare::FailAlloc | Rare::MisalignedAlloc => Err(ENOMEM),
            _ => Ok((count as usize, shstrndx as usize)),
        }
    }

    /// Whether the kernel's code (the oracle) can run on this case: plain numbering, both indices
    /// real sections, nothing NULL.
    fn oracle_applies(&self) -> bool {
        let count = usize::from(self.hdr.e_shnum);
        let shstrndx = usize::from(self.hdr.e_shstrndx);
        self.rare == Rare::None
            && count != 0
            && (1..count).contains(&shstrndx)
            && (1..count).contains(&(self.symndx as usize))
    }
}

/// Target 2. Decodes `data` into a [`CopyCase`], runs klpelf's `copy_module_elf()` on it and checks
/// the result against [`CopyCase::expected`]; on success the copy must equal the tables (and the
/// oracle's copy, where the oracle applies) with only the redirect changed, and `free_module_elf()`
/// must release it (twice harmlessly). On failure nothing may change.
pub fn copy_structured(data: &[u8], oracle: Oracle) {
    let case = CopyCase::decode(data);
    // Exact-size boxes: AddressSanitizer sees any read past what the case provides.
    let hdr = Box::new(case.hdr);
    let sections: Box<[Elf64_Shdr]> = case.sections.clone().into_boxed_slice();
    let names: Box<[u8]> = case.names.clone().into_boxed_slice();
    let mut info_slot = InfoSlot::new(0x3c);
    let info = info_slot.get_mut();
    // Fields copy_module_elf must not read: poisoned pointers.
    info.name = 0x10 as *const c_char;
    info.strtab = 0x18 as *mut c_char;
    info.r#mod = 0x20 as *mut Module;
    info.hdr = match case.rare {
        Rare::NullHdr => ptr::null_mut(),
        _ => ptr::from_ref::<Elf64_Ehdr>(&hdr).cast_mut(),
    };
    info.sechdrs = match case.rare {
        Rare::NullSechdrs => ptr::null_mut(),
        _ => sections.as_ptr().cast_mut(),
    };
    info.secstrings = match case.rare {
        Rare::NullSecstrings => ptr::null_mut(),
        _ => names.as_ptr().cast_mut().cast(),
    };
    info.index.sym = case.symndx;
    let info_before = info_slot.bytes();
    let mut slot = ModuleSlot::new(0x77);
    slot.get_mut().core_kallsyms.symtab = case.symtab as *mut Elf64_Sym;
    if case.rare == Rare::KlpInfoSet {
        slot.get_mut().klp_info = 0x40 as *mut KlpModinfo; // -EEXIST: never dereferenced
    }
    let module_before = slot.bytes();
    let alloc = match case.rare {
        Rare::FailAlloc => AllocMode::Fail,
        Rare::MisalignedAlloc => AllocMode::Misaligned,
        _ => AllocMode::Normal,
    };
    let mod_ptr = if case.rare == Rare::NullMod { ptr::null_mut() } else { slot.ptr() };
    let info_ptr = if case.rare == Rare::NullInfo { ptr::null_mut() } else { info_slot.ptr() };

    let expected = case.expected();
    // SAFETY: every non-NULL pointer is valid for what the case announces (decode made sure).
    let (rc, message) = with_allocator(alloc, || unsafe { copy_module_elf(mod_ptr, info_ptr) });
    assert_eq!(info_slot.bytes(), info_before, "copy_module_elf changed *info");
    let (count, shstrndx) = match expected {
        Err(errno) => {
            assert_eq!(rc, errno, "copy_module_elf on {case:?}: {message:?}");
            assert!(message.is_some(), "a failure sets a message");
            assert_eq!(slot.bytes(), module_before, "a failed copy changed *mod");
            return;
        }
        Ok(numbering) => numbering,
    };
    assert_eq!(rc, 0, "copy_module_elf: {message:?}");
    assert_eq!(message, None);
    let mut rest = slot.bytes();
    rest[offset_of!(Module, klp_info)..][..8].fill(0);
    assert_eq!(rest, module_before, "copy_module_elf changed *mod beyond klp_info");
    let module = slot.get();
    let names_len = sections[shstrndx].sh_size as usize;
    assert_eq!(names_len, names.len());
    assert_eq!(module.klp_info as usize % 8, 0, "klp_info aligned");
    // SAFETY: klpelf made klp_info with `count` headers and `names_len` name bytes.
    let (k, copied, copied_names) = unsafe {
        let k = &*module.klp_info;
        (
            k,
            std::slice::from_raw_parts(k.sechdrs, count),
            std::slice::from_raw_parts(k.secstrings.cast::<u8>(), names_len),
        )
    };
    let symtab = module.core_kallsyms.symtab;
    let hdr_bytes = bytes_of::<Elf64_Ehdr>(&hdr);
    assert_copy(
        k,
        hdr_bytes,
        &sections[..count],
        &names,
        case.symndx,
        symtab,
        copied,
        copied_names,
    );

    if case.oracle_applies() {
        let mut theirs = ModuleSlot::new(0x77);
        theirs.get_mut().core_kallsyms.symtab = symtab;
        // SAFETY: the oracle's preconditions hold (plain numbering, indices in range, buffers of
        // the announced sizes); it reads only what klpelf read.
        assert_eq!(unsafe { (oracle.copy)(theirs.ptr(), info_slot.ptr()) }, 0, "the oracle");
        // SAFETY: the oracle made `count` headers and the names in three blocks.
        unsafe {
            let o = &*theirs.get().klp_info;
            assert_eq!(bytes_of(&o.hdr), bytes_of(&k.hdr), "oracle vs klpelf: header");
            assert_eq!(o.symndx, k.symndx, "oracle vs klpelf: symndx");
            let their_shdrs = std::slice::from_raw_parts(o.sechdrs, count);
            for (i, (a, b)) in copied.iter().zip(their_shdrs).enumerate() {
                assert_eq!(bytes_of(a), bytes_of(b), "oracle vs klpelf: section header {i}");
            }
            let their_names = std::slice::from_raw_parts(o.secstrings.cast::<u8>(), names_len);
            assert_eq!(copied_names, their_names, "oracle vs klpelf: section names");
            (oracle.free)(theirs.ptr());
        }
    }

    // SAFETY: klp_info was made by copy_module_elf.
    unsafe { free_module_elf(slot.ptr()) };
    assert_eq!(slot.bytes(), module_before, "free_module_elf clears klp_info only");
    // SAFETY: klp_info is NULL now: harmless.
    unsafe { free_module_elf(slot.ptr()) };
    assert!(slot.get().klp_info.is_null());
}

// ------------------------------------------------------------------------------------------------
// Target 3: the .modinfo reader and the signature trailer
// ------------------------------------------------------------------------------------------------

/// The parts of a target-3 input. Byte format: `tag length` (u8), the tag, `.modinfo length`
/// (u16), the section's bytes (as many as there are), then the trailer (everything left), appended
/// after the module.
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
        (1, 1, SHF_ALLOC, info, 0, 0),
        (10, 1, SHF_ALLOC | 1, this_module, 0, 0),
        (36, SHT_SYMTAB, 0, symtab, 4, SYM as u64),
        (44, 3, 0, strtab, 0, 0),
        (52, 3, 0, shstrtab, 0, 0),
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
    let e_ident =
        [0x7f, b'E', b'L', b'F', 2, if cfg!(target_endian = "little") { 1 } else { 2 }, 1];
    image[..7].copy_from_slice(&e_ident);
    image[16..18].copy_from_slice(&1u16.to_ne_bytes()); // ET_REL
    image[18..20].copy_from_slice(&host_machine().to_ne_bytes());
    image[20..24].copy_from_slice(&1u32.to_ne_bytes());
    image[40..48].copy_from_slice(&shoff.to_ne_bytes());
    image[52..54].copy_from_slice(&(EHDR as u16).to_ne_bytes());
    image[58..60].copy_from_slice(&(SHDR as u16).to_ne_bytes());
    image[60..62].copy_from_slice(&6u16.to_ne_bytes());
    image[62..64].copy_from_slice(&5u16.to_ne_bytes());
    image
}

fn host_machine() -> u16 {
    if cfg!(target_arch = "x86_64") {
        62
    } else if cfg!(target_arch = "aarch64") {
        183
    } else if cfg!(target_arch = "riscv64") {
        243
    } else if cfg!(target_arch = "powerpc64") {
        21
    } else if cfg!(target_arch = "s390x") {
        22
    } else {
        258 // loongarch64; other hosts skip target 3's setup half
    }
}

/// Target 3. The `.modinfo` bytes and the tag go through `klpelf::modinfo` directly and through
/// `klpelf_get_modinfo()` on a module built around them (which setup must accept, whatever the
/// section holds); the whole signed-or-not file goes through `klpelf_module_signature()` and setup's
/// stripping. Everything is compared with the kernel models above.
pub fn modinfo_signature(data: &[u8]) {
    let case = ModinfoCase::decode(data);
    let section = &case.modinfo[..];

    // The Rust reader: entries and find, against the model.
    let found = klpelf::modinfo::find(section, &case.tag);
    assert_eq!(found, model_modinfo(section, &case.tag), "modinfo::find({:?})", case.tag);
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

    // The C API on a module built around the section, signed (or not) by the trailer.
    let mut file = module_around(section);
    let elf_len = file.len();
    file.extend_from_slice(&case.trailer);
    let image = ExactImage::new(&file);
    let mut signature = KlpelfSignature { sig_offset: 7, sig_len: 7, ..Default::default() };
    // SAFETY: the image is `len` readable bytes; `signature` is writable.
    let rc = unsafe { klpelf_module_signature(image.ptr().cast(), image.len(), &mut signature) };
    match model_signature(&file) {
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
    let Some(expected_len) = (match model_elf_len(&file) {
        Ok(len) => Some(len),
        Err(errno) => {
            assert!(matches!(setup(&image, 0), Outcome::Rejected(rc, _) if rc == errno));
            None
        }
    }) else {
        return;
    };
    let info = match setup(&image, 0) {
        Outcome::Accepted(info) => info,
        Outcome::Rejected(rc, message) => {
            // Only a signature that cuts into the module may make it unacceptable.
            assert!(expected_len < elf_len, "setup rejected a good module ({rc}): {message}");
            return;
        }
    };
    assert_eq!(info.len as usize, expected_len, "setup's ELF part");
    if expected_len != elf_len || cfg!(not(any(target_arch = "x86_64", target_arch = "aarch64"))) {
        return; // a truncated module that still passes says nothing about .modinfo
    }
    assert_eq!(info.index.info, MODINFO_INDEX);
    let modinfo_at = EHDR; // the section follows the header, already 8-aligned
    let mut tags = vec![b"name".to_vec(), b"livepatch".to_vec(), b"license".to_vec()];
    let c_tag = case.tag.iter().position(|&b| b == 0).map_or(&case.tag[..], |n| &case.tag[..n]);
    tags.push(c_tag.to_vec());
    for tag in tags {
        let c = CString::new(tag.clone()).expect("no NUL inside");
        // SAFETY: setup's info with the image live; `c` is a C string.
        let value = unsafe { klpelf_get_modinfo(&info, c.as_ptr()) };
        assert_eq!(last_error(), None, "klpelf_get_modinfo on setup's info");
        let expected =
            model_modinfo(section, &tag).map(|r| image.ptr() as usize + modinfo_at + r.start);
        assert_eq!((!value.is_null()).then_some(value as usize), expected, "tag {tag:?}");
        if tag == b"name" {
            assert_eq!(info.name, value, "info->name is the name= value");
        }
    }
}
