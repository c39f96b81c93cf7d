//! Fuzz target `copy_structured`: bytes decoded as a caller-built `struct load_info` →
//! `copy_module_elf()` / `free_module_elf()`, against klpelf's documented errors and the kernel's
//! code (the C tests' reference oracle).

use std::ffi::{c_char, c_int};
use std::mem::offset_of;
use std::ptr;

use klpelf::ffi::{copy_module_elf, free_module_elf};
use klpelf::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, KlpModinfo, LoadInfo, Module};

use super::super::alloc::{with_allocator, AllocMode};
use super::super::api::{InfoSlot, ModuleSlot, EEXIST, EINVAL, ENOMEM};
use super::super::elf::{
    get_u16, get_u32, get_u64, EHDR, E_SHNUM, E_SHSTRNDX, SHDR, SHN_LORESERVE, SHN_XINDEX, SH_LINK,
    SH_SIZE,
};
use super::bytes::{from_bytes, Reader};
use super::persisted::{assert_copy, numbering, Source};

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

fn shdr_from(b: &[u8]) -> Elf64_Shdr {
    // SAFETY: a section header is 64 bytes of integers without padding.
    unsafe { from_bytes(b) }
}

/// Raw fields of a case before the fix-ups; [`RawCase::encode`] writes them back.
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
        let e_shnum = get_u16(hdr, E_SHNUM).unwrap_or(0);
        let e_shstrndx = get_u16(hdr, E_SHSTRNDX).unwrap_or(0);
        let xnum = e_shnum == 0;
        let (count, shstrndx) = if xnum {
            (get_u64(sections, SH_SIZE).unwrap_or(0), get_u32(sections, SH_LINK).unwrap_or(0))
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

    /// What the allocator does during the copy.
    fn alloc_mode(&self) -> AllocMode {
        match self.rare {
            Rare::FailAlloc => AllocMode::Fail,
            Rare::MisalignedAlloc => AllocMode::Misaligned,
            _ => AllocMode::Normal,
        }
    }

    /// The caller's `load_info` over the case's buffers: the pointers `copy_module_elf()` reads
    /// (NULL where the rare event says), poisoned pointers in the fields it must not read.
    fn load_info(&self, hdr: &Elf64_Ehdr, sections: &[Elf64_Shdr], names: &[u8]) -> InfoSlot {
        let mut slot = InfoSlot::new(0x3c);
        let info = slot.get_mut();
        info.name = 0x10 as *const c_char;
        info.strtab = 0x18 as *mut c_char;
        info.r#mod = 0x20 as *mut Module;
        info.hdr = match self.rare {
            Rare::NullHdr => ptr::null_mut(),
            _ => ptr::from_ref(hdr).cast_mut(),
        };
        info.sechdrs = match self.rare {
            Rare::NullSechdrs => ptr::null_mut(),
            _ => sections.as_ptr().cast_mut(),
        };
        info.secstrings = match self.rare {
            Rare::NullSecstrings => ptr::null_mut(),
            _ => names.as_ptr().cast_mut().cast(),
        };
        info.index.sym = self.symndx;
        slot
    }

    /// The caller's module: `core_kallsyms.symtab` from the case, `klp_info` set only when the
    /// rare event says (never dereferenced: the copy must refuse with `-EEXIST`).
    fn module(&self) -> ModuleSlot {
        let mut slot = ModuleSlot::new(0x77);
        slot.get_mut().core_kallsyms.symtab = self.symtab as *mut Elf64_Sym;
        if self.rare == Rare::KlpInfoSet {
            slot.get_mut().klp_info = 0x40 as *mut KlpModinfo;
        }
        slot
    }
}

/// The target. Decodes `data` into a [`CopyCase`], runs klpelf's `copy_module_elf()` on it and
/// checks the result against [`CopyCase::expected`]; on success the copy must equal the tables
/// (and so must the oracle's copy, where the oracle applies) with only the redirect changed, and
/// `free_module_elf()` must release it (twice harmlessly). On failure nothing may change.
pub fn copy_structured(data: &[u8], oracle: Oracle) {
    let case = CopyCase::decode(data);
    // Exact-size boxes: AddressSanitizer sees any read past what the case provides.
    let hdr = Box::new(case.hdr);
    let sections: Box<[Elf64_Shdr]> = case.sections.clone().into_boxed_slice();
    let names: Box<[u8]> = case.names.clone().into_boxed_slice();
    let mut info_slot = case.load_info(&hdr, &sections, &names);
    let info_before = info_slot.bytes();
    let mut slot = case.module();
    let module_before = slot.bytes();
    let mod_ptr = if case.rare == Rare::NullMod { ptr::null_mut() } else { slot.ptr() };
    let info_ptr = if case.rare == Rare::NullInfo { ptr::null_mut() } else { info_slot.ptr() };

    let expected = case.expected();
    // SAFETY: every non-NULL pointer is valid for what the case announces (decode made sure).
    let (rc, message) =
        with_allocator(case.alloc_mode(), || unsafe { copy_module_elf(mod_ptr, info_ptr) });
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
    assert_eq!(sections[shstrndx].sh_size as usize, names.len());
    let symtab = slot.get().core_kallsyms.symtab;
    let source = Source {
        hdr: &hdr,
        sechdrs: &sections[..count],
        names: &names,
        symndx: case.symndx,
        symtab,
    };
    // SAFETY: klpelf made klp_info from these tables.
    unsafe { assert_copy("copy_module_elf", slot.get().klp_info, &source) };
    if case.oracle_applies() {
        against_oracle(oracle, &mut info_slot, &source);
    }
    free_twice(&mut slot, &module_before);
}

/// The kernel's code, run on the same `load_info`, makes the same copy.
fn against_oracle(oracle: Oracle, info_slot: &mut InfoSlot, source: &Source) {
    let mut theirs = ModuleSlot::new(0x77);
    theirs.get_mut().core_kallsyms.symtab = source.symtab;
    // SAFETY: the oracle's preconditions hold (plain numbering, indices in range, buffers of the
    // announced sizes); it reads only what klpelf read.
    assert_eq!(unsafe { (oracle.copy)(theirs.ptr(), info_slot.ptr()) }, 0, "the oracle");
    // SAFETY: the oracle made klp_info from these tables.
    unsafe { assert_copy("the oracle", theirs.get().klp_info, source) };
    // SAFETY: klp_info was made by the oracle's copy.
    unsafe { (oracle.free)(theirs.ptr()) };
}

/// `free_module_elf()` restores `*mod` exactly, and a second call is harmless.
fn free_twice(slot: &mut ModuleSlot, module_before: &[u8]) {
    // SAFETY: klp_info was made by copy_module_elf.
    unsafe { free_module_elf(slot.ptr()) };
    assert_eq!(slot.bytes(), module_before, "free_module_elf clears klp_info only");
    // SAFETY: klp_info is NULL now: harmless.
    unsafe { free_module_elf(slot.ptr()) };
    assert!(slot.get().klp_info.is_null());
}
