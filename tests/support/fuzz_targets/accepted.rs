//! What an image that `klpelf_setup_load_info()` accepted must satisfy: every condition of the
//! kernel's ELF checks (`elf_validity_ehdr()`, the `elf_validity_cache_*()` functions), the reads
//! the kernel makes afterwards without a bounds check, klpelf's alignment rules, and the
//! `load_info` setup filled in. The bytes are read here independently of klpelf's parser; each
//! assertion names the kernel's function and the condition it tests.

use klpelf::ffi::{klpelf_get_modinfo, KLPELF_SETUP_ALLOW_XNUM};
use klpelf::layout::{LoadInfo, LoadInfoIndex};

use super::super::elf::{
    get_u16, get_u32, get_u64, EHDR, ET_REL, E_MACHINE, E_SHENTSIZE, E_SHNUM, E_SHOFF, E_SHSTRNDX,
    E_TYPE, HOST_DATA, REL, RELA, R_INFO, SHDR, SHF_ALLOC, SHF_RELA_LIVEPATCH, SHN_ABS, SHN_COMMON,
    SHN_LIVEPATCH, SHN_LORESERVE, SHN_UNDEF, SHN_XINDEX, SHT_NOBITS, SHT_NULL, SHT_REL, SHT_RELA,
    SHT_STRTAB, SHT_SYMTAB, SHT_SYMTAB_SHNDX, ST_NAME, ST_SHNDX, SYM,
};
use super::super::image::Image;
use super::models::{model_elf_len, model_modinfo};

/// A section header read from the image (`None` past its end).
#[derive(Debug, Clone, Copy, Default)]
pub struct Shdr {
    pub name: u32,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
    pub info: u32,
}

impl Shdr {
    pub fn read(elf: &[u8], at: usize) -> Option<Shdr> {
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
    pub fn bytes<'a>(&self, elf: &'a [u8]) -> Option<&'a [u8]> {
        let end = self.offset.checked_add(self.size)?;
        elf.get(usize::try_from(self.offset).ok()?..usize::try_from(end).ok()?)
    }

    fn alloc(&self) -> bool {
        self.flags & SHF_ALLOC != 0
    }
}

/// The sections of an accepted image and its section-name table.
struct Sections<'a> {
    elf: &'a [u8],
    shdrs: &'a [Shdr],
    names: &'a [u8],
}

impl<'a> Sections<'a> {
    fn count(&self) -> usize {
        self.shdrs.len()
    }

    /// Section `i`'s name, up to its NUL (which must be inside the table).
    fn name_of(&self, i: usize) -> &'a [u8] {
        let rest = &self.names[self.shdrs[i].name as usize..];
        &rest[..rest.iter().position(|&b| b == 0).expect("a NUL-terminated name")]
    }

    /// Every section named `wanted`, as the kernel's `find_any_unique_sec()` counts them.
    fn named(&self, wanted: &[u8]) -> Vec<usize> {
        (1..self.count()).filter(|&i| self.name_of(i) == wanted).collect()
    }

    /// The first loaded section named `wanted` (0: none), as the kernel's `find_sec()` finds it.
    fn first_alloc(&self, wanted: &[u8]) -> u32 {
        let found = (1..self.count()).find(|&i| self.shdrs[i].alloc() && self.name_of(i) == wanted);
        found.unwrap_or(0) as u32
    }
}

/// Asserts everything an accepted image promises, with `flags` as setup was called.
pub fn assert_accepted(image: &Image, info: &LoadInfo, flags: u32) {
    let elf = assert_filled(image, info);
    let allow_xnum = flags & KLPELF_SETUP_ALLOW_XNUM != 0;
    let at = |p: *const u8| image.offset_of(p) as u64;
    assert_ehdr(elf);
    let shdrs = assert_sechdrs(elf, allow_xnum);
    assert_eq!(at(info.sechdrs.cast()), get_u64(elf, E_SHOFF).unwrap(), "sechdrs at e_shoff");
    let (shstrndx, names) = assert_secstrings(elf, &shdrs, allow_xnum);
    assert_eq!(at(info.secstrings.cast()), shdrs[shstrndx].offset, "secstrings");
    let sections = Sections { elf, shdrs: &shdrs, names };
    let index = &info.index;
    assert_indices(&sections, index);
    assert_versions(&sections, index);
    let symbols = assert_symtab(&sections, index);
    assert_eq!(at(info.strtab.cast()), shdrs[index.str as usize].offset, "strtab");
    assert_symbol_sections(&sections, index, symbols, allow_xnum);
    assert_relocations(&sections, symbols.len() / SYM);
    assert_name(&sections, image, info);
}

/// The fields setup fills: the image, the ELF part's length (the signature stripped), everything
/// but the pointers into the image zero. Returns the ELF part.
fn assert_filled<'a>(image: &'a Image, info: &LoadInfo) -> &'a [u8] {
    let whole = image.bytes();
    assert_eq!(info.hdr.cast::<u8>(), image.base());
    assert_eq!(Ok(info.len as usize), model_elf_len(whole), "len is the ELF part's length");
    assert!(info.r#mod.is_null() && !info.sig_ok);
    assert_eq!(
        [info.symoffs, info.stroffs, info.init_typeoffs, info.core_typeoffs],
        [0; 4],
        "offsets zero"
    );
    assert_eq!(info.mod_kallsyms_init_off, 0);
    &whole[..info.len as usize]
}

/// `elf_validity_ehdr()`, with the class and byte order that `elf_check_arch()` leaves to the
/// architecture.
fn assert_ehdr(elf: &[u8]) {
    assert!(elf.len() >= EHDR, "elf_validity_ehdr: len >= sizeof(Elf64_Ehdr)");
    assert_eq!(&elf[..4], b"\x7fELF", "elf_validity_ehdr: e_ident starts with ELFMAG");
    assert_eq!(get_u16(elf, E_TYPE), Some(ET_REL), "elf_validity_ehdr: e_type == ET_REL");
    assert_eq!((elf[4], elf[5]), (2, HOST_DATA), "elf_check_arch: ELFCLASS64, the host's order");
    if cfg!(target_arch = "x86_64") {
        assert_eq!(get_u16(elf, E_MACHINE), Some(62), "elf_check_arch: e_machine == EM_X86_64");
    }
}

/// `elf_validity_cache_sechdrs()`: the section header table lies in the file, section 0 is null,
/// every section with contents lies in the file (`validate_section_offset()`). Also what the
/// kernel reads there unchecked: section 0 when `e_shnum` is 0, and `SHT_NULL` sections with
/// `SHF_ALLOC`, whose bytes the loader copies. Returns the section headers.
fn assert_sechdrs(elf: &[u8], allow_xnum: bool) -> Vec<Shdr> {
    let shentsize = get_u16(elf, E_SHENTSIZE);
    assert_eq!(shentsize, Some(SHDR as u16), "elf_validity_cache_sechdrs: e_shentsize");
    let shoff = get_u64(elf, E_SHOFF).unwrap();
    let e_shnum = get_u16(elf, E_SHNUM).unwrap();
    assert_eq!(shoff % 8, 0, "klpelf: e_shoff 8-aligned, for C's Elf64_Shdr arrays");
    assert!(shoff < elf.len() as u64, "elf_validity_cache_sechdrs: e_shoff < len");
    let shoff = shoff as usize;
    let sec0 = Shdr::read(elf, shoff).expect("section 0 inside the file");
    let xnum = allow_xnum && e_shnum == 0;
    let count = if xnum { sec0.size } else { u64::from(e_shnum) };
    assert!(count >= 1, "an accepted image has sections");
    let table_end = count.checked_mul(SHDR as u64).and_then(|n| n.checked_add(shoff as u64));
    assert!(
        table_end.is_some_and(|end| end <= elf.len() as u64),
        "elf_validity_cache_sechdrs: e_shnum * sizeof(Elf64_Shdr) <= len - e_shoff"
    );
    assert!(count <= u64::from(u32::MAX));
    let shdrs: Vec<Shdr> =
        (0..count as usize).map(|i| Shdr::read(elf, shoff + i * SHDR).expect("inside")).collect();
    let sec0_null = (sec0.sh_type, sec0.addr) == (SHT_NULL, 0);
    assert!(sec0_null, "elf_validity_cache_sechdrs: sechdrs[0] is SHT_NULL with sh_addr 0");
    assert!(
        sec0.size == 0 || xnum,
        "elf_validity_cache_sechdrs: sechdrs[0].sh_size == 0 (the count under extended numbering)"
    );
    for (i, s) in shdrs.iter().enumerate().skip(1) {
        let has_bytes = match s.sh_type {
            SHT_NOBITS => false,
            // What the loader copies of a loaded SHT_NULL section: none of an empty one.
            SHT_NULL => s.alloc() && s.size != 0,
            _ => true,
        };
        assert!(
            !has_bytes || s.bytes(elf).is_some(),
            "elf_validity_cache_sechdrs: validate_section_offset() of section {i} (SHT_NULL ones too)"
        );
    }
    shdrs
}

/// `elf_validity_cache_secstrings()`: the section-name table is a real section, non-empty,
/// `SHT_STRTAB`, NUL-terminated, and holds the name of every section but the `SHT_NULL` ones.
/// Also what the kernel reads unchecked: the names of `SHT_NULL` sections, which its lookups by
/// name compare. Returns the table's index and bytes.
fn assert_secstrings<'a>(elf: &'a [u8], shdrs: &[Shdr], allow_xnum: bool) -> (usize, &'a [u8]) {
    let e_shstrndx = u32::from(get_u16(elf, E_SHSTRNDX).unwrap());
    let shstrndx = if allow_xnum && e_shstrndx == SHN_XINDEX { shdrs[0].link } else { e_shstrndx };
    assert!(
        shstrndx != SHN_UNDEF && (shstrndx as usize) < shdrs.len(),
        "elf_validity_cache_secstrings: e_shstrndx != SHN_UNDEF && e_shstrndx < e_shnum"
    );
    assert_eq!(
        shdrs[shstrndx as usize].sh_type, SHT_STRTAB,
        "elf_validity_cache_secstrings: the section-name table is SHT_STRTAB"
    );
    let names = shdrs[shstrndx as usize]
        .bytes(elf)
        .expect("the section-name table inside, whatever its type");
    assert!(
        !names.is_empty() && names[names.len() - 1] == 0,
        "elf_validity_cache_secstrings: sh_size != 0 && secstrings[sh_size - 1] == '\\0'"
    );
    for (i, s) in shdrs.iter().enumerate().skip(1) {
        assert!(
            (s.name as usize) < names.len(),
            "elf_validity_cache_secstrings: section {i}'s sh_name < sh_size (SHT_NULL ones too)"
        );
    }
    (shstrndx as usize, names)
}

/// The kernel's lookups by name: `elf_validity_cache_index_info()` (at most one `.modinfo`),
/// `elf_validity_cache_index_mod()` (exactly one `.gnu.linkonce.this_module`, with contents,
/// loaded) and `find_sec()` for the optional sections. The bytes of every section `load_info`
/// indexes lie in the file whatever its type, since the kernel reads them unchecked.
fn assert_indices(s: &Sections<'_>, index: &LoadInfoIndex) {
    let modinfo = s.named(b".modinfo");
    assert!(modinfo.len() <= 1, "elf_validity_cache_index_info: one .modinfo at most");
    assert_eq!(index.info as usize, modinfo.first().copied().unwrap_or(0), "index.info");
    let this_module = s.named(b".gnu.linkonce.this_module");
    assert_eq!(this_module.len(), 1, "elf_validity_cache_index_mod: one .gnu.linkonce.this_module");
    assert_eq!(index.r#mod as usize, this_module[0], "index.mod");
    let m = s.shdrs[this_module[0]];
    assert!(
        m.sh_type != SHT_NOBITS && m.alloc(),
        "elf_validity_cache_index_mod: sh_type != SHT_NOBITS && (sh_flags & SHF_ALLOC)"
    );
    assert_eq!(index.vers, s.first_alloc(b"__versions"), "index.vers");
    assert_eq!(index.pcpu, s.first_alloc(b".data..percpu"), "index.pcpu");
    assert_eq!(index.vers_ext_crc, s.first_alloc(b"__version_ext_crcs"));
    assert_eq!(index.vers_ext_name, s.first_alloc(b"__version_ext_names"));
    let i = index;
    // What the loader reads of them: none of an empty one, but .modinfo's first byte always.
    for index in [i.info, i.vers, i.pcpu, i.vers_ext_crc, i.vers_ext_name] {
        let shdr = s.shdrs[index as usize];
        let read = index == i.info || shdr.size != 0;
        let inside = index == 0 || !read || shdr.bytes(s.elf).is_some();
        assert!(inside, "indexed section {index}, which the kernel reads, inside");
    }
}

/// `elf_validity_cache_index_versions()`: the extended version sections come in pairs, with a
/// name for every CRC.
fn assert_versions(s: &Sections<'_>, i: &LoadInfoIndex) {
    assert_eq!(
        i.vers_ext_crc == 0,
        i.vers_ext_name == 0,
        "elf_validity_cache_index_versions: both extended version sections or neither"
    );
    if i.vers_ext_crc != 0 {
        let crcs = s.shdrs[i.vers_ext_crc as usize].size / 4;
        let names = s.shdrs[i.vers_ext_name as usize].bytes(s.elf).unwrap();
        let nuls = names.iter().filter(|&&b| b == 0).count() as u64;
        assert!(crcs <= nuls, "elf_validity_cache_index_versions: no more CRCs than names");
    }
}

/// `elf_validity_cache_index_sym()` and `_str()`: exactly one symbol table, linked to a real
/// section; `elf_validity_cache_strtab()`: the symbol string table is non-empty, starts and ends
/// with NUL and holds every symbol's name, its bytes in the file whatever its type (the kernel
/// reads them unchecked); klpelf's alignment of the symbol table. Returns the symbols.
fn assert_symtab<'a>(s: &Sections<'a>, i: &LoadInfoIndex) -> &'a [u8] {
    let symtabs: Vec<usize> =
        (1..s.count()).filter(|&n| s.shdrs[n].sh_type == SHT_SYMTAB).collect();
    assert_eq!(
        symtabs,
        [i.sym as usize],
        "elf_validity_cache_index_sym: one SHT_SYMTAB, index.sym"
    );
    let symtab = s.shdrs[i.sym as usize];
    assert_eq!(i.str, symtab.link, "index.str is the symbol table's sh_link");
    assert!(
        i.str != SHN_UNDEF && (i.str as usize) < s.count(),
        "elf_validity_cache_index_str: sh_link != SHN_UNDEF && sh_link < e_shnum"
    );
    assert_eq!(
        s.shdrs[i.str as usize].sh_type, SHT_STRTAB,
        "elf_validity_cache_index_str: the symbol string table is SHT_STRTAB"
    );
    assert_eq!(
        symtab.offset % 8,
        0,
        "klpelf: the symbol table 8-aligned, for C's Elf64_Sym arrays"
    );
    let symbols = symtab.bytes(s.elf).expect("elf_validity_cache_sechdrs: the symbol table inside");
    let strtab = s.shdrs[i.str as usize]
        .bytes(s.elf)
        .expect("the symbol string table inside, whatever its type");
    assert!(!strtab.is_empty(), "elf_validity_cache_strtab: sh_size != 0");
    assert!(
        strtab[0] == 0 && strtab[strtab.len() - 1] == 0,
        "elf_validity_cache_strtab: strtab[0] == '\\0' && strtab[sh_size - 1] == '\\0'"
    );
    for (n, sym) in symbols.chunks_exact(SYM).enumerate() {
        let st_name = get_u32(sym, ST_NAME).unwrap() as usize;
        assert!(
            st_name < strtab.len(),
            "elf_validity_cache_strtab: symbol {n}'s st_name < sh_size"
        );
    }
    symbols
}

/// What the kernel's `simplify_symbols()` reads unchecked: the section index of every symbol
/// (`st_shndx`, or under extended numbering its `SHT_SYMTAB_SHNDX` entry) but `SHN_UNDEF`,
/// `SHN_ABS`, `SHN_COMMON` and `SHN_LIVEPATCH` names a real section.
fn assert_symbol_sections(s: &Sections<'_>, i: &LoadInfoIndex, symbols: &[u8], allow_xnum: bool) {
    let shndx_table = s
        .shdrs
        .iter()
        .find(|t| t.sh_type == SHT_SYMTAB_SHNDX && t.link == i.sym)
        .and_then(|t| t.bytes(s.elf));
    for (n, sym) in symbols.chunks_exact(SYM).enumerate().skip(1) {
        let shndx = u32::from(get_u16(sym, ST_SHNDX).unwrap());
        if [SHN_UNDEF, SHN_ABS, SHN_COMMON, SHN_LIVEPATCH].contains(&shndx) {
            continue;
        }
        let real = if shndx == SHN_XINDEX {
            assert!(allow_xnum, "simplify_symbols: SHN_XINDEX only under extended numbering");
            let real = shndx_table.and_then(|t| get_u32(t, n * 4));
            let real = real.expect("simplify_symbols: an extended section index");
            assert_ne!(real, 0, "simplify_symbols: extended section index 0");
            real
        } else {
            assert!(shndx < SHN_LORESERVE, "simplify_symbols: reserved st_shndx {shndx:#x}");
            shndx
        };
        let real_section = (real as usize) < s.count();
        assert!(real_section, "simplify_symbols: symbol {n}'s section {real} < e_shnum");
    }
}

/// What the kernel's `apply_relocations()` and livepatch read unchecked: every relocation they
/// apply (those of `SHF_RELA_LIVEPATCH` sections and of sections that target a loaded section)
/// names a real symbol.
fn assert_relocations(s: &Sections<'_>, symbols: usize) {
    for (index, r) in s.shdrs.iter().enumerate().skip(1) {
        let record = match r.sh_type {
            SHT_RELA => RELA,
            SHT_REL => REL,
            _ => continue,
        };
        let target_loaded = s.shdrs.get(r.info as usize).is_some_and(Shdr::alloc);
        if r.flags & SHF_RELA_LIVEPATCH == 0 && !target_loaded {
            continue;
        }
        let relocations = r.bytes(s.elf).expect("elf_validity_cache_sechdrs: relocations inside");
        for relocation in relocations.chunks_exact(record) {
            let symbol = get_u64(relocation, R_INFO).unwrap() >> 32;
            assert!(
                symbol < symbols as u64,
                "apply_relocations: relocation section {index}: ELF64_R_SYM {symbol} < symbols"
            );
        }
    }
}

/// `info->name`: the value of `.modinfo`'s `name=` tag as the kernel's `get_modinfo()` finds it,
/// NUL-terminated inside the section; `klpelf_get_modinfo("name")` returns the same pointer.
fn assert_name(s: &Sections<'_>, image: &Image, info: &LoadInfo) {
    let i = &info.index;
    let expected_name = (i.info != 0)
        .then(|| {
            let modinfo = s.shdrs[i.info as usize];
            let value = model_modinfo(modinfo.bytes(s.elf).unwrap(), b"name");
            value.map(|r| modinfo.offset + r.start as u64)
        })
        .flatten();
    let name = (!info.name.is_null()).then(|| image.offset_of(info.name.cast()) as u64);
    assert_eq!(name, expected_name, "name");
    // SAFETY: `info` came from a successful setup on the live image; the tag is a C string.
    let found = unsafe { klpelf_get_modinfo(info, c"name".as_ptr()) };
    assert_eq!(found, info.name, "klpelf_get_modinfo(\"name\") is info->name");
}
