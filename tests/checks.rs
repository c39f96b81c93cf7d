//! The kernel's ELF checks of `klpelf_setup_load_info()`, one mutation of a compiler-made module at
//! a time, each asserted to be rejected by that check (its `KlpelfCheck` identity) with a message
//! naming the section and values: `elf_validity_ehdr()` and the `elf_validity_cache_*()`
//! functions, in the kernel's order. klpelf's own checks are in `tests/checks_klpelf.rs`.

mod support;

use klpelf::check_id::KlpelfCheck;
use support::api::{rejected, rejected_as, setup_ok, ENOEXEC};
use support::elf::{
    E_MACHINE, E_SHENTSIZE, E_SHNUM, E_SHOFF, E_SHSTRNDX, E_TYPE, SHDR, SHF_ALLOC, SHT_NOBITS,
    SHT_PROGBITS, SHT_SYMTAB, SH_ADDR, SH_FLAGS, SH_LINK, SH_NAME, SH_OFFSET, SH_SIZE, SH_TYPE,
    ST_NAME,
};
use support::image::Image;
use support::objects::livepatch;

// ------------------------------------------------------------------------------------------------
// The kernel's ELF checks, one mutation per condition
// ------------------------------------------------------------------------------------------------

// elf_validity_ehdr(): the ELF header, with the class and byte order elf_check_arch() leaves over.

#[test]
fn ehdr_len_shorter_than_an_elf_header() {
    let bytes = &livepatch().bytes[..63];
    rejected_as(bytes, 0, ENOEXEC, KlpelfCheck::EhdrLen, &["63 bytes"]);
}

#[test]
fn ehdr_magic_bad_magic() {
    let mut elf = livepatch().elf();
    elf.0[1] = b'X';
    rejected(&elf, KlpelfCheck::EhdrMagic, &["magic"]);
}

#[test]
fn ehdr_type_not_relocatable() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_TYPE, 2, 2); // ET_EXEC
    rejected(&elf, KlpelfCheck::EhdrType, &["ET_REL"]);
}

#[test]
fn ehdr_arch_wrong_machine_class_or_byte_order() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_MACHINE, 2, 3); // EM_386
    rejected(&elf, KlpelfCheck::EhdrArch, &["e_machine is 3"]);
    let mut elf = livepatch().elf();
    elf.0[4] = 1; // ELFCLASS32
    rejected(&elf, KlpelfCheck::EhdrArch, &["EI_CLASS is 1"]);
    let mut elf = livepatch().elf();
    elf.0[5] = if cfg!(target_endian = "little") { 2 } else { 1 };
    rejected(&elf, KlpelfCheck::EhdrArch, &["EI_DATA"]);
}

// elf_validity_cache_sechdrs(): the section header table, section 0, every section's contents.

#[test]
fn sechdrs_entsize_wrong_section_header_size() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_SHENTSIZE, 2, 40);
    rejected(&elf, KlpelfCheck::SechdrsEntsize, &["e_shentsize is 40"]);
}

#[test]
fn sechdrs_overflow_section_header_table_outside_the_file() {
    let mut elf = livepatch().elf();
    let len = elf.len() as u64;
    elf.set_hdr(E_SHOFF, 8, len);
    rejected(&elf, KlpelfCheck::SechdrsOverflow, &["e_shoff"]);
    let mut elf = livepatch().elf();
    let room = (elf.len() - elf.shoff()) / SHDR;
    elf.set_hdr(E_SHNUM, 2, room as u64 + 1);
    rejected(&elf, KlpelfCheck::SechdrsOverflow, &["section header table"]);
}

#[test]
fn sechdrs_section0_section_0_not_null() {
    let mut elf = livepatch().elf();
    elf.set_shdr(0, SH_TYPE, 4, SHT_PROGBITS.into());
    rejected(&elf, KlpelfCheck::SechdrsSection0, &["section 0", "SHT_PROGBITS"]);
    let mut elf = livepatch().elf();
    elf.set_shdr(0, SH_ADDR, 8, 0x1000);
    rejected(&elf, KlpelfCheck::SechdrsSection0, &["sh_addr 0x1000"]);
    let mut elf = livepatch().elf();
    elf.set_shdr(0, SH_SIZE, 8, 5);
    rejected(&elf, KlpelfCheck::SechdrsSection0, &["sh_size 5"]);
}

#[test]
fn sechdrs_offset_section_past_the_end_of_the_file() {
    let fixture = livepatch();
    let text = fixture.index(".text");
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(text, SH_SIZE, 8, len);
    rejected(
        &elf,
        KlpelfCheck::SechdrsOffset,
        &[&format!("section {text} (.text)"), "extends past the end"],
    );
    // Overflowing offset + size.
    let mut elf = fixture.elf();
    elf.set_shdr(text, SH_OFFSET, 8, u64::MAX - 1);
    rejected(&elf, KlpelfCheck::SechdrsOffset, &[&format!("section {text} (.text)")]);
}

// elf_validity_cache_secstrings(): the section-name table and every section's name.

#[test]
fn secstrings_index_bad_section_name_table_index() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_SHSTRNDX, 2, 0);
    rejected(&elf, KlpelfCheck::SecstringsIndex, &["SHN_UNDEF"]);
    let mut elf = livepatch().elf();
    let shnum = elf.get(E_SHNUM, 2);
    elf.set_hdr(E_SHSTRNDX, 2, shnum);
    rejected(
        &elf,
        KlpelfCheck::SecstringsIndex,
        &[&format!("index {shnum} is not below the section count {shnum}")],
    );
    // SHN_XINDEX without the flag: the kernel's verdict, with a hint.
    let mut elf = livepatch().elf();
    elf.set_hdr(E_SHSTRNDX, 2, 0xffff);
    rejected(&elf, KlpelfCheck::SecstringsIndex, &["KLPELF_SETUP_ALLOW_XNUM"]);
}

#[test]
fn secstrings_empty_empty_section_name_table() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    elf.set_shdr(fixture.shstrndx, SH_SIZE, 8, 0);
    rejected(
        &elf,
        KlpelfCheck::SecstringsEmpty,
        &[&format!("section-name table section {}", fixture.shstrndx), "empty"],
    );
}

#[test]
fn secstrings_nul_section_name_table_not_terminated() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let last = elf.contents(fixture.shstrndx).end - 1;
    elf.0[last] = b'x';
    rejected(&elf, KlpelfCheck::SecstringsNul, &["section-name table", "NUL"]);
}

#[test]
fn secstrings_name_section_name_out_of_range() {
    let fixture = livepatch();
    let comment = fixture.index(".comment");
    let mut elf = fixture.elf();
    let size = elf.contents(fixture.shstrndx).len() as u64;
    elf.set_shdr(comment, SH_NAME, 4, size);
    rejected(
        &elf,
        KlpelfCheck::SecstringsName,
        &[&format!("section {comment} "), &format!("sh_name {size}")],
    );
}

/// The section-name table must be `SHT_STRTAB` (since Linux 6.18): a real module whose
/// `.shstrtab` has type `SHT_NOBITS` is refused for that, its name table inside the file.
#[test]
fn secstrings_type_section_name_table_not_strtab() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    elf.set_shdr(fixture.shstrndx, SH_TYPE, 4, SHT_NOBITS.into());
    let label = format!("section-name table section {} (.shstrtab)", fixture.shstrndx);
    rejected(
        &elf,
        KlpelfCheck::SecstringsType,
        &[&label, "is of type SHT_NOBITS (8), not SHT_STRTAB"],
    );
}

// elf_validity_cache_index_info() and _mod(): .modinfo and .gnu.linkonce.this_module.

#[test]
fn index_info_unique_two_modinfo_sections() {
    let fixture = livepatch();
    let (modinfo, comment) = (fixture.index(".modinfo"), fixture.index(".comment"));
    let mut elf = fixture.elf();
    elf.rename_like(comment, modinfo);
    rejected(&elf, KlpelfCheck::IndexInfoUnique, &[".modinfo", "2 sections"]);
}

#[test]
fn index_mod_unique_not_exactly_one_this_module() {
    let fixture = livepatch();
    let (this_module, comment) =
        (fixture.index(".gnu.linkonce.this_module"), fixture.index(".comment"));
    let mut none = fixture.elf();
    none.rename_like(this_module, comment);
    rejected(&none, KlpelfCheck::IndexModUnique, &["0 sections named .gnu.linkonce.this_module"]);
    let mut two = fixture.elf();
    two.rename_like(comment, this_module);
    rejected(&two, KlpelfCheck::IndexModUnique, &["2 sections named .gnu.linkonce.this_module"]);
}

#[test]
fn index_mod_nobits_this_module_without_contents() {
    let fixture = livepatch();
    let index = fixture.index(".gnu.linkonce.this_module");
    let mut elf = fixture.elf();
    elf.set_shdr(index, SH_TYPE, 4, SHT_NOBITS.into());
    rejected(
        &elf,
        KlpelfCheck::IndexModNobits,
        &[&format!("section {index} (.gnu.linkonce.this_module)"), "SHT_NOBITS"],
    );
}

#[test]
fn index_mod_alloc_this_module_not_loaded() {
    let fixture = livepatch();
    let index = fixture.index(".gnu.linkonce.this_module");
    let mut elf = fixture.elf();
    let flags = elf.shdr(index, SH_FLAGS, 8);
    elf.set_shdr(index, SH_FLAGS, 8, flags & !SHF_ALLOC);
    rejected(&elf, KlpelfCheck::IndexModAlloc, &[".gnu.linkonce.this_module", "SHF_ALLOC"]);
}

/// `elf_validity_cache_index_mod()` also compares `.gnu.linkonce.this_module`'s size with the
/// running kernel's `sizeof(struct module)`, which klpelf cannot know: the fixtures' 1024-byte
/// section is accepted, though klpelf's `struct module` is 104, and so is any other size.
#[test]
fn this_module_size_is_not_checked() {
    let fixture = livepatch();
    let index = fixture.index(".gnu.linkonce.this_module");
    let mut elf = fixture.elf();
    assert_eq!(elf.shdr(index, SH_SIZE, 8), 1024);
    elf.set_shdr(index, SH_SIZE, 8, 1000);
    setup_ok(&Image::new(&elf.0), 0);
}

// elf_validity_cache_index_sym(), _str() and _versions(): the symbol table, its link, the extended

/// The section the symbol table links to must be `SHT_STRTAB` (since Linux 6.18): `.strtab` of
/// type `SHT_PROGBITS`, and a symbol table that links to itself, are refused for that.
#[test]
fn index_str_type_symbol_string_table_not_strtab() {
    let fixture = livepatch();
    let symtab = fixture.symtab();
    let mut elf = fixture.elf();
    elf.set_shdr(symtab.link, SH_TYPE, 4, SHT_PROGBITS.into());
    let label = format!("symbol string table section {} (.strtab)", symtab.link);
    rejected(&elf, KlpelfCheck::IndexStrType, &[&label, "SHT_PROGBITS (1), not SHT_STRTAB"]);
    let mut elf = fixture.elf();
    elf.set_shdr(symtab.index, SH_LINK, 4, symtab.index as u64);
    let label = format!("symbol string table section {} (.symtab)", symtab.index);
    rejected(&elf, KlpelfCheck::IndexStrType, &[&label, "SHT_SYMTAB (2), not SHT_STRTAB"]);
}

// version sections.

#[test]
fn index_sym_unique_not_exactly_one_symbol_table() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let mut none = fixture.elf();
    none.set_shdr(symtab, SH_TYPE, 4, SHT_PROGBITS.into());
    rejected(&none, KlpelfCheck::IndexSymUnique, &["module has no symbols (stripped?)"]);
    let mut two = fixture.elf();
    two.set_shdr(fixture.index(".comment"), SH_TYPE, 4, SHT_SYMTAB.into());
    rejected(&two, KlpelfCheck::IndexSymUnique, &["2 SHT_SYMTAB sections"]);
}

#[test]
fn index_str_link_symbol_table_link_out_of_range() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let mut elf = fixture.elf();
    elf.set_shdr(symtab, SH_LINK, 4, 0);
    rejected(
        &elf,
        KlpelfCheck::IndexStrLink,
        &[&format!("symbol table section {symtab} (.symtab)"), "sh_link 0"],
    );
    let mut elf = fixture.elf();
    let count = fixture.sections.len() as u64;
    elf.set_shdr(symtab, SH_LINK, 4, count);
    rejected(&elf, KlpelfCheck::IndexStrLink, &[&format!("sh_link {count}")]);
}

#[test]
fn index_versions_pair_unpaired_extended_version_sections() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    elf.rename_like(fixture.index("__version_ext_names"), fixture.index(".comment"));
    rejected(
        &elf,
        KlpelfCheck::IndexVersionsPair,
        &["present in __version_ext_crcs but __version_ext_names is missing"],
    );
}

#[test]
fn index_versions_names_more_crcs_than_names() {
    let fixture = livepatch();
    let names = fixture.index("__version_ext_names");
    let mut elf = fixture.elf();
    // Keep only "a_long_symbol_name\0": one name for two CRCs.
    elf.set_shdr(names, SH_SIZE, 8, 19);
    rejected(&elf, KlpelfCheck::IndexVersionsNames, &["(__version_ext_crcs)", "2 CRCs", "only 1"]);
}

// elf_validity_cache_strtab(): the symbol string table and every symbol's name.

#[test]
fn strtab_empty_empty_symbol_string_table() {
    let fixture = livepatch();
    let strtab = fixture.symtab().link;
    let mut elf = fixture.elf();
    elf.set_shdr(strtab, SH_SIZE, 8, 0);
    rejected(
        &elf,
        KlpelfCheck::StrtabEmpty,
        &[&format!("symbol string table section {strtab} (.strtab)"), "empty"],
    );
}

#[test]
fn strtab_leading_nul_symbol_string_table_without_leading_nul() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let first = elf.contents(fixture.symtab().link).start;
    elf.0[first] = b'x';
    rejected(&elf, KlpelfCheck::StrtabLeadingNul, &["symbol string table", "start with a NUL"]);
}

#[test]
fn strtab_nul_symbol_string_table_not_terminated() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let last = elf.contents(fixture.symtab().link).end - 1;
    elf.0[last] = b'x';
    rejected(&elf, KlpelfCheck::StrtabNul, &["symbol string table", "end with a NUL"]);
}

#[test]
fn strtab_name_symbol_name_out_of_range() {
    let fixture = livepatch();
    let symtab = fixture.symtab();
    let mut elf = fixture.elf();
    let size = elf.contents(symtab.link).len() as u64;
    let at = elf.sym_field(symtab.index, 5, ST_NAME);
    elf.set(at, 4, size);
    rejected(&elf, KlpelfCheck::StrtabName, &["symbol 5", &format!("st_name {size}")]);
}
