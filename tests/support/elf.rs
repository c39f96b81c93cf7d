//! ELF64 as the tests read and edit it: record sizes and field offsets (from klpelf's `#[repr(C)]`
//! layouts), the ELF constants the tests use (with the kernel's livepatch ones), bounded host-order
//! field reads, and [`Elf`], an object's bytes with field edits that break one rule at a time.

use std::mem::offset_of;

use klpelf::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym};

pub const EHDR: usize = size_of::<Elf64_Ehdr>();
pub const SHDR: usize = size_of::<Elf64_Shdr>();
pub const SYM: usize = size_of::<Elf64_Sym>();

pub const E_TYPE: usize = offset_of!(Elf64_Ehdr, e_type);
pub const E_MACHINE: usize = offset_of!(Elf64_Ehdr, e_machine);
pub const E_VERSION: usize = offset_of!(Elf64_Ehdr, e_version);
pub const E_SHOFF: usize = offset_of!(Elf64_Ehdr, e_shoff);
pub const E_EHSIZE: usize = offset_of!(Elf64_Ehdr, e_ehsize);
pub const E_SHENTSIZE: usize = offset_of!(Elf64_Ehdr, e_shentsize);
pub const E_SHNUM: usize = offset_of!(Elf64_Ehdr, e_shnum);
pub const E_SHSTRNDX: usize = offset_of!(Elf64_Ehdr, e_shstrndx);
pub const SH_NAME: usize = offset_of!(Elf64_Shdr, sh_name);
pub const SH_TYPE: usize = offset_of!(Elf64_Shdr, sh_type);
pub const SH_FLAGS: usize = offset_of!(Elf64_Shdr, sh_flags);
pub const SH_ADDR: usize = offset_of!(Elf64_Shdr, sh_addr);
pub const SH_OFFSET: usize = offset_of!(Elf64_Shdr, sh_offset);
pub const SH_SIZE: usize = offset_of!(Elf64_Shdr, sh_size);
pub const SH_LINK: usize = offset_of!(Elf64_Shdr, sh_link);
pub const SH_INFO: usize = offset_of!(Elf64_Shdr, sh_info);
pub const ST_NAME: usize = offset_of!(Elf64_Sym, st_name);
pub const ST_SHNDX: usize = offset_of!(Elf64_Sym, st_shndx);
/// Where `r_info` sits in an `Elf64_Rela` and an `Elf64_Rel`.
pub const R_INFO: usize = 8;
pub const RELA: usize = 24;
pub const REL: usize = 16;

pub const ET_REL: u16 = 1;
pub const SHT_NULL: u32 = 0;
pub const SHT_PROGBITS: u32 = 1;
pub const SHT_SYMTAB: u32 = 2;
pub const SHT_STRTAB: u32 = 3;
pub const SHT_RELA: u32 = 4;
pub const SHT_NOBITS: u32 = 8;
pub const SHT_REL: u32 = 9;
pub const SHT_SYMTAB_SHNDX: u32 = 18;
pub const SHF_WRITE: u64 = 1;
pub const SHF_ALLOC: u64 = 2;
/// The kernel's mark of a `.klp.rela.*` relocation section.
pub const SHF_RELA_LIVEPATCH: u64 = 0x0010_0000;
pub const SHN_UNDEF: u32 = 0;
pub const SHN_LORESERVE: u32 = 0xff00;
/// The kernel's section index of a livepatch symbol.
pub const SHN_LIVEPATCH: u32 = 0xff20;
pub const SHN_ABS: u32 = 0xfff1;
pub const SHN_COMMON: u32 = 0xfff2;
pub const SHN_XINDEX: u32 = 0xffff;

/// `EI_DATA` of the host's byte order.
pub const HOST_DATA: u8 = if cfg!(target_endian = "little") { 1 } else { 2 };

/// The host's `e_machine`, the one the kernel's `elf_check_arch()` accepts.
pub fn host_machine() -> u16 {
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
        258 // loongarch64
    }
}

/// Host-order fields read from bytes; `None` past the end.
pub fn get_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
pub fn get_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
pub fn get_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// An object's bytes with field edits addressed by klpelf's record layouts.
#[derive(Clone)]
pub struct Elf(pub Vec<u8>);

impl Elf {
    /// The host-order field of `size` bytes (1, 2, 4 or 8) at `at`.
    pub fn get(&self, at: usize, size: usize) -> u64 {
        let b = &self.0;
        let value = match size {
            1 => b.get(at).copied().map(u64::from),
            2 => get_u16(b, at).map(u64::from),
            4 => get_u32(b, at).map(u64::from),
            8 => get_u64(b, at),
            _ => panic!("no {size}-byte ELF fields"),
        };
        value.unwrap_or_else(|| panic!("a {size}-byte field at {at} is past the end"))
    }

    /// Sets the host-order field of `size` bytes (1, 2, 4 or 8) at `at` (`value` is truncated).
    pub fn set(&mut self, at: usize, size: usize, value: u64) {
        let b = &mut self.0[at..at + size];
        match size {
            1 => b[0] = value as u8,
            2 => b.copy_from_slice(&(value as u16).to_ne_bytes()),
            4 => b.copy_from_slice(&(value as u32).to_ne_bytes()),
            8 => b.copy_from_slice(&value.to_ne_bytes()),
            _ => panic!("no {size}-byte ELF fields"),
        }
    }

    pub fn set_hdr(&mut self, field: usize, size: usize, value: u64) {
        self.set(field, size, value);
    }

    pub fn shoff(&self) -> usize {
        self.get(E_SHOFF, 8) as usize
    }

    /// Where section `index`'s header field `field` is.
    pub fn shdr_field(&self, index: u32, field: usize) -> usize {
        self.shoff() + index as usize * SHDR + field
    }

    pub fn shdr(&self, index: u32, field: usize, size: usize) -> u64 {
        self.get(self.shdr_field(index, field), size)
    }

    pub fn set_shdr(&mut self, index: u32, field: usize, size: usize, value: u64) {
        let at = self.shdr_field(index, field);
        self.set(at, size, value);
    }

    /// Gives section `index` the name of section `like` (an edit of `sh_name` alone).
    pub fn rename_like(&mut self, index: u32, like: u32) {
        let name = self.shdr(like, SH_NAME, 4);
        self.set_shdr(index, SH_NAME, 4, name);
    }

    /// Byte range of section `index`'s contents.
    pub fn contents(&self, index: u32) -> std::ops::Range<usize> {
        let offset = self.shdr(index, SH_OFFSET, 8) as usize;
        let size = self.shdr(index, SH_SIZE, 8) as usize;
        offset..offset + size
    }

    /// Where symbol `symbol`'s field `field` is, in symbol table section `symtab`.
    pub fn sym_field(&self, symtab: u32, symbol: usize, field: usize) -> usize {
        self.contents(symtab).start + symbol * SYM + field
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}
