//! The C-visible data layouts: the kernel's `struct klp_modinfo`, `struct mod_kallsyms` and
//! `struct load_info` (v6.14 field order), klpelf's own minimal `struct module`, and
//! `struct klpelf_signature`, what klpelf reports about an appended module signature.
//!
//! The `Elf64_*` records are goblin's `#[repr(C)]` types; in C they are the `<elf.h>` typedefs of the
//! same name, which the header includes rather than redefines.

use core::ffi::{c_char, c_uchar, c_uint, c_ulong};

/// The ELF file header (`Elf64_Ehdr` of `<elf.h>`).
#[allow(non_camel_case_types)]
pub type Elf64_Ehdr = goblin::elf64::header::Header;
/// An ELF section header (`Elf64_Shdr` of `<elf.h>`).
#[allow(non_camel_case_types)]
pub type Elf64_Shdr = goblin::elf64::section_header::SectionHeader;
/// An ELF symbol (`Elf64_Sym` of `<elf.h>`).
#[allow(non_camel_case_types)]
pub type Elf64_Sym = goblin::elf64::sym::Sym;

/// An ELF relocation with addend (`Elf64_Rela` of `<elf.h>`).
#[allow(non_camel_case_types)]
pub type Elf64_Rela = goblin::elf64::reloc::Rela;

/// The section index of a livepatch symbol (`st_shndx`), which livepatch resolves itself: the
/// kernel's `SHN_LIVEPATCH` (uapi `<linux/elf.h>`), under klpelf's name so that it cannot clash
/// with that header. 0xff20.
pub const SHN_LIVEPATCH: u32 = 0xff20;
/// The section flag (`sh_flags`) of a livepatch relocation section, `.klp.rela.<objname>.<section>`:
/// the kernel's `SHF_RELA_LIVEPATCH` (uapi `<linux/elf.h>`), under klpelf's name. 0x00100000.
pub const SHF_RELA_LIVEPATCH: u64 = 0x0010_0000;

/// The host's `e_machine`, the one the kernel's `elf_check_arch()` accepts.
#[cfg(target_arch = "x86_64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_X86_64;
#[cfg(target_arch = "aarch64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_AARCH64;
#[cfg(target_arch = "riscv64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_RISCV;
#[cfg(target_arch = "powerpc64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_PPC64;
#[cfg(target_arch = "s390x")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_S390;
#[cfg(target_arch = "loongarch64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_LOONGARCH;
#[cfg(target_arch = "mips64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_MIPS;
#[cfg(target_arch = "sparc64")]
pub(crate) const HOST_MACHINE: u16 = goblin::elf::header::EM_SPARCV9;
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "riscv64",
    target_arch = "powerpc64",
    target_arch = "s390x",
    target_arch = "loongarch64",
    target_arch = "mips64",
    target_arch = "sparc64"
)))]
compile_error!("klpelf does not know this architecture's ELF machine number");

/// The host's ELF data encoding.
#[cfg(target_endian = "little")]
pub(crate) const HOST_DATA: u8 = goblin::elf::header::ELFDATA2LSB;
#[cfg(target_endian = "big")]
pub(crate) const HOST_DATA: u8 = goblin::elf::header::ELFDATA2MSB;

/// Length of `struct module`'s `name`, including the terminating NUL: `64 - sizeof(unsigned long)`,
/// as in the kernel on 64-bit hosts (the kernel's `MODULE_NAME_LEN`).
pub const MODULE_NAME_LEN: usize = 56;

/// Longest symbol name the kernel handles, with its NUL (the kernel's `KSYM_NAME_LEN`): the
/// livepatch symbol-name format reads at most `KSYM_NAME_LEN - 1` bytes of it.
pub const KSYM_NAME_LEN: usize = 512;

/// The ELF information a livepatch module keeps for its lifetime (the kernel's `struct klp_modinfo`,
/// 88 bytes). Filled by `copy_module_elf()`, released by `free_module_elf()`.
#[repr(C)]
pub struct KlpModinfo {
    /// A copy of the module's ELF header.
    pub hdr: Elf64_Ehdr,
    /// A copy of the section header table (`hdr.e_shnum` entries, or `sechdrs[0].sh_size` entries under
    /// extended numbering), with `sechdrs[symndx].sh_addr` pointing at `core_kallsyms.symtab`.
    pub sechdrs: *mut Elf64_Shdr,
    /// A copy of the section-name string table (`sechdrs[e_shstrndx].sh_size` bytes).
    pub secstrings: *mut c_char,
    /// Index of the symbol table section.
    pub symndx: c_uint,
}

/// The symbol table a module keeps after init (the kernel's `struct mod_kallsyms`, 32 bytes).
#[repr(C)]
pub struct ModKallsyms {
    /// The symbols; for livepatch modules every symbol of the image, in its original order.
    pub symtab: *mut Elf64_Sym,
    /// Number of entries in `symtab`.
    pub num_symtab: c_uint,
    /// The symbol string table that `symtab[i].st_name` indexes.
    pub strtab: *mut c_char,
    /// One symbol type character per symbol (as `nm` prints them); may be NULL.
    pub typetab: *mut c_char,
}

/// klpelf's own minimal module: the members of the kernel's `struct module` that the livepatch ELF
/// persistence uses, in the kernel's order. It is not the kernel's `struct module` (whose layout
/// depends on the kernel's configuration); start it zeroed.
#[repr(C)]
pub struct Module {
    /// The module's name, NUL-terminated.
    pub name: [c_char; MODULE_NAME_LEN],
    /// The symbol table kept for the module's lifetime; `copy_module_elf()` points the copied symbol
    /// table section's `sh_addr` at `core_kallsyms.symtab`.
    pub core_kallsyms: ModKallsyms,
    /// True for a livepatch module (its `.modinfo` carries `livepatch=`).
    pub klp: bool,
    /// True while the livepatch is enabled (kept for layout parity; klpelf does not use it).
    pub klp_alive: bool,
    /// The persisted ELF information: NULL until `copy_module_elf()` succeeds, NULL again after
    /// `free_module_elf()`.
    pub klp_info: *mut KlpModinfo,
}

/// Section indices found while checking the image (the kernel's anonymous `index` member of
/// `struct load_info`, named here so that C reads `info->index.sym` as in the kernel).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct LoadInfoIndex {
    /// The symbol table section (`SHT_SYMTAB`).
    pub sym: c_uint,
    /// The symbol string table section (the symbol table's `sh_link`).
    pub str: c_uint,
    /// The `.gnu.linkonce.this_module` section.
    pub r#mod: c_uint,
    /// The `__versions` section, 0 if absent.
    pub vers: c_uint,
    /// The `.modinfo` section, 0 if absent.
    pub info: c_uint,
    /// The `.data..percpu` section, 0 if absent.
    pub pcpu: c_uint,
    /// The `__version_ext_crcs` section, 0 if absent.
    pub vers_ext_crc: c_uint,
    /// The `__version_ext_names` section, 0 if absent.
    pub vers_ext_name: c_uint,
}

/// A module image being loaded (the kernel's `struct load_info`, v6.14 field order, with
/// `CONFIG_KALLSYMS` and without `CONFIG_MODULE_DECOMPRESS`). `copy_module_elf()` reads only `hdr`,
/// `sechdrs`, `secstrings` and `index.sym`.
#[repr(C)]
pub struct LoadInfo {
    /// The module's name (from `.modinfo`'s `name=` tag).
    pub name: *const c_char,
    /// The module being loaded.
    pub r#mod: *mut Module,
    /// The image's ELF header.
    pub hdr: *mut Elf64_Ehdr,
    /// Length of the image in bytes.
    pub len: c_ulong,
    /// The image's section header table.
    pub sechdrs: *mut Elf64_Shdr,
    /// The section-name string table (section `hdr->e_shstrndx`).
    pub secstrings: *mut c_char,
    /// The symbol string table (section `index.str`).
    pub strtab: *mut c_char,
    /// Offset of the core symbol table in the module's core allocation.
    pub symoffs: c_ulong,
    /// Offset of the core string table in the module's core allocation.
    pub stroffs: c_ulong,
    /// Offset of the init symbol type table.
    pub init_typeoffs: c_ulong,
    /// Offset of the core symbol type table.
    pub core_typeoffs: c_ulong,
    /// True when the module's signature was verified.
    pub sig_ok: bool,
    /// Offset of the init `struct mod_kallsyms`.
    pub mod_kallsyms_init_off: c_ulong,
    /// Indices of the sections the loader needs.
    pub index: LoadInfoIndex,
}

/// An appended module signature, as `klpelf_module_signature()` reports it. A signed module file is
/// the ELF part, then the signature (a PKCS#7 message), then the 12-byte `struct module_signature`,
/// then the 28-byte marker `"~Module signature appended~\n"`, as the kernel's `scripts/sign-file`
/// writes it. klpelf reports only PKCS#7 signatures (the only kind the kernel accepts); it does not
/// verify them.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KlpelfSignature {
    /// Offset of the signature in the image. The module's ELF part is the `sig_offset` bytes before
    /// it: the `len` that `klpelf_setup_load_info()` stores.
    pub sig_offset: usize,
    /// Length of the signature in bytes (the trailer's big-endian `sig_len`, in host byte order).
    /// The signature occupies `[sig_offset, sig_offset + sig_len)`; the 12-byte
    /// `struct module_signature` and the marker follow it up to the end of the image.
    pub sig_len: c_uint,
    /// Public-key algorithm (`algo`); 0 for PKCS#7, where the message names it.
    pub algo: c_uchar,
    /// Digest algorithm (`hash`); 0 for PKCS#7.
    pub hash: c_uchar,
    /// Key identifier type (`id_type`): always 2 (`PKEY_ID_PKCS7`) in a reported signature.
    pub id_type: c_uchar,
    /// Length of the signer's name (`signer_len`); 0 for PKCS#7.
    pub signer_len: c_uchar,
    /// Length of the key identifier (`key_id_len`); 0 for PKCS#7.
    pub key_id_len: c_uchar,
}

/// Compile-time proof that the Rust layouts are the kernel's (x86-64 / LP64 numbers).
const _: () = {
    use core::mem::{align_of, offset_of, size_of};
    assert!(size_of::<Elf64_Ehdr>() == 64);
    assert!(size_of::<Elf64_Shdr>() == 64);
    assert!(size_of::<Elf64_Sym>() == 24);
    assert!(size_of::<Elf64_Rela>() == 24);
    assert!(size_of::<KlpModinfo>() == 88 && align_of::<KlpModinfo>() == 8);
    assert!(offset_of!(KlpModinfo, hdr) == 0);
    assert!(offset_of!(KlpModinfo, sechdrs) == 64);
    assert!(offset_of!(KlpModinfo, secstrings) == 72);
    assert!(offset_of!(KlpModinfo, symndx) == 80);
    assert!(size_of::<ModKallsyms>() == 32);
    assert!(offset_of!(ModKallsyms, symtab) == 0);
    assert!(offset_of!(ModKallsyms, num_symtab) == 8);
    assert!(offset_of!(ModKallsyms, strtab) == 16);
    assert!(offset_of!(ModKallsyms, typetab) == 24);
    assert!(size_of::<Module>() == 104);
    assert!(offset_of!(Module, name) == 0);
    assert!(offset_of!(Module, core_kallsyms) == 56);
    assert!(offset_of!(Module, klp) == 88);
    assert!(offset_of!(Module, klp_alive) == 89);
    assert!(offset_of!(Module, klp_info) == 96);
    assert!(size_of::<LoadInfoIndex>() == 32);
    assert!(offset_of!(LoadInfoIndex, sym) == 0);
    assert!(offset_of!(LoadInfoIndex, vers_ext_name) == 28);
    assert!(size_of::<LoadInfo>() == 136);
    assert!(offset_of!(LoadInfo, name) == 0);
    assert!(offset_of!(LoadInfo, r#mod) == 8);
    assert!(offset_of!(LoadInfo, hdr) == 16);
    assert!(offset_of!(LoadInfo, len) == 24);
    assert!(offset_of!(LoadInfo, sechdrs) == 32);
    assert!(offset_of!(LoadInfo, secstrings) == 40);
    assert!(offset_of!(LoadInfo, strtab) == 48);
    assert!(offset_of!(LoadInfo, symoffs) == 56);
    assert!(offset_of!(LoadInfo, core_typeoffs) == 80);
    assert!(offset_of!(LoadInfo, sig_ok) == 88);
    assert!(offset_of!(LoadInfo, mod_kallsyms_init_off) == 96);
    assert!(offset_of!(LoadInfo, index) == 104);
    assert!(size_of::<KlpelfSignature>() == 24 && align_of::<KlpelfSignature>() == 8);
    assert!(offset_of!(KlpelfSignature, sig_offset) == 0);
    assert!(offset_of!(KlpelfSignature, sig_len) == 8);
    assert!(offset_of!(KlpelfSignature, algo) == 12);
    assert!(offset_of!(KlpelfSignature, key_id_len) == 16);
};
