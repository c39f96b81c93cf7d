//! klpelf's C API called from Rust: error codes, the last error, C strings, storage for the
//! caller's `struct load_info` and `struct module` with every byte initialised (so that a failed
//! call can be shown to have left every byte alone), and `klpelf_setup_load_info()` with its
//! verdict.

use std::ffi::{c_char, c_int, CStr};
use std::mem::{offset_of, MaybeUninit};
use std::ptr;

use klpelf::check_id::KlpelfCheck;
use klpelf::ffi::{klpelf_last_error, klpelf_last_error_check, klpelf_setup_load_info};
use klpelf::layout::{LoadInfo, Module};

use super::elf::Elf;
use super::image::Image;

pub const EINVAL: c_int = -libc::EINVAL;
pub const EEXIST: c_int = -libc::EEXIST;
pub const ENOMEM: c_int = -libc::ENOMEM;
pub const ENOEXEC: c_int = -libc::ENOEXEC;
pub const EBADMSG: c_int = -libc::EBADMSG;
pub const ENODATA: c_int = -libc::ENODATA;
pub const ENOPKG: c_int = -libc::ENOPKG;
pub const ENAMETOOLONG: c_int = -libc::ENAMETOOLONG;

/// The calling thread's `klpelf_last_error()`, if any.
pub fn last_error() -> Option<String> {
    let message = klpelf_last_error();
    // SAFETY: a non-NULL result is klpelf's NUL-terminated message, read before the next call.
    (!message.is_null()).then(|| unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned())
}

/// A string klpelf hands out (NULL or NUL-terminated inside a live image), as UTF-8.
pub fn c_str(p: *const c_char) -> Option<String> {
    // SAFETY: klpelf hands out NULL or NUL-terminated strings inside the live image.
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned())
}

/// Storage for a `struct load_info`, every byte initialised to `fill` (`sig_ok` true).
pub struct InfoSlot([u64; size_of::<LoadInfo>() / 8]);

impl InfoSlot {
    pub fn new(fill: u8) -> Self {
        let mut slot = InfoSlot([u64::from_ne_bytes([fill; 8]); size_of::<LoadInfo>() / 8]);
        // SAFETY: the words are initialised bytes, borrowed mutably with `slot`.
        let bytes: &mut [u8] = unsafe {
            std::slice::from_raw_parts_mut(slot.0.as_mut_ptr().cast(), size_of::<LoadInfo>())
        };
        bytes[offset_of!(LoadInfo, sig_ok)] = 1;
        slot
    }

    pub fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    pub fn ptr(&mut self) -> *mut LoadInfo {
        self.0.as_mut_ptr().cast()
    }

    pub fn get_mut(&mut self) -> &mut LoadInfo {
        // SAFETY: 8-aligned storage of the right size; `sig_ok` is 1, other fields take any bits.
        unsafe { &mut *self.0.as_mut_ptr().cast::<LoadInfo>() }
    }
}

/// Storage for a `struct module`, every byte initialised (so that byte comparisons are sound):
/// `fill` everywhere except `klp` (0), `klp_alive` (1), `klp_info` and `core_kallsyms` (NULL).
pub struct ModuleSlot([u64; size_of::<Module>() / 8]);

impl ModuleSlot {
    pub fn new(fill: u8) -> Self {
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
    pub fn bytes(&self) -> Vec<u8> {
        self.0.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    pub fn ptr(&mut self) -> *mut Module {
        self.0.as_mut_ptr().cast()
    }

    pub fn get(&self) -> &Module {
        // SAFETY: 8-aligned storage of the right size; the bools are 0 or 1 (set in `new`, written
        // as bools by klpelf), every other field accepts any bits.
        unsafe { &*self.0.as_ptr().cast::<Module>() }
    }

    pub fn get_mut(&mut self) -> &mut Module {
        // SAFETY: as in `get`.
        unsafe { &mut *self.0.as_mut_ptr().cast::<Module>() }
    }
}

/// A `struct module` as a C caller declares one: all zeros.
pub fn zeroed_module() -> Module {
    // SAFETY: every field of struct module (bytes, integers, pointers, bools) is valid as zeros.
    unsafe { MaybeUninit::<Module>::zeroed().assume_init() }
}

/// `mod->name` up to its NUL.
pub fn module_name(module: &Module) -> String {
    let bytes: Vec<u8> = module.name.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8(bytes).unwrap()
}

/// Runs setup on `image`; Ok with the filled `load_info`, or Err with the code and message after
/// asserting that the caller's `load_info` is byte-for-byte untouched.
pub fn setup(image: &Image, flags: u32) -> Result<LoadInfo, (c_int, String)> {
    let mut slot = InfoSlot::new(0xa5);
    let before = slot.bytes();
    // SAFETY: the slot is writable storage for a load_info; the image is `len` readable bytes.
    let rc = unsafe { klpelf_setup_load_info(slot.ptr(), image.ptr(), image.len(), flags) };
    if rc == 0 {
        assert_eq!(last_error(), None, "a successful setup leaves no message");
        // SAFETY: a successful setup wrote a whole load_info into the slot.
        Ok(unsafe { ptr::read(slot.ptr()) })
    } else {
        assert_eq!(slot.bytes(), before, "a failed setup changed *info");
        Err((rc, last_error().expect("a failed setup sets a message")))
    }
}

pub fn setup_ok(image: &Image, flags: u32) -> LoadInfo {
    setup(image, flags).unwrap_or_else(|(rc, message)| panic!("setup failed ({rc}): {message}"))
}

/// Asserts that setup rejects `bytes` with `errno` by `check` (`klpelf_last_error_check()`), with
/// a message that starts with the kernel function behind the check and mentions each of
/// `mentions` (the section and the values involved).
pub fn rejected_as(
    bytes: &[u8],
    flags: u32,
    errno: c_int,
    check: KlpelfCheck,
    mentions: &[&str],
) -> String {
    let Err((rc, message)) = setup(&Image::new(bytes), flags) else {
        panic!("setup must fail");
    };
    assert_eq!(rc, errno, "{message}");
    assert_eq!(klpelf_last_error_check(), check, "{message}");
    let function = check.kernel_function();
    let prefix = if check == KlpelfCheck::None {
        String::new()
    } else if check.is_kernels() {
        format!("{function}: ")
    } else if function.is_empty() {
        "klpelf needs 8-byte aligned tables: ".to_owned()
    } else {
        format!("{function} would read out of bounds: ")
    };
    assert!(message.starts_with(&prefix), "expected {prefix:?} in {message:?}");
    for mention in mentions {
        assert!(message.contains(mention), "{message:?} does not mention {mention:?}");
    }
    message
}

/// Setup rejects `elf` (flags 0) with `-ENOEXEC` by `check`; see [`rejected_as`].
pub fn rejected(elf: &Elf, check: KlpelfCheck, mentions: &[&str]) -> String {
    rejected_as(&elf.0, 0, ENOEXEC, check, mentions)
}
