//! The `copy` group's synthetic but realistic tables, laid out like the front of an ELF file.

use std::ffi::c_uint;

use klpelf::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, KlpModinfo, LoadInfo, Module};
use klpelf_bench_support::Image;

use crate::{
    zeroed_load_info, zeroed_module, SHF_ALLOC, SHF_EXECINSTR, SHF_INFO_LINK, SHN_LORESERVE,
    SHN_XINDEX, SHT_PROGBITS, SHT_RELA, SHT_STRTAB, SHT_SYMTAB,
};

/// The header, then the section header table (`e_shoff = 64`), then the section-name table.
pub(crate) struct Tables {
    pub(crate) image: Image,
    pub(crate) count: usize,
    pub(crate) secstrings_len: usize,
    /// Stands in for `core_kallsyms.symtab`; only its address is used.
    kept_symtab: Vec<Elf64_Sym>,
}

impl Tables {
    pub(crate) fn new(count: usize) -> Tables {
        assert!(count >= 4);
        let (names, name_at) = section_names(count);
        let layout = Layout { count, secstrings_len: names.len() };
        let mut image = Image::zeroed(layout.len());
        let base = image.as_mut_ptr().cast::<u8>();
        // SAFETY: the image is 8-aligned and `layout.len()` bytes long: the header at 0, `count`
        // section headers (8-aligned, 64 bytes each) at 64, and the names right after them.
        unsafe {
            base.cast::<Elf64_Ehdr>().write(layout.elf_header());
            let shdrs = base.add(64).cast::<Elf64_Shdr>();
            for (i, &name) in name_at.iter().enumerate() {
                shdrs.add(i).write(layout.section_header(i, name));
            }
            std::ptr::copy_nonoverlapping(names.as_ptr(), base.add(layout.names_at()), names.len());
        }
        Tables {
            image,
            count,
            secstrings_len: layout.secstrings_len,
            kept_symtab: vec![Elf64_Sym::default(); 64],
        }
    }

    /// The `load_info` a loader hands `copy_module_elf`: header, section headers, names, symtab.
    pub(crate) fn load_info(&mut self) -> LoadInfo {
        let base = self.image.as_mut_ptr().cast::<u8>();
        let mut info = zeroed_load_info();
        info.hdr = base.cast();
        // SAFETY: both offsets are inside the image (see `new`).
        unsafe {
            info.sechdrs = base.add(64).cast();
            info.secstrings = base.add(64 + self.count * size_of::<Elf64_Shdr>()).cast();
        }
        info.len = self.image.len() as _;
        info.index.sym = 1;
        info.index.str = 2;
        info
    }

    /// A zeroed module whose `core_kallsyms.symtab` is set, as the kernel loader leaves it.
    pub(crate) fn module(&mut self) -> Module {
        let mut module = zeroed_module();
        module.core_kallsyms.symtab = self.kept_symtab.as_mut_ptr();
        module.core_kallsyms.num_symtab = self.kept_symtab.len() as c_uint;
        module.klp = true;
        module
    }

    /// Bytes every variant copies: the header, the section headers and the names.
    pub(crate) fn bytes_copied(&self) -> usize {
        64 + self.count * size_of::<Elf64_Shdr>() + self.secstrings_len
    }

    /// Bytes the kernel allocates: `struct klp_modinfo`, the section headers and the names.
    pub(crate) fn bytes_allocated(&self) -> usize {
        size_of::<KlpModinfo>() + self.count * size_of::<Elf64_Shdr>() + self.secstrings_len
    }
}

/// The section-name table and each section's offset into it. Names are like a -ffunction-sections
/// object's: ".text.klp_fn_0000001", 21 bytes with the NUL; every fourth section is the RELA
/// section for the one before it.
fn section_names(count: usize) -> (Vec<u8>, Vec<u32>) {
    let mut names = vec![0u8];
    let mut name_at = Vec::with_capacity(count);
    name_at.push(0u32);
    for i in 1..count {
        name_at.push(names.len() as u32);
        let name = match i {
            1 => ".symtab".to_string(),
            2 => ".strtab".to_string(),
            _ if i == count - 1 => ".shstrtab".to_string(),
            _ if i % 4 == 0 => format!(".rela.text.klp_{i:07}"),
            _ => format!(".text.klp_fn_{i:07}"),
        };
        names.extend_from_slice(name.as_bytes());
        names.push(0);
    }
    (names, name_at)
}

/// Where the parts of the tables lie: `count` sections, the last of them the section-name table of
/// `secstrings_len` bytes.
struct Layout {
    count: usize,
    secstrings_len: usize,
}

impl Layout {
    /// Whether the count needs extended numbering.
    fn xnum(&self) -> bool {
        self.count >= SHN_LORESERVE
    }

    fn shstrndx(&self) -> usize {
        self.count - 1
    }

    /// Where the section-name table starts: right after the section headers.
    fn names_at(&self) -> usize {
        64 + self.count * size_of::<Elf64_Shdr>()
    }

    /// The whole image: header, section headers and names.
    fn len(&self) -> usize {
        self.names_at() + self.secstrings_len
    }

    /// An x86-64 relocatable object's header; with extended numbering, the count and name-table
    /// index are in section 0 instead.
    fn elf_header(&self) -> Elf64_Ehdr {
        let mut ident = [0u8; 16];
        ident[..7].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1]);
        Elf64_Ehdr {
            e_ident: ident,
            e_type: 1,     // ET_REL
            e_machine: 62, // EM_X86_64
            e_version: 1,
            e_shoff: 64,
            e_ehsize: 64,
            e_shentsize: 64,
            e_shnum: if self.xnum() { 0 } else { self.count as u16 },
            e_shstrndx: if self.xnum() { SHN_XINDEX } else { self.shstrndx() as u16 },
            ..Default::default()
        }
    }

    /// Section `i`, named at `name` in the name table: 1 the symbol table, 2 its string table, the
    /// last the name table, every fourth a RELA section, the rest code. Section data would follow
    /// the tables; it is not part of the image, since nothing copies it.
    fn section_header(&self, i: usize, name: u32) -> Elf64_Shdr {
        let mut s = Elf64_Shdr { sh_name: name, ..Default::default() };
        match i {
            0 if self.xnum() => {
                s.sh_size = self.count as u64;
                s.sh_link = self.shstrndx() as u32;
            }
            0 => {}
            1 => {
                s.sh_type = SHT_SYMTAB;
                s.sh_link = 2;
                s.sh_info = 1;
                s.sh_entsize = 24;
                s.sh_addralign = 8;
                s.sh_size = 24 * 64;
            }
            2 => {
                s.sh_type = SHT_STRTAB;
                s.sh_size = 1024;
                s.sh_addralign = 1;
            }
            _ if i == self.shstrndx() => {
                s.sh_type = SHT_STRTAB;
                s.sh_offset = self.names_at() as u64;
                s.sh_size = self.secstrings_len as u64;
                s.sh_addralign = 1;
            }
            _ if i % 4 == 0 => {
                s.sh_type = SHT_RELA;
                s.sh_flags = SHF_INFO_LINK;
                s.sh_link = 1;
                s.sh_info = (i - 1) as u32;
                s.sh_entsize = 24;
                s.sh_addralign = 8;
                s.sh_size = 72;
            }
            _ => {
                s.sh_type = SHT_PROGBITS;
                s.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
                s.sh_addralign = 16;
                s.sh_size = 40 + (i as u64 % 7) * 16;
                // A loader has already pointed sh_addr at the section's final place.
                s.sh_addr = 0xffff_ffff_c000_0000 + (i as u64) * 0x100;
            }
        }
        if i >= 3 && i != self.shstrndx() {
            s.sh_offset = self.len() as u64 + (i as u64) * 64;
        }
        s
    }
}
