//! The name census: one pass over the section headers that records everything the kernel's
//! lookups find (`find_any_unique_sec()` by name, `find_sec()` by name among `SHF_ALLOC` sections,
//! the `SHT_SYMTAB` count), so that the index checks can apply them in the kernel's order without
//! walking the table once per name.

use goblin::elf::section_header::{SHF_ALLOC, SHT_SYMTAB};

use crate::section_table::SectionTable;

/// How often a name occurs, and where (the kernel's `find_any_unique_sec()` keeps the last match;
/// with one match that is the only one).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Occurrences {
    pub(super) count: u64,
    pub(super) first: u32,
    pub(super) second: u32,
    pub(super) last: u32,
}

impl Occurrences {
    fn add(&mut self, index: u32) {
        match self.count {
            0 => self.first = index,
            1 => self.second = index,
            _ => {}
        }
        self.count += 1;
        self.last = index;
    }
}

/// One pass over the sections recording everything the kernel's lookups find
/// (`find_any_unique_sec()` by name, `find_sec()` by name among `SHF_ALLOC` sections, the
/// `SHT_SYMTAB` count), so that the checks after it can apply them in the kernel's order.
#[derive(Debug, Default)]
pub(super) struct Census {
    pub(super) modinfo: Occurrences,
    pub(super) this_module: Occurrences,
    pub(super) symtabs: Occurrences,
    pub(super) versions: u32,
    pub(super) ext_crcs: u32,
    pub(super) ext_names: u32,
    pub(super) pcpu: u32,
}

/// The section names the census looks for, NUL included, so that a name is recognised by comparing
/// in place, without first finding where it ends. Each is at least 8 bytes long, so its first 8
/// bytes, read as one word, rule out nearly every other section at once.
const MODINFO: &[u8] = b".modinfo\0";
const THIS_MODULE: &[u8] = b".gnu.linkonce.this_module\0";
const VERSIONS: &[u8] = b"__versions\0";
const EXT_CRCS: &[u8] = b"__version_ext_crcs\0";
const EXT_NAMES: &[u8] = b"__version_ext_names\0";
const PCPU: &[u8] = b".data..percpu\0";

/// The first 8 bytes of a name, as one word.
const fn head(name: &[u8]) -> u64 {
    u64::from_ne_bytes([name[0], name[1], name[2], name[3], name[4], name[5], name[6], name[7]])
}

/// Which of the census's names starts `rest` (the name table from a section's `sh_name` on).
fn known_name(rest: &[u8]) -> Option<&'static [u8]> {
    let word = head(rest.get(..8)?);
    let candidate = match word {
        w if w == head(MODINFO) => MODINFO,
        w if w == head(THIS_MODULE) => THIS_MODULE,
        w if w == head(PCPU) => PCPU,
        w if w == head(VERSIONS) => {
            // `__versions` and the two `__version_ext_*` names share their first 8 bytes.
            return [VERSIONS, EXT_CRCS, EXT_NAMES].into_iter().find(|n| rest.starts_with(n));
        }
        _ => return None,
    };
    rest.starts_with(candidate).then_some(candidate)
}

impl Census {
    pub(super) fn take(table: &SectionTable<'_>) -> Self {
        let mut census = Census::default();
        for (i, shdr) in table.sechdrs.iter().enumerate().skip(1) {
            let index = i as u32; // count <= u32::MAX (elf_validity_cache_sechdrs)
            if shdr.sh_type == SHT_SYMTAB {
                census.symtabs.add(index);
            }
            let rest = table.secstrings.get(shdr.sh_name as usize..).unwrap_or_default();
            let Some(name) = known_name(rest) else { continue };
            match name {
                MODINFO => census.modinfo.add(index),
                THIS_MODULE => census.this_module.add(index),
                _ => {}
            }
            if shdr.sh_flags & u64::from(SHF_ALLOC) == 0 {
                continue;
            }
            let first = match name {
                VERSIONS => &mut census.versions,
                EXT_CRCS => &mut census.ext_crcs,
                EXT_NAMES => &mut census.ext_names,
                PCPU => &mut census.pcpu,
                _ => continue,
            };
            if *first == 0 {
                *first = index;
            }
        }
        census
    }
}
