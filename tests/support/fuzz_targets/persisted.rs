//! What `copy_module_elf()` promises about the copy it persists in `mod->klp_info`, shared by the
//! targets that reach it.

use klpelf::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, KlpModinfo};

use super::super::elf::SHN_XINDEX;
use super::bytes::bytes_of;

/// The section count and the section-name table index of a described image, with extended
/// numbering: `e_shnum` 0 puts the count in section 0's `sh_size`, `e_shstrndx` `SHN_XINDEX` the
/// index in its `sh_link`.
pub fn numbering(hdr: &Elf64_Ehdr, sec0: &Elf64_Shdr) -> (u64, u64) {
    let count = if hdr.e_shnum == 0 { sec0.sh_size } else { u64::from(hdr.e_shnum) };
    let shstrndx = match u32::from(hdr.e_shstrndx) {
        SHN_XINDEX => u64::from(sec0.sh_link),
        n => u64::from(n),
    };
    (count, shstrndx)
}

/// The tables a `struct load_info` describes, which `copy_module_elf()` copies, and the
/// `core_kallsyms.symtab` that the copied symbol table header must point to.
pub struct Source<'a> {
    pub hdr: &'a Elf64_Ehdr,
    pub sechdrs: &'a [Elf64_Shdr],
    pub names: &'a [u8],
    pub symndx: u32,
    pub symtab: *mut Elf64_Sym,
}

/// Asserts that `klp_info`, the copy `who` made, equals `source` with only the symbol table's
/// `sh_addr` redirected to `core_kallsyms.symtab`, in fresh 8-aligned memory.
///
/// # Safety
/// `klp_info` is NULL or a `copy_module_elf()` result for `source`: its section headers and names
/// are as many as `source`'s.
pub unsafe fn assert_copy(who: &str, klp_info: *const KlpModinfo, source: &Source) {
    assert!(!klp_info.is_null(), "{who}: klp_info");
    assert_eq!(klp_info as usize % 8, 0, "{who}: klp_info aligned");
    // SAFETY: the caller's contract.
    let (k, copied, copied_names) = unsafe {
        let k = &*klp_info;
        let copied = std::slice::from_raw_parts(k.sechdrs, source.sechdrs.len());
        (k, copied, std::slice::from_raw_parts(k.secstrings.cast::<u8>(), source.names.len()))
    };
    assert_eq!(bytes_of(&k.hdr), bytes_of(source.hdr), "{who}: the persisted ELF header");
    assert_eq!(k.symndx, source.symndx, "{who}: symndx");
    assert_ne!(k.sechdrs.cast_const(), source.sechdrs.as_ptr(), "{who}: fresh section headers");
    for (i, (to, from)) in copied.iter().zip(source.sechdrs).enumerate() {
        let mut expected = *from;
        if i == source.symndx as usize {
            expected.sh_addr = source.symtab as u64;
        }
        assert_eq!(bytes_of(to), bytes_of(&expected), "{who}: persisted section header {i}");
    }
    assert_eq!(copied_names, source.names, "{who}: the persisted section-name table");
}
