//! The identity of every check `klpelf_setup_load_info()` runs, as C sees it
//! (`enum klpelf_check`, `klpelf_last_error_check()`, `klpelf_check_name()`): the kernel's own ELF
//! checks, named for the `kernel/module/main.c` function that makes them and the condition, in the
//! kernel's order, then the checks klpelf adds where the kernel reads the file without bounds
//! checks. `docs/checks.md` describes each one.

use core::ffi::CStr;

/// Which check rejected a module image. The values are stable: new checks get new values.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlpelfCheck {
    /// No check failed: the last call succeeded, or it failed for another reason than a check.
    None = 0,
    /// `elf_validity_ehdr`: the file is shorter than an ELF header.
    EhdrLen = 1,
    /// `elf_validity_ehdr`: the file does not start with the ELF magic.
    EhdrMagic = 2,
    /// `elf_validity_ehdr`: `e_type` is not `ET_REL`.
    EhdrType = 3,
    /// `elf_validity_ehdr` (`elf_check_arch`): not ELFCLASS64, not the host's byte order or not
    /// the host's `e_machine`.
    EhdrArch = 4,
    /// `elf_validity_cache_sechdrs`: `e_shentsize` is not `sizeof(Elf64_Shdr)`.
    SechdrsEntsize = 5,
    /// `elf_validity_cache_sechdrs`: the section header table does not lie in the file.
    SechdrsOverflow = 6,
    /// `elf_validity_cache_sechdrs`: section 0 is not an empty `SHT_NULL` section.
    SechdrsSection0 = 7,
    /// `elf_validity_cache_sechdrs`: a section with contents does not lie in the file.
    SechdrsOffset = 8,
    /// `elf_validity_cache_secstrings`: `e_shstrndx` is 0 or not below the section count.
    SecstringsIndex = 9,
    /// `elf_validity_cache_secstrings`: the section-name table is not `SHT_STRTAB`.
    SecstringsType = 10,
    /// `elf_validity_cache_secstrings`: the section-name table is empty.
    SecstringsEmpty = 11,
    /// `elf_validity_cache_secstrings`: the section-name table does not end with a NUL.
    SecstringsNul = 12,
    /// `elf_validity_cache_secstrings`: a section's `sh_name` is outside the section-name table.
    SecstringsName = 13,
    /// `elf_validity_cache_index_info`: more than one `.modinfo` section.
    IndexInfoUnique = 14,
    /// `elf_validity_cache_index_mod`: not exactly one `.gnu.linkonce.this_module` section.
    IndexModUnique = 15,
    /// `elf_validity_cache_index_mod`: `.gnu.linkonce.this_module` is `SHT_NOBITS`.
    IndexModNobits = 16,
    /// `elf_validity_cache_index_mod`: `.gnu.linkonce.this_module` lacks `SHF_ALLOC`.
    IndexModAlloc = 17,
    /// `elf_validity_cache_index_sym`: not exactly one `SHT_SYMTAB` section.
    IndexSymUnique = 18,
    /// `elf_validity_cache_index_str`: the symbol table's `sh_link` is 0 or not below the count.
    IndexStrLink = 19,
    /// `elf_validity_cache_index_str`: the symbol string table is not `SHT_STRTAB`.
    IndexStrType = 20,
    /// `elf_validity_cache_index_versions`: only one of `__version_ext_crcs` and
    /// `__version_ext_names` is present.
    IndexVersionsPair = 21,
    /// `elf_validity_cache_index_versions`: more extended-version CRCs than names.
    IndexVersionsNames = 22,
    /// `elf_validity_cache_strtab`: the symbol string table is empty.
    StrtabEmpty = 23,
    /// `elf_validity_cache_strtab`: the symbol string table does not start with a NUL.
    StrtabLeadingNul = 24,
    /// `elf_validity_cache_strtab`: the symbol string table does not end with a NUL.
    StrtabNul = 25,
    /// `elf_validity_cache_strtab`: a symbol's `st_name` is outside the symbol string table.
    StrtabName = 26,
    /// klpelf: `e_shnum` is 0 and section 0, which the kernel reads anyway, is not in the file.
    Section0InFile = 27,
    /// klpelf: an `SHT_NULL` section's `sh_name` is outside the section-name table (the kernel
    /// skips these names when it checks them, then compares them in `find_sec()`).
    NullSectionName = 28,
    /// klpelf: a section `load_info` indexes (`.modinfo`, `__versions`, the extended-version
    /// sections, `.data..percpu`) has no contents type and does not lie in the file.
    IndexedInFile = 29,
    /// klpelf: an `SHT_NULL` section with `SHF_ALLOC`, which the loader copies, does not lie in
    /// the file.
    NullAllocInFile = 30,
    /// klpelf: a symbol's section index is not a section (the kernel's `simplify_symbols()` uses
    /// it unchecked).
    SymbolShndx = 31,
    /// klpelf: a relocation's symbol index is not a symbol (the kernel's `apply_relocations()`
    /// uses it unchecked).
    RelocationSymbol = 32,
    /// klpelf: `e_shoff` or the symbol table's `sh_offset` is not a multiple of 8, so C could not
    /// use the tables as arrays.
    Alignment = 33,
}

/// Every check, in order of value.
pub const ALL_CHECKS: [KlpelfCheck; 34] = {
    use KlpelfCheck::*;
    [
        None,
        EhdrLen,
        EhdrMagic,
        EhdrType,
        EhdrArch,
        SechdrsEntsize,
        SechdrsOverflow,
        SechdrsSection0,
        SechdrsOffset,
        SecstringsIndex,
        SecstringsType,
        SecstringsEmpty,
        SecstringsNul,
        SecstringsName,
        IndexInfoUnique,
        IndexModUnique,
        IndexModNobits,
        IndexModAlloc,
        IndexSymUnique,
        IndexStrLink,
        IndexStrType,
        IndexVersionsPair,
        IndexVersionsNames,
        StrtabEmpty,
        StrtabLeadingNul,
        StrtabNul,
        StrtabName,
        Section0InFile,
        NullSectionName,
        IndexedInFile,
        NullAllocInFile,
        SymbolShndx,
        RelocationSymbol,
        Alignment,
    ]
};

impl KlpelfCheck {
    /// The check's stable short code (`klpelf_check_name()`), NUL-terminated for C.
    pub const fn c_name(self) -> &'static CStr {
        use KlpelfCheck::*;
        match self {
            None => c"none",
            EhdrLen => c"ehdr_len",
            EhdrMagic => c"ehdr_magic",
            EhdrType => c"ehdr_type",
            EhdrArch => c"ehdr_arch",
            SechdrsEntsize => c"sechdrs_entsize",
            SechdrsOverflow => c"sechdrs_overflow",
            SechdrsSection0 => c"sechdrs_section0",
            SechdrsOffset => c"sechdrs_offset",
            SecstringsIndex => c"secstrings_index",
            SecstringsType => c"secstrings_type",
            SecstringsEmpty => c"secstrings_empty",
            SecstringsNul => c"secstrings_nul",
            SecstringsName => c"secstrings_name",
            IndexInfoUnique => c"index_info_unique",
            IndexModUnique => c"index_mod_unique",
            IndexModNobits => c"index_mod_nobits",
            IndexModAlloc => c"index_mod_alloc",
            IndexSymUnique => c"index_sym_unique",
            IndexStrLink => c"index_str_link",
            IndexStrType => c"index_str_type",
            IndexVersionsPair => c"index_versions_pair",
            IndexVersionsNames => c"index_versions_names",
            StrtabEmpty => c"strtab_empty",
            StrtabLeadingNul => c"strtab_leading_nul",
            StrtabNul => c"strtab_nul",
            StrtabName => c"strtab_name",
            Section0InFile => c"section0_in_file",
            NullSectionName => c"null_section_name",
            IndexedInFile => c"indexed_in_file",
            NullAllocInFile => c"null_alloc_in_file",
            SymbolShndx => c"symbol_shndx",
            RelocationSymbol => c"relocation_symbol",
            Alignment => c"alignment",
        }
    }

    /// The check's stable short code, as [`KlpelfCheck::c_name`] without the NUL.
    pub fn code(self) -> &'static str {
        self.c_name().to_str().unwrap_or_default()
    }

    /// The kernel function that makes the check or, for klpelf's own checks, the one that would
    /// read out of bounds without it.
    pub const fn kernel_function(self) -> &'static str {
        use KlpelfCheck::*;
        match self {
            None => "",
            EhdrLen | EhdrMagic | EhdrType | EhdrArch => "elf_validity_ehdr",
            SechdrsEntsize | SechdrsOverflow | SechdrsSection0 | SechdrsOffset | Section0InFile => {
                "elf_validity_cache_sechdrs"
            }
            SecstringsIndex | SecstringsType | SecstringsEmpty | SecstringsNul | SecstringsName => {
                "elf_validity_cache_secstrings"
            }
            IndexInfoUnique => "elf_validity_cache_index_info",
            IndexModUnique | IndexModNobits | IndexModAlloc => "elf_validity_cache_index_mod",
            IndexSymUnique => "elf_validity_cache_index_sym",
            IndexStrLink | IndexStrType => "elf_validity_cache_index_str",
            IndexVersionsPair | IndexVersionsNames => "elf_validity_cache_index_versions",
            StrtabEmpty | StrtabLeadingNul | StrtabNul | StrtabName => "elf_validity_cache_strtab",
            NullSectionName => "find_sec",
            IndexedInFile => "elf_validity_cache_index",
            NullAllocInFile => "move_module",
            SymbolShndx => "simplify_symbols",
            RelocationSymbol => "apply_relocations",
            Alignment => "",
        }
    }

    /// Whether the kernel makes this check itself (klpelf's own checks close reads the kernel
    /// makes without one).
    pub const fn is_kernels(self) -> bool {
        use KlpelfCheck::*;
        // By name, not by value range: a check added later gets a new value whoever makes it.
        !matches!(
            self,
            None | Section0InFile
                | NullSectionName
                | IndexedInFile
                | NullAllocInFile
                | SymbolShndx
                | RelocationSymbol
                | Alignment
        )
    }

    /// The check with value `value`, if there is one.
    pub fn from_value(value: i32) -> Option<Self> {
        ALL_CHECKS.get(usize::try_from(value).ok()?).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_codes_and_order_agree() {
        for (value, check) in ALL_CHECKS.iter().enumerate() {
            assert_eq!(*check as usize, value);
            assert_eq!(KlpelfCheck::from_value(value as i32), Some(*check));
        }
        assert_eq!(KlpelfCheck::from_value(ALL_CHECKS.len() as i32), None);
        assert_eq!(KlpelfCheck::from_value(-1), None);
        let mut codes: Vec<_> = ALL_CHECKS.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ALL_CHECKS.len(), "codes are unique");
    }

    #[test]
    fn every_check_is_documented_in_order() {
        let doc = include_str!("../docs/checks.md");
        let rows: Vec<&str> =
            doc.lines().filter_map(|line| line.strip_prefix("| `")?.split('`').next()).collect();
        let documented: Vec<&str> = ALL_CHECKS.iter().skip(1).map(|check| check.code()).collect();
        assert_eq!(rows, documented, "docs/checks.md lists every check once, in order");
        for check in ALL_CHECKS.iter().skip(1).filter(|check| check.is_kernels()) {
            let row = doc.lines().find(|l| l.starts_with(&format!("| `{}` ", check.code())));
            let function = check.kernel_function();
            assert!(row.is_some_and(|row| row.contains(function)), "{check:?}: {function}");
        }
    }
}
