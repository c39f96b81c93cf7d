//! Bench-only support for klpelf's criterion benches (`benches/klpelf.rs`):
//!
//! - [`copy`]: the C baselines of the `copy` group — the kernel's `copy_module_elf()` /
//!   `free_module_elf()` as plain C, and the floor (one malloc, one memcpy, one free);
//! - [`libelf`]: elfutils libelf doing the `ingest` group's work (only with libelf-dev installed);
//! - [`libcrypto`]: OpenSSL's `CMS_verify()` checking a module signature (only with libssl-dev);
//! - [`kernel_relocs`]: the kernel's own `__write_relocate_add()` for the `relocs` group (only with
//!   a kernel source tree at build time);
//! - [`objects`]: builds the module-shaped objects the `ingest` and `pipeline` groups read, with the
//!   system C compiler, at bench time;
//! - [`Image`]: an object file's bytes in an 8-aligned buffer, as a loader would hold them;
//! - [`files_under`]: the files of a downloaded package, by name;
//! - [`goblin`]: goblin with the features its `Elf::parse` needs.
//!
//! The C is compiled `-O2` by this crate's `build.rs`. The module and load-info arguments are
//! untyped here (klpelf's `struct module` / `struct load_info`, declared in `include/klpelf.h`) so
//! that this crate does not depend on klpelf.

use std::ffi::c_void;
use std::fs;

/// goblin with its full ELF parser (`goblin::elf::Elf::parse`), for the `goblin` ingest variant.
pub use goblin;
use std::io;
use std::path::{Path, PathBuf};

/// The C baselines of the `copy` group: the kernel's code is the C tests' oracle
/// (`c_tests/support/oracle.c`), the floor is `c/copy_baselines.c`.
pub mod copy {
    use std::ffi::{c_int, c_void};

    extern "C" {
        /// The kernel's `copy_module_elf()` as plain C. `module` is a `struct module *`, `info` a
        /// `struct load_info *` (klpelf's layouts); reads `e_shnum` / `e_shstrndx` like the kernel.
        #[link_name = "oracle_copy_module_elf"]
        pub fn kc_copy_module_elf(module: *mut c_void, info: *mut c_void) -> c_int;
        /// The same, with the count and name-table index read from section 0 (extended numbering).
        #[link_name = "oracle_copy_module_elf_xnum"]
        pub fn kc_copy_module_elf_xnum(module: *mut c_void, info: *mut c_void) -> c_int;
        /// The kernel's `free_module_elf()`: three frees.
        #[link_name = "oracle_free_module_elf"]
        pub fn kc_free_module_elf(module: *mut c_void);
        /// `malloc(alloc_size)` then `memcpy(block, src, copy_size)`; NULL when malloc fails.
        pub fn floor_copy(src: *const c_void, alloc_size: usize, copy_size: usize) -> *mut c_void;
        /// `free(block)`.
        pub fn floor_free(block: *mut c_void);
    }
}

/// The kernel's `__write_relocate_add()`, cut from `arch/x86/kernel/module.c` of a kernel source
/// tree by `build.rs` and compiled unmodified (`c/kernel_relocs.c`); without a source,
/// [`kernel_relocs::write_relocate_add`] returns `None`.
pub mod kernel_relocs {
    use std::ffi::c_void;

    /// Whether the kernel's function was compiled in.
    pub const AVAILABLE: bool = cfg!(klpelf_bench_kernel_relocs);

    #[cfg(klpelf_bench_kernel_relocs)]
    extern "C" {
        fn kernel_write_relocate_add(
            sechdrs: *mut c_void,
            symindex: u32,
            relsec: u32,
            apply: std::ffi::c_int,
        ) -> std::ffi::c_int;
    }

    /// The kernel's `__write_relocate_add(sechdrs, NULL, symindex, relsec, me, memcpy, apply)`:
    /// its return value, or `None` when it was not compiled in.
    ///
    /// # Safety
    /// `sechdrs` must be an `Elf64_Shdr` array whose sections `symindex`, `relsec` and its
    /// `sh_info` have `sh_addr` pointing at their bytes, every relocation in bounds (the kernel
    /// checks none of it).
    pub unsafe fn write_relocate_add(
        sechdrs: *mut c_void,
        symindex: u32,
        relsec: u32,
        apply: bool,
    ) -> Option<i32> {
        #[cfg(klpelf_bench_kernel_relocs)]
        // SAFETY: the caller's contract is the kernel function's.
        return Some(unsafe { kernel_write_relocate_add(sechdrs, symindex, relsec, apply.into()) });
        #[cfg(not(klpelf_bench_kernel_relocs))]
        {
            let _ = (sechdrs, symindex, relsec, apply);
            None
        }
    }
}

/// The indices the libelf baseline finds; mirrors `struct libelf_index` in `c/libelf_ingest.c`.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LibelfIndex {
    /// Section count (`elf_getshdrnum`).
    pub shnum: usize,
    /// Section-name table index (`elf_getshdrstrndx`).
    pub shstrndx: usize,
    /// The `SHT_SYMTAB` section.
    pub sym: u32,
    /// The symbol table's `sh_link`.
    pub str: u32,
    /// `.gnu.linkonce.this_module`.
    pub module: u32,
    /// The first `SHF_ALLOC` `__versions`, 0 if none.
    pub vers: u32,
    /// `.modinfo`, 0 if none.
    pub info: u32,
}

/// elfutils libelf doing the `ingest` work (`c/libelf_ingest.c`). Compiled in only when the build
/// found `<libelf.h>` ([`libelf::AVAILABLE`]); without it [`libelf::ingest`] returns `None`.
pub mod libelf {
    use super::{Image, LibelfIndex};

    /// Whether the libelf baseline was compiled in (libelf-dev was installed at build time).
    pub const AVAILABLE: bool = cfg!(klpelf_bench_libelf);

    #[cfg(klpelf_bench_libelf)]
    mod sys {
        use super::LibelfIndex;
        use std::ffi::{c_int, c_void};

        extern "C" {
            pub fn libelf_bench_init() -> c_int;
            pub fn libelf_ingest(image: *mut c_void, len: usize, out: *mut LibelfIndex) -> c_int;
        }
    }

    /// Initialises libelf (`elf_version(EV_CURRENT)`); call once before [`ingest`].
    pub fn init() {
        #[cfg(klpelf_bench_libelf)]
        {
            // SAFETY: elf_version has no preconditions.
            let rc = unsafe { sys::libelf_bench_init() };
            assert_eq!(rc, 0, "libelf refused EV_CURRENT");
        }
    }

    /// Opens `image` with `elf_memory`, reads the section count and name-table index, finds the
    /// symbol table, `.modinfo`, `.gnu.linkonce.this_module` and `__versions` in one pass, and
    /// closes it. `None` when libelf reports an error or was not compiled in.
    pub fn ingest(image: &mut Image) -> Option<LibelfIndex> {
        #[cfg(klpelf_bench_libelf)]
        {
            let mut out = LibelfIndex::default();
            // SAFETY: the image is `len()` readable bytes that libelf may use in place until
            // elf_end, which libelf_ingest calls before returning; `out` is a valid LibelfIndex.
            let rc = unsafe { sys::libelf_ingest(image.as_mut_ptr(), image.len(), &mut out) };
            (rc == 0).then_some(out)
        }
        #[cfg(not(klpelf_bench_libelf))]
        {
            let _ = image;
            None
        }
    }
}

/// libcrypto's `CMS_verify()` checking a module signature (`c/cms_verify.c`). Compiled in only
/// when the build found OpenSSL's headers ([`libcrypto::AVAILABLE`]).
pub mod libcrypto {
    /// Whether the libcrypto baseline was compiled in (libssl-dev was installed at build time).
    pub const AVAILABLE: bool = cfg!(klpelf_bench_libcrypto);

    #[cfg(klpelf_bench_libcrypto)]
    mod sys {
        use std::ffi::c_int;

        extern "C" {
            pub fn cms_bench_init(der: *const u8, len: usize) -> c_int;
            pub fn cms_bench_verify(content: *const u8, len: usize, sig: *const u8, sig_len: usize)
                -> c_int;
        }
    }

    /// Adds a DER certificate to the set the signatures are checked against; false when it does
    /// not parse or the baseline was not compiled in.
    pub fn add_cert(der: &[u8]) -> bool {
        #[cfg(klpelf_bench_libcrypto)]
        {
            // SAFETY: `der` is readable for its length; the C side copies what it keeps.
            unsafe { sys::cms_bench_init(der.as_ptr(), der.len()) == 0 }
        }
        #[cfg(not(klpelf_bench_libcrypto))]
        {
            let _ = der;
            false
        }
    }

    /// `CMS_verify()` of the PKCS#7 message `sig` over `content`: true when it verifies.
    pub fn verify(content: &[u8], sig: &[u8]) -> bool {
        #[cfg(klpelf_bench_libcrypto)]
        {
            // SAFETY: both slices are readable for their lengths; nothing is kept.
            unsafe { sys::cms_bench_verify(content.as_ptr(), content.len(), sig.as_ptr(), sig.len()) == 1 }
        }
        #[cfg(not(klpelf_bench_libcrypto))]
        {
            let _ = (content, sig);
            false
        }
    }
}

/// Every file below `dir` whose path ends with `suffix`, sorted: the benches and the tests look for
/// a downloaded package's files with it.
pub fn files_under(dir: &std::path::Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// An object file's bytes in an 8-aligned buffer (klpelf's setup requires an aligned image, and a
/// loader's buffer from malloc or mmap is one).
pub struct Image {
    words: Vec<u64>,
    len: usize,
}

impl Image {
    /// Copies `bytes` into a fresh aligned buffer.
    pub fn new(bytes: &[u8]) -> Self {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        // SAFETY: `words` has at least `bytes.len()` bytes, and a fresh Vec cannot overlap `bytes`.
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                words.as_mut_ptr().cast::<u8>(),
                bytes.len(),
            )
        };
        Image { words, len: bytes.len() }
    }

    /// A zero-filled aligned buffer of `len` bytes.
    pub fn zeroed(len: usize) -> Self {
        Image { words: vec![0u64; len.div_ceil(8)], len }
    }

    /// Reads a file into an aligned buffer.
    pub fn from_file(path: &Path) -> io::Result<Self> {
        Ok(Image::new(&fs::read(path)?))
    }

    /// The image's bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the buffer holds `len` initialised bytes (u64s are plain bytes).
        unsafe { std::slice::from_raw_parts(self.words.as_ptr().cast::<u8>(), self.len) }
    }

    /// The start of the image, 8-aligned.
    pub fn as_mut_ptr(&mut self) -> *mut c_void {
        self.words.as_mut_ptr().cast()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the image is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Builds the objects the `ingest` and `pipeline` groups read, with the system C compiler (`$CC`,
/// else `cc`).
pub mod objects {
    use super::*;
    use std::process::Command;

    /// The section count of the large object: the most plain ELF numbering allows (0xff00 - 1).
    pub const MANY_SECTIONS: usize = 65_279;
    /// Sections of `tests/fixtures/bench/many_sections.S` besides the repeated ones (see its comment).
    const MANY_FIXED_SECTIONS: usize = 11;

    /// Where the objects were built.
    pub struct Objects {
        /// `tests/fixtures/bench/module.c` compiled like a kbuild module: about 90 sections.
        pub module: PathBuf,
        /// `tests/fixtures/bench/many_sections.S` assembled: [`MANY_SECTIONS`] sections.
        pub many: PathBuf,
    }

    fn sources() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/bench")
    }

    fn run(cmd: &mut Command) -> io::Result<()> {
        let status = cmd.status()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("{cmd:?} failed: {status}")))
        }
    }

    /// Compiles both objects into `out` (created if needed).
    pub fn build(out: &Path) -> io::Result<Objects> {
        fs::create_dir_all(out)?;
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
        let module = out.join("klpelf_bench_mod.o");
        run(Command::new(&cc)
            .args(["-O2", "-c", "-ffunction-sections", "-fdata-sections"])
            .args(["-fno-asynchronous-unwind-tables", "-fno-pic", "-fno-stack-protector"])
            .arg(sources().join("module.c"))
            .arg("-o")
            .arg(&module))?;
        let many = out.join("klpelf_bench_many.o");
        run(Command::new(&cc)
            .arg("-c")
            .arg(format!("-DNSECS={}", MANY_SECTIONS - MANY_FIXED_SECTIONS))
            .arg(sources().join("many_sections.S"))
            .arg("-o")
            .arg(&many))?;
        Ok(Objects { module, many })
    }

    /// The section count in an ELF64 header (`e_shnum`, bytes 60..62, host byte order).
    pub fn section_count(image: &[u8]) -> usize {
        usize::from(u16::from_ne_bytes([image[60], image[61]]))
    }
}
