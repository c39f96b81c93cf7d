//! klpelf's own checks in `klpelf_setup_load_info()`, one mutation of a compiler-made module at a
//! time: the reads the kernel makes without a bounds check, which klpelf turns into rejections (and
//! the two the kernel itself now closes with its type checks), klpelf's alignment rules, and
//! extended section numbering.

mod support;

use klpelf::check_id::KlpelfCheck;
use klpelf::ffi::KLPELF_SETUP_ALLOW_XNUM;
use support::api::{c_str, rejected, rejected_as, setup_ok, ENOEXEC};
use support::elf::{
    Elf, E_SHNUM, E_SHOFF, E_SHSTRNDX, SHT_NOBITS, SH_NAME, SH_OFFSET, SH_SIZE, SH_TYPE, ST_SHNDX,
};
use support::image::Image;
use support::objects::{livepatch, xnum};

// ------------------------------------------------------------------------------------------------
// Reads the kernel makes without a bounds check, rejected by klpelf
// ------------------------------------------------------------------------------------------------

/// A section-name table of type `SHT_NOBITS` outside the file: `validate_section_offset()` skips
/// it, and before the kernel checked the table's type, `elf_validity_cache_secstrings()` read its
/// bytes anyway. The type check now rejects it first.
#[test]
fn secstrings_type_closes_the_read_of_a_name_table_without_contents() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(fixture.shstrndx, SH_TYPE, 4, SHT_NOBITS.into());
    elf.set_shdr(fixture.shstrndx, SH_OFFSET, 8, len);
    rejected(
        &elf,
        KlpelfCheck::SecstringsType,
        &["section-name table", "SHT_NOBITS (8), not SHT_STRTAB"],
    );
}

/// Section 0, which `elf_validity_cache_sechdrs()` reads even when `e_shnum` is 0 and its size
/// check proved nothing.
#[test]
fn section_0_outside_the_file_with_no_section_count() {
    let mut elf = livepatch().elf();
    let shoff = (elf.len() as u64 - 16) & !7;
    elf.set_hdr(E_SHNUM, 2, 0);
    elf.set_hdr(E_SHOFF, 8, shoff);
    rejected(&elf, KlpelfCheck::Section0InFile, &["section 0"]);
    // Also under extended numbering, where section 0 holds the count.
    rejected_as(
        &elf.0,
        KLPELF_SETUP_ALLOW_XNUM,
        ENOEXEC,
        KlpelfCheck::Section0InFile,
        &["section 0"],
    );
}

/// The names of `SHT_NULL` sections, which `elf_validity_cache_secstrings()` skips but the lookups
/// by name (`find_sec()`, `find_any_unique_sec()`) compare.
#[test]
fn null_section_name_out_of_range() {
    let fixture = livepatch();
    let comment = fixture.index(".comment");
    let mut elf = fixture.elf();
    elf.set_shdr(comment, SH_TYPE, 4, 0);
    elf.set_shdr(comment, SH_NAME, 4, 0xffff_0000);
    rejected(&elf, KlpelfCheck::NullSectionName, &[&format!("section {comment} "), "SHT_NULL"]);
}

/// A symbol string table of type `SHT_NOBITS` outside the file: before the kernel checked its
/// type in `elf_validity_cache_index_str()`, `elf_validity_cache_strtab()` read its bytes anyway.
/// The type check now rejects it first.
#[test]
fn index_str_type_closes_the_read_of_a_string_table_without_contents() {
    let fixture = livepatch();
    let strtab = fixture.symtab().link;
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(strtab, SH_TYPE, 4, SHT_NOBITS.into());
    elf.set_shdr(strtab, SH_OFFSET, 8, len + 100);
    rejected(
        &elf,
        KlpelfCheck::IndexStrType,
        &[&format!("symbol string table section {strtab}"), "SHT_NOBITS"],
    );
}

/// Symbols' section indices, which `simplify_symbols()` uses to index the section headers.
#[test]
fn symbol_section_index_out_of_range() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let count = fixture.sections.len();
    let mut elf = fixture.elf();
    let at = elf.sym_field(symtab, 4, ST_SHNDX);
    elf.set(at, 2, count as u64 + 5);
    rejected(&elf, KlpelfCheck::SymbolShndx, &["symbol 4", &format!("{count} sections")]);
    // A reserved index the loader would still use as an index.
    let mut elf = fixture.elf();
    elf.set(at, 2, 0xff05);
    rejected(&elf, KlpelfCheck::SymbolShndx, &["symbol 4", "reserved st_shndx 0xff05"]);
    // SHN_XINDEX, meaningful only under extended numbering.
    let mut elf = fixture.elf();
    elf.set(at, 2, 0xffff);
    rejected(
        &elf,
        KlpelfCheck::SymbolShndx,
        &["symbol 4", "SHN_XINDEX", "KLPELF_SETUP_ALLOW_XNUM"],
    );
}

/// Relocations' symbol indices, which `apply_relocations()` uses to index the symbol table.
#[test]
fn relocation_symbol_index_out_of_range() {
    let fixture = livepatch();
    let rela = fixture.index(".rela.text");
    let mut elf = fixture.elf();
    let r_info = elf.contents(rela).start + 8;
    let kind = elf.get(r_info, 8) & 0xffff_ffff;
    elf.set(r_info, 8, (1000 << 32) | kind);
    rejected(
        &elf,
        KlpelfCheck::RelocationSymbol,
        &[&format!("relocation section {rela} (.rela.text)"), "symbol 1000"],
    );
}

/// The bytes of the sections `load_info` indexes, which the loader reads whatever their type.
#[test]
fn indexed_section_without_contents_outside_the_file() {
    let fixture = livepatch();
    for name in [".modinfo", "__versions", "__version_ext_names", ".data..percpu"] {
        let index = fixture.index(name);
        let mut elf = fixture.elf();
        let len = elf.len() as u64;
        elf.set_shdr(index, SH_TYPE, 4, SHT_NOBITS.into());
        elf.set_shdr(index, SH_OFFSET, 8, len);
        rejected(
            &elf,
            KlpelfCheck::IndexedInFile,
            &[&format!("section {index} ({name})"), "SHT_NOBITS"],
        );
    }
}

/// The bytes of an `SHT_NULL` section with `SHF_ALLOC`, which the loader copies into the module
/// though `elf_validity_cache_sechdrs()` skips `SHT_NULL` sections.
#[test]
fn loaded_null_section_outside_the_file() {
    let fixture = livepatch();
    let data = fixture.index(".data");
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(data, SH_TYPE, 4, 0);
    elf.set_shdr(data, SH_OFFSET, 8, len);
    rejected(&elf, KlpelfCheck::NullAllocInFile, &[&format!("section {data} (.data)"), "SHT_NULL"]);
}

/// Empty sections are not read, wherever their offset points, so the kernel accepts them past the
/// end of the file and so does klpelf: a loaded `SHT_NULL` section, and indexed sections of type
/// `SHT_NOBITS` (but `.modinfo`, whose first byte the kernel reads even when it is empty).
#[test]
fn empty_sections_past_the_end_are_not_read() {
    let fixture = livepatch();
    for (name, sh_type) in [(".data", 0), ("__versions", SHT_NOBITS), (".data..percpu", SHT_NOBITS)]
    {
        let index = fixture.index(name);
        let mut elf = fixture.elf();
        let len = elf.len() as u64;
        elf.set_shdr(index, SH_TYPE, 4, sh_type.into());
        elf.set_shdr(index, SH_OFFSET, 8, len + 8);
        elf.set_shdr(index, SH_SIZE, 8, 0);
        setup_ok(&Image::new(&elf.0), 0);
    }
    let modinfo = fixture.index(".modinfo");
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(modinfo, SH_TYPE, 4, SHT_NOBITS.into());
    elf.set_shdr(modinfo, SH_OFFSET, 8, len + 8);
    elf.set_shdr(modinfo, SH_SIZE, 8, 0);
    rejected(&elf, KlpelfCheck::IndexedInFile, &[&format!("section {modinfo} (.modinfo)")]);
}

// ------------------------------------------------------------------------------------------------
// klpelf's alignment: C reads the section and symbol tables as arrays
// ------------------------------------------------------------------------------------------------

/// `elf` with the bytes of `range` copied to a new offset that is 4 past a multiple of 8.
fn moved_misaligned(elf: &mut Elf, range: std::ops::Range<usize>) -> u64 {
    let copy = elf.0[range].to_vec();
    let at = elf.len().next_multiple_of(8) + 4;
    elf.0.resize(at, 0);
    elf.0.extend_from_slice(&copy);
    at as u64
}

#[test]
fn alignment_of_the_section_header_table() {
    let mut elf = livepatch().elf();
    let table = elf.shoff()..elf.len().min(elf.shoff() + elf.get(E_SHNUM, 2) as usize * 64);
    let at = moved_misaligned(&mut elf, table);
    elf.set_hdr(E_SHOFF, 8, at);
    rejected(&elf, KlpelfCheck::Alignment, &[&format!("e_shoff {at}")]);
}

#[test]
fn alignment_of_the_symbol_table() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let mut elf = fixture.elf();
    let contents = elf.contents(symtab);
    let at = moved_misaligned(&mut elf, contents);
    elf.set_shdr(symtab, SH_OFFSET, 8, at);
    rejected(&elf, KlpelfCheck::Alignment, &[&format!("symbol table section {symtab} (.symtab)")]);
}

// ------------------------------------------------------------------------------------------------
// Extended section numbering
// ------------------------------------------------------------------------------------------------

#[test]
fn extended_numbering_is_rejected_by_default_and_accepted_with_the_flag() {
    let fixture = xnum();
    assert!(
        fixture.sections.len() > 0xff00,
        "the assembler made {} sections",
        fixture.sections.len()
    );
    let elf = fixture.elf();
    assert_eq!(elf.get(E_SHNUM, 2), 0);
    assert_eq!(elf.get(E_SHSTRNDX, 2), 0xffff);
    rejected(
        &elf,
        KlpelfCheck::SechdrsSection0,
        &["extended section numbering", "KLPELF_SETUP_ALLOW_XNUM"],
    );

    let image = Image::new(&fixture.bytes);
    let info = setup_ok(&image, KLPELF_SETUP_ALLOW_XNUM);
    let symtab = fixture.symtab();
    assert_eq!((info.index.sym, info.index.str), (symtab.index, symtab.link));
    assert_eq!(info.index.r#mod, fixture.index(".gnu.linkonce.this_module"));
    assert_eq!(info.index.info, fixture.index(".modinfo"));
    let shstrtab = &fixture.sections[fixture.shstrndx as usize];
    assert_eq!(image.offset_of(info.secstrings.cast()), shstrtab.offset as usize);
    assert_eq!(image.offset_of(info.sechdrs.cast()), fixture.shoff as usize);
    assert_eq!(c_str(info.name).as_deref(), Some("xnum"));
}

#[test]
fn extended_numbering_checks_extended_symbol_indices() {
    let fixture = xnum();
    let shndx = fixture.index(".symtab_shndx");
    let mut elf = fixture.elf();
    // Symbol 2 (xnum_last) lives in a section above 0xff00, so its index is in .symtab_shndx.
    let entry = elf.contents(shndx).start + 2 * 4;
    assert_eq!(elf.get(entry, 4), u64::from(fixture.index(".s69999")));
    elf.set(entry, 4, 80_000);
    rejected_as(
        &elf.0,
        KLPELF_SETUP_ALLOW_XNUM,
        ENOEXEC,
        KlpelfCheck::SymbolShndx,
        &["symbol 2", "section index 80000"],
    );
}
