//! From image bytes to a persisted `klp_info`, through the C ABI: `klpelf_setup_load_info()` on
//! compiler-made module-shaped objects (checked against readelf), one mutation per check-table row
//! and per kernel gap, appended signatures, extended numbering, `klpelf_prepare_module()` +
//! `copy_module_elf()` + `klpelf_release_module()`, and `klpelf_get_modinfo()`.

mod support;

use std::ffi::{c_char, c_int, CString};
use std::mem::MaybeUninit;
use std::ptr;

use klpelf::ffi::{
    copy_module_elf, klpelf_get_modinfo, klpelf_module_signature, klpelf_prepare_module,
    klpelf_release_module, klpelf_setup_load_info, KLPELF_SETUP_ALLOW_XNUM,
};
use klpelf::layout::{Elf64_Shdr, Elf64_Sym, KlpelfSignature, LoadInfo};
use support::alloc::{serial, CountingAllocator};
use support::api::{
    c_str, last_error, module_name, rejected, rejected_as, setup, setup_ok, zeroed_module,
    InfoSlot, EINVAL, ENOEXEC,
};
use support::elf::{
    Elf, E_MACHINE, E_SHENTSIZE, E_SHNUM, E_SHOFF, E_SHSTRNDX, E_TYPE, SHF_ALLOC, SHT_NOBITS,
    SHT_PROGBITS, SHT_SYMTAB, SH_ADDR, SH_FLAGS, SH_INFO, SH_LINK, SH_NAME, SH_OFFSET, SH_SIZE,
    SH_TYPE, ST_NAME, ST_SHNDX,
};
use support::fuzz_targets::MARKER;
use support::image::Image;
use support::objects::{assert_matches_readelf, livepatch, long_name, plain, xnum, Fixture};

// ------------------------------------------------------------------------------------------------
// Accepted images
// ------------------------------------------------------------------------------------------------

#[test]
fn accepts_a_livepatch_module_and_finds_what_readelf_finds() {
    let fixture = livepatch();
    let image = Image::new(&fixture.bytes);
    let info = setup_ok(&image, 0);
    assert_matches_readelf(&info, &image, fixture);
    assert_eq!(c_str(info.name).as_deref(), Some("klptest"));
    // Every optional index is present in this fixture.
    assert!(info.index.vers != 0 && info.index.pcpu != 0);
    assert!(info.index.vers_ext_crc != 0 && info.index.vers_ext_name != 0);
}

#[test]
fn accepts_a_plain_module_without_optional_sections() {
    let fixture = plain();
    let image = Image::new(&fixture.bytes);
    let info = setup_ok(&image, 0);
    assert_matches_readelf(&info, &image, fixture);
    assert_eq!(c_str(info.name).as_deref(), Some("plainmod"));
    assert_eq!((info.index.pcpu, info.index.vers_ext_crc, info.index.vers_ext_name), (0, 0, 0));
}

/// Row 18 (`.gnu.linkonce.this_module`'s size against the running kernel's `struct module`) is not
/// checked: the fixtures' 1024-byte section is accepted, though klpelf's `struct module` is 104.
#[test]
fn row_18_is_not_checked() {
    let fixture = livepatch();
    let index = fixture.index(".gnu.linkonce.this_module");
    let mut elf = fixture.elf();
    assert_eq!(elf.shdr(index, SH_SIZE, 8), 1024);
    elf.set_shdr(index, SH_SIZE, 8, 1000);
    setup_ok(&Image::new(&elf.0), 0);
}

// ------------------------------------------------------------------------------------------------
// One mutation per row of the kernel's check table
// ------------------------------------------------------------------------------------------------

#[test]
fn row_01_shorter_than_an_elf_header() {
    let bytes = &livepatch().bytes[..63];
    rejected_as(bytes, 0, ENOEXEC, "row 1", &["63 bytes"]);
}

#[test]
fn row_02_bad_magic() {
    let mut elf = livepatch().elf();
    elf.0[1] = b'X';
    rejected(&elf, "row 2", &["magic"]);
}

#[test]
fn row_03_not_relocatable() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_TYPE, 2, 2); // ET_EXEC
    rejected(&elf, "row 3", &["ET_REL"]);
}

#[test]
fn row_04_wrong_machine_class_or_byte_order() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_MACHINE, 2, 3); // EM_386
    rejected(&elf, "row 4", &["e_machine is 3"]);
    let mut elf = livepatch().elf();
    elf.0[4] = 1; // ELFCLASS32
    rejected(&elf, "row 4", &["EI_CLASS is 1"]);
    let mut elf = livepatch().elf();
    elf.0[5] = if cfg!(target_endian = "little") { 2 } else { 1 };
    rejected(&elf, "row 4", &["EI_DATA"]);
}

#[test]
fn row_06_wrong_section_header_size() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_SHENTSIZE, 2, 40);
    rejected(&elf, "row 6", &["e_shentsize is 40"]);
}

#[test]
fn row_07_section_header_table_outside_the_file() {
    let mut elf = livepatch().elf();
    let len = elf.len() as u64;
    elf.set_hdr(E_SHOFF, 8, len);
    rejected(&elf, "row 7", &["e_shoff"]);
    let mut elf = livepatch().elf();
    let room = (elf.len() - elf.shoff()) / size_of::<Elf64_Shdr>();
    elf.set_hdr(E_SHNUM, 2, room as u64 + 1);
    rejected(&elf, "row 7", &["section header table"]);
}

#[test]
fn row_08_section_0_not_null() {
    let mut elf = livepatch().elf();
    elf.set_shdr(0, SH_TYPE, 4, SHT_PROGBITS.into());
    rejected(&elf, "row 8", &["section 0", "SHT_PROGBITS"]);
    let mut elf = livepatch().elf();
    elf.set_shdr(0, SH_ADDR, 8, 0x1000);
    rejected(&elf, "row 8", &["sh_addr 0x1000"]);
    let mut elf = livepatch().elf();
    elf.set_shdr(0, SH_SIZE, 8, 5);
    rejected(&elf, "row 8", &["sh_size 5"]);
}

#[test]
fn row_09_section_past_the_end_of_the_file() {
    let fixture = livepatch();
    let text = fixture.index(".text");
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(text, SH_SIZE, 8, len);
    rejected(&elf, "row 9", &[&format!("section {text} (.text)"), "extends past the end"]);
    // Overflowing offset + size.
    let mut elf = fixture.elf();
    elf.set_shdr(text, SH_OFFSET, 8, u64::MAX - 1);
    rejected(&elf, "row 9", &[&format!("section {text} (.text)")]);
}

#[test]
fn row_10_bad_section_name_table_index() {
    let mut elf = livepatch().elf();
    elf.set_hdr(E_SHSTRNDX, 2, 0);
    rejected(&elf, "row 10", &["SHN_UNDEF"]);
    let mut elf = livepatch().elf();
    let shnum = elf.get(E_SHNUM, 2);
    elf.set_hdr(E_SHSTRNDX, 2, shnum);
    rejected(&elf, "row 10", &[&format!("index {shnum} is not below the section count {shnum}")]);
    // SHN_XINDEX without the flag: the kernel's verdict, with a hint.
    let mut elf = livepatch().elf();
    elf.set_hdr(E_SHSTRNDX, 2, 0xffff);
    rejected(&elf, "row 10", &["KLPELF_SETUP_ALLOW_XNUM"]);
}

#[test]
fn row_11_empty_section_name_table() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    elf.set_shdr(fixture.shstrndx, SH_SIZE, 8, 0);
    rejected(
        &elf,
        "row 11",
        &[&format!("section-name table section {}", fixture.shstrndx), "empty"],
    );
}

#[test]
fn row_12_section_name_table_not_terminated() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let last = elf.contents(fixture.shstrndx).end - 1;
    elf.0[last] = b'x';
    rejected(&elf, "row 12", &["section-name table", "NUL"]);
}

#[test]
fn row_13_section_name_out_of_range() {
    let fixture = livepatch();
    let comment = fixture.index(".comment");
    let mut elf = fixture.elf();
    let size = elf.contents(fixture.shstrndx).len() as u64;
    elf.set_shdr(comment, SH_NAME, 4, size);
    rejected(&elf, "row 13", &[&format!("section {comment} "), &format!("sh_name {size}")]);
}

#[test]
fn row_14_two_modinfo_sections() {
    let fixture = livepatch();
    let (modinfo, comment) = (fixture.index(".modinfo"), fixture.index(".comment"));
    let mut elf = fixture.elf();
    let name = elf.shdr(modinfo, SH_NAME, 4);
    elf.set_shdr(comment, SH_NAME, 4, name);
    rejected(&elf, "row 14", &[".modinfo", "2 sections"]);
}

#[test]
fn row_15_not_exactly_one_this_module() {
    let fixture = livepatch();
    let (this_module, comment) =
        (fixture.index(".gnu.linkonce.this_module"), fixture.index(".comment"));
    let mut none = fixture.elf();
    let comment_name = none.shdr(comment, SH_NAME, 4);
    none.set_shdr(this_module, SH_NAME, 4, comment_name);
    rejected(&none, "row 15", &["0 sections named .gnu.linkonce.this_module"]);
    let mut two = fixture.elf();
    let name = two.shdr(this_module, SH_NAME, 4);
    two.set_shdr(comment, SH_NAME, 4, name);
    rejected(&two, "row 15", &["2 sections named .gnu.linkonce.this_module"]);
}

#[test]
fn row_16_this_module_without_contents() {
    let fixture = livepatch();
    let index = fixture.index(".gnu.linkonce.this_module");
    let mut elf = fixture.elf();
    elf.set_shdr(index, SH_TYPE, 4, SHT_NOBITS.into());
    rejected(
        &elf,
        "row 16",
        &[&format!("section {index} (.gnu.linkonce.this_module)"), "SHT_NOBITS"],
    );
}

#[test]
fn row_17_this_module_not_loaded() {
    let fixture = livepatch();
    let index = fixture.index(".gnu.linkonce.this_module");
    let mut elf = fixture.elf();
    let flags = elf.shdr(index, SH_FLAGS, 8);
    elf.set_shdr(index, SH_FLAGS, 8, flags & !SHF_ALLOC);
    rejected(&elf, "row 17", &[".gnu.linkonce.this_module", "SHF_ALLOC"]);
}

#[test]
fn row_19_not_exactly_one_symbol_table() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let mut none = fixture.elf();
    none.set_shdr(symtab, SH_TYPE, 4, SHT_PROGBITS.into());
    rejected(&none, "row 19", &["module has no symbols (stripped?)"]);
    let mut two = fixture.elf();
    two.set_shdr(fixture.index(".comment"), SH_TYPE, 4, SHT_SYMTAB.into());
    rejected(&two, "row 19", &["2 SHT_SYMTAB sections"]);
}

#[test]
fn row_20_symbol_table_link_out_of_range() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let mut elf = fixture.elf();
    elf.set_shdr(symtab, SH_LINK, 4, 0);
    rejected(&elf, "row 20", &[&format!("symbol table section {symtab} (.symtab)"), "sh_link 0"]);
    let mut elf = fixture.elf();
    let count = fixture.sections.len() as u64;
    elf.set_shdr(symtab, SH_LINK, 4, count);
    rejected(&elf, "row 20", &[&format!("sh_link {count}")]);
}

#[test]
fn row_21_unpaired_extended_version_sections() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let comment_name = elf.shdr(fixture.index(".comment"), SH_NAME, 4);
    elf.set_shdr(fixture.index("__version_ext_names"), SH_NAME, 4, comment_name);
    rejected(&elf, "row 21", &["present in __version_ext_crcs but __version_ext_names is missing"]);
}

#[test]
fn row_22_more_crcs_than_names() {
    let fixture = livepatch();
    let names = fixture.index("__version_ext_names");
    let mut elf = fixture.elf();
    // Keep only "a_long_symbol_name\0": one name for two CRCs.
    elf.set_shdr(names, SH_SIZE, 8, 19);
    rejected(&elf, "row 22", &["(__version_ext_crcs)", "2 CRCs", "only 1"]);
}

#[test]
fn row_23_empty_symbol_string_table() {
    let fixture = livepatch();
    let strtab = fixture.symtab().link;
    let mut elf = fixture.elf();
    elf.set_shdr(strtab, SH_SIZE, 8, 0);
    rejected(
        &elf,
        "row 23",
        &[&format!("symbol string table section {strtab} (.strtab)"), "empty"],
    );
}

#[test]
fn row_24_symbol_string_table_without_leading_nul() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let first = elf.contents(fixture.symtab().link).start;
    elf.0[first] = b'x';
    rejected(&elf, "row 24", &["symbol string table", "start with a NUL"]);
}

#[test]
fn row_25_symbol_string_table_not_terminated() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let last = elf.contents(fixture.symtab().link).end - 1;
    elf.0[last] = b'x';
    rejected(&elf, "row 25", &["symbol string table", "end with a NUL"]);
}

#[test]
fn row_26_symbol_name_out_of_range() {
    let fixture = livepatch();
    let symtab = fixture.symtab();
    let mut elf = fixture.elf();
    let size = elf.contents(symtab.link).len() as u64;
    let at = elf.sym_field(symtab.index, 5, ST_NAME);
    elf.set(at, 4, size);
    rejected(&elf, "row 26", &["symbol 5", &format!("st_name {size}")]);
}

// ------------------------------------------------------------------------------------------------
// One mutation per kernel gap (reads the kernel makes without bounds checks)
// ------------------------------------------------------------------------------------------------

#[test]
fn gap_1_section_name_table_without_contents_outside_the_file() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(fixture.shstrndx, SH_TYPE, 4, SHT_NOBITS.into());
    elf.set_shdr(fixture.shstrndx, SH_OFFSET, 8, len);
    rejected(&elf, "gap 1", &["section-name table", "SHT_NOBITS", "extends past the end"]);
}

#[test]
fn gap_2_section_0_outside_the_file_with_no_section_count() {
    let mut elf = livepatch().elf();
    let shoff = (elf.len() as u64 - 16) & !7;
    elf.set_hdr(E_SHNUM, 2, 0);
    elf.set_hdr(E_SHOFF, 8, shoff);
    rejected(&elf, "gap 2", &["section 0"]);
    // Also under extended numbering, where section 0 holds the count.
    rejected_as(&elf.0, KLPELF_SETUP_ALLOW_XNUM, ENOEXEC, "gap 2", &["section 0"]);
}

#[test]
fn gap_3_null_section_name_out_of_range() {
    let fixture = livepatch();
    let comment = fixture.index(".comment");
    let mut elf = fixture.elf();
    elf.set_shdr(comment, SH_TYPE, 4, 0);
    elf.set_shdr(comment, SH_NAME, 4, 0xffff_0000);
    rejected(&elf, "gap 3", &[&format!("section {comment} "), "SHT_NULL"]);
}

#[test]
fn gap_4_symbol_string_table_without_contents_outside_the_file() {
    let fixture = livepatch();
    let strtab = fixture.symtab().link;
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(strtab, SH_TYPE, 4, SHT_NOBITS.into());
    elf.set_shdr(strtab, SH_OFFSET, 8, len + 100);
    rejected(&elf, "gap 4", &[&format!("symbol string table section {strtab}"), "SHT_NOBITS"]);
}

#[test]
fn gap_5_symbol_section_index_out_of_range() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let count = fixture.sections.len();
    let mut elf = fixture.elf();
    let at = elf.sym_field(symtab, 4, ST_SHNDX);
    elf.set(at, 2, count as u64 + 5);
    rejected(&elf, "gap 5", &["symbol 4", &format!("{count} sections")]);
    // A reserved index the loader would still use as an index.
    let mut elf = fixture.elf();
    elf.set(at, 2, 0xff05);
    rejected(&elf, "gap 5", &["symbol 4", "reserved st_shndx 0xff05"]);
    // SHN_XINDEX, meaningful only under extended numbering.
    let mut elf = fixture.elf();
    elf.set(at, 2, 0xffff);
    rejected(&elf, "gap 5", &["symbol 4", "SHN_XINDEX", "KLPELF_SETUP_ALLOW_XNUM"]);
}

#[test]
fn gap_5_relocation_symbol_index_out_of_range() {
    let fixture = livepatch();
    let rela = fixture.index(".rela.text");
    let mut elf = fixture.elf();
    let r_info = elf.contents(rela).start + 8;
    let kind = elf.get(r_info, 8) & 0xffff_ffff;
    elf.set(r_info, 8, (1000 << 32) | kind);
    rejected(&elf, "gap 5", &[&format!("relocation section {rela} (.rela.text)"), "symbol 1000"]);
}

#[test]
fn gap_6_indexed_section_without_contents_outside_the_file() {
    let fixture = livepatch();
    for name in [".modinfo", "__versions", "__version_ext_names", ".data..percpu"] {
        let index = fixture.index(name);
        let mut elf = fixture.elf();
        let len = elf.len() as u64;
        elf.set_shdr(index, SH_TYPE, 4, SHT_NOBITS.into());
        elf.set_shdr(index, SH_OFFSET, 8, len);
        rejected(&elf, "gap 6", &[&format!("section {index} ({name})"), "SHT_NOBITS"]);
    }
}

#[test]
fn gap_7_loaded_null_section_outside_the_file() {
    let fixture = livepatch();
    let data = fixture.index(".data");
    let mut elf = fixture.elf();
    let len = elf.len() as u64;
    elf.set_shdr(data, SH_TYPE, 4, 0);
    elf.set_shdr(data, SH_OFFSET, 8, len);
    rejected(&elf, "gap 7", &[&format!("section {data} (.data)"), "SHT_NULL"]);
}

// ------------------------------------------------------------------------------------------------
// Alignment, arguments, flags
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
    rejected(&elf, "alignment", &[&format!("e_shoff {at}")]);
}

#[test]
fn alignment_of_the_symbol_table() {
    let fixture = livepatch();
    let symtab = fixture.symtab().index;
    let mut elf = fixture.elf();
    let contents = elf.contents(symtab);
    let at = moved_misaligned(&mut elf, contents);
    elf.set_shdr(symtab, SH_OFFSET, 8, at);
    rejected(&elf, "alignment", &[&format!("symbol table section {symtab} (.symtab)")]);
}

#[test]
fn a_misaligned_image_is_einval() {
    let image = Image::at(&livepatch().bytes, 1);
    let mut slot = InfoSlot::new(0xa5);
    let before = slot.bytes();
    // SAFETY: the image's bytes start one past its base and run to its length.
    let rc = unsafe {
        klpelf_setup_load_info(slot.ptr(), image.base().add(1).cast(), image.len() - 1, 0)
    };
    assert_eq!(rc, EINVAL);
    assert!(last_error().unwrap().contains("not a multiple of 8"));
    assert_eq!(slot.bytes(), before, "a failed setup changed *info");
}

#[test]
fn null_arguments_and_unknown_flags_are_einval() {
    let image = Image::new(&livepatch().bytes);
    let mut slot = InfoSlot::new(0xa5);
    let before = slot.bytes();
    // SAFETY: NULL is allowed and rejected; the other pointers are valid.
    unsafe {
        assert_eq!(klpelf_setup_load_info(ptr::null_mut(), image.ptr(), image.len(), 0), EINVAL);
        assert_eq!(klpelf_setup_load_info(slot.ptr(), ptr::null_mut(), 100, 0), EINVAL);
        assert_eq!(klpelf_setup_load_info(slot.ptr(), image.ptr(), image.len(), 2), EINVAL);
        assert!(last_error().unwrap().contains("unknown flags 0x2"));
    }
    assert_eq!(slot.bytes(), before, "a failed setup changed *info");
}

// ------------------------------------------------------------------------------------------------
// Appended signatures
// ------------------------------------------------------------------------------------------------

/// `module`, then a signature trailer laid out as `scripts/sign-file` writes it: the signature
/// (a fake PKCS#7 blob of `sig_len` bytes), `struct module_signature`, the marker.
fn signed(module: &[u8], sig_len: usize, params: [u8; 8]) -> Vec<u8> {
    let mut image = module.to_vec();
    image.extend((0..sig_len).map(|i| (i * 7) as u8));
    image.extend_from_slice(&params);
    image.extend_from_slice(&(sig_len as u32).to_be_bytes());
    image.extend_from_slice(MARKER);
    image
}

const PKCS7: [u8; 8] = [0, 0, 2, 0, 0, 0, 0, 0];

fn signature_of(image: &[u8]) -> Result<KlpelfSignature, (c_int, String)> {
    let mut out = MaybeUninit::<KlpelfSignature>::new(KlpelfSignature {
        sig_len: 0xdead,
        ..Default::default()
    });
    // SAFETY: `image` is readable for its length; `out` is writable.
    let rc =
        unsafe { klpelf_module_signature(image.as_ptr().cast(), image.len(), out.as_mut_ptr()) };
    // SAFETY: initialized above, and written whole on success.
    let out = unsafe { out.assume_init() };
    if rc == 0 {
        Ok(out)
    } else {
        assert_eq!(out, KlpelfSignature { sig_len: 0xdead, ..Default::default() }, "*out changed");
        Err((rc, last_error().unwrap()))
    }
}

#[test]
fn a_signed_module_is_stripped_and_reported() {
    let fixture = livepatch();
    let image_bytes = signed(&fixture.bytes, 467, PKCS7);
    let image = Image::new(&image_bytes);
    let info = setup_ok(&image, 0);
    assert_eq!(info.len as usize, fixture.bytes.len(), "setup strips the signature");
    assert_matches_readelf(&info, &image, fixture);
    let signature = signature_of(&image_bytes).unwrap();
    assert_eq!(
        signature,
        KlpelfSignature {
            sig_offset: fixture.bytes.len(),
            sig_len: 467,
            algo: 0,
            hash: 0,
            id_type: 2,
            signer_len: 0,
            key_id_len: 0,
        }
    );
}

#[test]
fn an_unsigned_module_is_enodata() {
    let (rc, message) = signature_of(&livepatch().bytes).unwrap_err();
    assert_eq!(rc, -libc::ENODATA);
    assert!(message.contains("no appended signature"), "{message}");
}

#[test]
fn malformed_trailers_are_ebadmsg() {
    let module = &livepatch().bytes;
    let mut too_long = signed(module, 10, PKCS7);
    let at = too_long.len() - MARKER.len() - 4;
    too_long[at..at + 4].copy_from_slice(&(module.len() as u32 + 10).to_be_bytes());
    let mut signer = PKCS7;
    signer[3] = 4;
    let mut hash = PKCS7;
    hash[1] = 4;
    let mut short = b"tiny".to_vec();
    short.extend_from_slice(MARKER);
    for bad in [too_long, signed(module, 10, signer), signed(module, 10, hash), short] {
        let (rc, message) = signature_of(&bad).unwrap_err();
        assert_eq!(rc, -libc::EBADMSG, "{message}");
        rejected_as(&bad, 0, -libc::EBADMSG, "signature", &["malformed trailer"]);
    }
}

#[test]
fn a_signature_that_is_not_pkcs7_loses_only_its_marker() {
    let fixture = livepatch();
    let bytes = signed(&fixture.bytes, 64, [0, 0, 1, 0, 0, 0, 0, 0]);
    let (rc, _) = signature_of(&bytes).unwrap_err();
    assert_eq!(rc, -libc::ENOPKG);
    let info = setup_ok(&Image::new(&bytes), 0);
    assert_eq!(info.len as usize, bytes.len() - MARKER.len());
}

// ------------------------------------------------------------------------------------------------
// Extended numbering
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
    rejected(&elf, "row 8", &["extended section numbering", "KLPELF_SETUP_ALLOW_XNUM"]);

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
        "gap 5",
        &["symbol 2", "section index 80000"],
    );
}

#[test]
fn extended_numbering_goes_through_prepare_and_copy() {
    let _lock = serial();
    let fixture = xnum();
    let image = Image::new(&fixture.bytes);
    let mut info = setup_ok(&image, KLPELF_SETUP_ALLOW_XNUM);
    let mut module = zeroed_module();
    // SAFETY: the module is zeroed and writable, the info fresh from setup over a live image.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert!(module.klp);
        assert_eq!(module.core_kallsyms.num_symtab as usize, fixture.symbols);
        assert_eq!(copy_module_elf(&mut module, &mut info), 0, "{:?}", last_error());
        let klp = &*module.klp_info;
        assert_eq!(klp.hdr.e_shnum, 0);
        let sechdrs = std::slice::from_raw_parts(klp.sechdrs, fixture.sections.len());
        assert_eq!(sechdrs[klp.symndx as usize].sh_addr, module.core_kallsyms.symtab as u64);
        klpelf_release_module(&mut module);
    }
    assert!(module.klp_info.is_null() && module.core_kallsyms.symtab.is_null());
}

// ------------------------------------------------------------------------------------------------
// prepare + copy_module_elf + release
// ------------------------------------------------------------------------------------------------

/// The bytes `len` bytes at `p`.
///
/// # Safety
/// `p` is valid for reads of `len` bytes.
unsafe fn bytes_at<'a>(p: *const u8, len: usize) -> &'a [u8] {
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts(p, len) }
}

#[test]
fn prepare_copy_and_release_a_livepatch_module() {
    let _lock = serial();
    let counted = CountingAllocator::set();
    let before = counted.live();
    let fixture = livepatch();
    let image = Image::new(&fixture.bytes);
    let mut info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    let elf = fixture.elf();
    let symtab = elf.contents(info.index.sym);
    let strtab = elf.contents(info.index.str);
    // SAFETY: the module is zeroed and writable; info comes from setup over the live image; the
    // pointers read below are klpelf's live blocks, read with the sizes it reports.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert_eq!(module_name(&module), "klptest");
        assert!(module.klp, "livepatch=Y sets klp");
        let kallsyms = &module.core_kallsyms;
        assert_eq!(kallsyms.num_symtab as usize, fixture.symbols, "every symbol is kept");
        let copied = bytes_at(kallsyms.symtab.cast(), fixture.symbols * size_of::<Elf64_Sym>());
        assert_eq!(copied, &fixture.bytes[symtab], "symbols copied in their original order");
        let strings = bytes_at(kallsyms.strtab.cast(), strtab.len());
        assert_eq!(strings, &fixture.bytes[strtab], "the string table is copied whole");
        assert!(kallsyms.typetab.is_null());
        assert!(module.klp_info.is_null(), "prepare leaves klp_info alone");
        assert_eq!(counted.live(), before + 1);

        assert_eq!(copy_module_elf(&mut module, &mut info), 0, "{:?}", last_error());
        let klp = &*module.klp_info;
        assert_eq!(klp.symndx, info.index.sym);
        let count = fixture.sections.len();
        let sechdrs = std::slice::from_raw_parts(klp.sechdrs, count);
        assert_eq!(sechdrs[klp.symndx as usize].sh_addr, module.core_kallsyms.symtab as u64);
        assert_eq!(counted.live(), before + 2);

        klpelf_release_module(&mut module);
        assert!(module.klp_info.is_null());
        assert!(module.core_kallsyms.symtab.is_null() && module.core_kallsyms.strtab.is_null());
        assert_eq!(module.core_kallsyms.num_symtab, 0);
        assert_eq!(counted.live(), before);
        klpelf_release_module(&mut module);
        klpelf_release_module(ptr::null_mut());
        assert_eq!(last_error(), None);
    }
    assert_eq!(counted.live(), before);
    drop(counted);
    assert_eq!(module_name(&module), "klptest", "release leaves the name");
}

#[test]
fn a_plain_module_is_not_a_livepatch() {
    let _lock = serial();
    let image = Image::new(&plain().bytes);
    let info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    module.klp = true;
    // SAFETY: as in the test above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert!(!module.klp, "no livepatch tag: klp is false");
        assert_eq!(module_name(&module), "plainmod");
        klpelf_release_module(&mut module);
    }
}

#[test]
fn prepare_refuses_a_module_that_already_has_kallsyms() {
    let _lock = serial();
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    // SAFETY: as in the tests above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0);
        let symtab = module.core_kallsyms.symtab;
        module.name[0] = b'X' as c_char;
        assert_eq!(klpelf_prepare_module(&mut module, &info), -libc::EEXIST);
        assert!(last_error().unwrap().contains("core_kallsyms is already set"));
        assert_eq!(module.core_kallsyms.symtab, symtab, "*mod unchanged");
        assert_eq!(module.name[0], b'X' as c_char, "*mod unchanged");
        klpelf_release_module(&mut module);
    }
}

#[test]
fn prepare_checks_the_name() {
    let fixture = long_name();
    let image = Image::new(&fixture.bytes);
    let info = setup_ok(&image, 0);
    let name = c_str(info.name).unwrap();
    assert_eq!(name.len(), 56);
    let mut module = zeroed_module();
    // SAFETY: as in the tests above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), -libc::ENAMETOOLONG);
        assert!(module.core_kallsyms.symtab.is_null() && module.name[0] == 0, "*mod unchanged");
    }

    // 55 bytes fit with the NUL: cut the name's last byte in the image.
    let mut elf = fixture.elf();
    let modinfo = elf.contents(fixture.index(".modinfo"));
    let at =
        modinfo.start + elf.0[modinfo].windows(5).position(|w| w == b"name=").unwrap() + 5 + 55;
    elf.0[at] = 0;
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    let _lock = serial();
    // SAFETY: as in the tests above.
    unsafe {
        assert_eq!(klpelf_prepare_module(&mut module, &info), 0, "{:?}", last_error());
        assert_eq!(module_name(&module), name[..55]);
        klpelf_release_module(&mut module);
    }

    // No name= at all: setup gives a NULL name, prepare refuses.
    let mut elf = fixture.elf();
    let at = modinfo_entry(&elf, fixture, b"name=");
    elf.0[at] = b'N';
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    assert!(info.name.is_null());
    let mut module = zeroed_module();
    // SAFETY: as in the tests above.
    unsafe { assert_eq!(klpelf_prepare_module(&mut module, &info), ENOEXEC) };
    assert!(last_error().unwrap().contains("no name"));
}

/// Offset in the file of the `.modinfo` entry starting with `prefix`.
fn modinfo_entry(elf: &Elf, fixture: &Fixture, prefix: &[u8]) -> usize {
    let modinfo = elf.contents(fixture.index(".modinfo"));
    let found = elf.0[modinfo.clone()].windows(prefix.len()).position(|w| w == prefix);
    modinfo.start + found.expect("the entry")
}

#[test]
fn prepare_rejects_a_load_info_that_no_longer_holds() {
    let _lock = serial();
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    let mut module = zeroed_module();
    let tampered = [
        LoadInfo { index: klpelf::layout::LoadInfoIndex { sym: 1, ..info.index }, ..info },
        LoadInfo { index: klpelf::layout::LoadInfoIndex { str: 9999, ..info.index }, ..info },
        LoadInfo { len: 100, ..info },
        LoadInfo { hdr: ptr::null_mut(), ..info },
    ];
    for bad in &tampered {
        // SAFETY: every pointer in `bad` is NULL or into the live image, with a length within it.
        let rc = unsafe { klpelf_prepare_module(&mut module, bad) };
        assert_eq!(rc, EINVAL, "{:?}", last_error());
        assert!(module.core_kallsyms.symtab.is_null());
    }
    // SAFETY: NULL arguments are rejected.
    unsafe {
        assert_eq!(klpelf_prepare_module(ptr::null_mut(), &info), EINVAL);
        assert_eq!(klpelf_prepare_module(&mut module, ptr::null()), EINVAL);
    }
}

// ------------------------------------------------------------------------------------------------
// klpelf_get_modinfo
// ------------------------------------------------------------------------------------------------

fn get(info: &LoadInfo, tag: &str) -> Option<String> {
    let tag = CString::new(tag).unwrap();
    // SAFETY: info comes from setup over a live image; tag is a C string.
    let value = unsafe { klpelf_get_modinfo(info, tag.as_ptr()) };
    let value = c_str(value);
    if value.is_none() {
        assert_eq!(last_error(), None, "an absent tag is not an error");
    }
    value
}

#[test]
fn get_modinfo_finds_the_first_whole_tag() {
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    assert_eq!(get(&info, "license").as_deref(), Some("GPL"));
    assert_eq!(get(&info, "alias").as_deref(), Some("first"), "the first match wins");
    assert_eq!(get(&info, "livepatch").as_deref(), Some("Y"));
    assert_eq!(get(&info, "description").as_deref(), Some("a test module"));
    assert_eq!(get(&info, "lic"), None, "a prefix of a tag does not match");
    assert_eq!(get(&info, "licensed"), None);
    assert_eq!(get(&info, "absent"), None);
    let tag = CString::new("name").unwrap();
    // SAFETY: as in `get`.
    let name = unsafe { klpelf_get_modinfo(&info, tag.as_ptr()) };
    assert_eq!(name, info.name, "info->name is the name= value in the image");
}

#[test]
fn get_modinfo_skips_an_unterminated_last_entry() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let last = elf.contents(fixture.index(".modinfo")).end - 1;
    assert_eq!(elf.0[last], 0);
    elf.0[last] = b'!';
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    assert_eq!(get(&info, "description"), None);
    assert_eq!(get(&info, "livepatch").as_deref(), Some("Y"));
}

#[test]
fn get_modinfo_without_a_modinfo_section() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let comment_name = elf.shdr(fixture.index(".comment"), SH_NAME, 4);
    elf.set_shdr(fixture.index(".modinfo"), SH_NAME, 4, comment_name);
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    assert_eq!(info.index.info, 0);
    assert!(info.name.is_null());
    assert_eq!(get(&info, "license"), None);
}

#[test]
fn get_modinfo_rejects_null_arguments() {
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    let tag = CString::new("license").unwrap();
    // SAFETY: NULL arguments are rejected.
    unsafe {
        assert!(klpelf_get_modinfo(ptr::null(), tag.as_ptr()).is_null());
        assert!(last_error().unwrap().contains("info is NULL"));
        assert!(klpelf_get_modinfo(&info, ptr::null()).is_null());
        assert!(last_error().unwrap().contains("tag is NULL"));
    }
}

// ------------------------------------------------------------------------------------------------
// No input reaches a panic
// ------------------------------------------------------------------------------------------------

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A value likely to sit on a boundary: 0, 1, around the file length, the type's extremes.
fn edgy(rng: &mut Rng, len: u64) -> u64 {
    match rng.below(8) {
        0 => 0,
        1 => 1,
        2 => len,
        3 => len.wrapping_sub(rng.below(80) as u64),
        4 => u64::MAX - rng.below(4) as u64,
        5 => 0xff00 + rng.below(0x100) as u64,
        6 => rng.below(64) as u64,
        _ => rng.next(),
    }
}

/// Thousands of structural mutations of a real object, with and without extended numbering: every
/// call returns a verdict (never the caught-panic code), and whatever setup accepts goes through
/// get_modinfo, prepare, copy_module_elf and release.
#[test]
fn random_mutations_never_panic() {
    let _lock = serial();
    let fixture = livepatch();
    let sections = fixture.sections.len() as u32;
    let shdr_fields = [
        (SH_NAME, 4),
        (SH_TYPE, 4),
        (SH_FLAGS, 8),
        (SH_ADDR, 8),
        (SH_OFFSET, 8),
        (SH_SIZE, 8),
        (SH_LINK, 4),
        (SH_INFO, 4),
    ];
    let header_fields =
        [(E_SHOFF, 8), (E_SHNUM, 2), (E_SHSTRNDX, 2), (E_SHENTSIZE, 2), (E_TYPE, 2)];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut rejected) = (0, 0);
    for round in 0..20_000 {
        let mut elf = fixture.elf();
        let len = elf.len() as u64;
        for _ in 0..1 + rng.below(3) {
            match rng.below(4) {
                0 | 1 => {
                    let (field, size) = shdr_fields[rng.below(shdr_fields.len())];
                    let value = edgy(&mut rng, len);
                    // Through the (possibly already mutated) e_shoff, when that is still in the file.
                    let index = rng.below(sections as usize);
                    let at = elf
                        .shoff()
                        .checked_add(index * size_of::<Elf64_Shdr>() + field)
                        .filter(|at| at + size <= elf.len());
                    if let Some(at) = at {
                        elf.set(at, size, value);
                    }
                }
                2 => {
                    let (field, size) = header_fields[rng.below(header_fields.len())];
                    let value = edgy(&mut rng, len);
                    elf.set_hdr(field, size, value);
                }
                _ => {
                    let at = rng.below(elf.len());
                    elf.0[at] = rng.next() as u8;
                }
            }
        }
        let flags = if rng.below(2) == 0 { 0 } else { KLPELF_SETUP_ALLOW_XNUM };
        let image = Image::new(&elf.0);
        let mut info = match setup(&image, flags) {
            Ok(info) => info,
            Err((rc, message)) => {
                assert!(rc == ENOEXEC || rc == -libc::EBADMSG, "round {round}: {rc} {message}");
                rejected += 1;
                continue;
            }
        };
        accepted += 1;
        let tag = CString::new("livepatch").unwrap();
        let mut module = zeroed_module();
        // SAFETY: info comes from setup over the live image; the module is zeroed.
        unsafe {
            klpelf_get_modinfo(&info, tag.as_ptr());
            assert_eq!(last_error(), None, "round {round}");
            let rc = klpelf_prepare_module(&mut module, &info);
            assert!(
                [0, ENOEXEC, -libc::ENAMETOOLONG].contains(&rc),
                "round {round}: {rc} {:?}",
                last_error()
            );
            let rc = copy_module_elf(&mut module, &mut info);
            assert_eq!(rc, 0, "round {round}: {:?}", last_error());
            klpelf_release_module(&mut module);
        }
    }
    assert!(accepted > 100 && rejected > 10_000, "accepted {accepted}, rejected {rejected}");
}

/// The same for the extended-numbering fields: section 0's count and name-table link, the header's
/// numbering fields, and the extended symbol indices.
#[test]
fn random_extended_numbering_mutations_never_panic() {
    let fixture = xnum();
    let shndx = fixture.elf().contents(fixture.index(".symtab_shndx"));
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut accepted = 0;
    for round in 0..150 {
        let mut elf = fixture.elf();
        let len = elf.len() as u64;
        let value = edgy(&mut rng, len);
        match rng.below(6) {
            0 => elf.set_shdr(0, SH_SIZE, 8, value),
            1 => elf.set_shdr(0, SH_LINK, 4, value),
            2 => elf.set_hdr(E_SHNUM, 2, value),
            3 => elf.set_hdr(E_SHSTRNDX, 2, value),
            4 => elf.set_hdr(E_SHOFF, 8, value & !7),
            _ => {
                let at = shndx.start + rng.below(shndx.len() / 4) * 4;
                elf.set(at, 4, value);
            }
        }
        let image = Image::new(&elf.0);
        match setup(&image, KLPELF_SETUP_ALLOW_XNUM) {
            Ok(_) => accepted += 1,
            Err((rc, message)) => assert_eq!(rc, ENOEXEC, "round {round}: {message}"),
        }
    }
    assert!(accepted > 0);
}
