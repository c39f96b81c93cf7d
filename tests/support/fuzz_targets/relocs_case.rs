//! The input of the `relocs` fuzz target: a persisted livepatch module built in memory (section
//! headers, names, livepatch relocation sections and their entries, a kept symbol table), a
//! placement of its sections, a resolver's answers and a few calls to make. Values are picked from
//! tables of edge values (each type's overflow boundaries, the module area, the kernel's text) or
//! taken raw, so that the fuzzer reaches every check with few bytes.

use super::bytes::Reader;

/// Section names and what the kernel's `sscanf(".klp.rela.%55[^.]")` makes of them.
pub const SECTION_NAMES: [(&str, Option<&str>); 7] = [
    (".text", None),
    (".klp.rela.vmlinux..text", Some("vmlinux")),
    (".klp.rela.ext4..text", Some("ext4")),
    (".klp.rela..text", None),
    (".klp.rela.vmlinux", Some("vmlinux")),
    (".klp.relax.ext4", None),
    (".klp.rela.ext4.data.rel", Some("ext4")),
];

/// A parsed `.klp.sym` name: object, symbol, position.
pub type SymbolParts = (&'static str, &'static str, u64);

/// Symbol names and what the kernel's `.klp.sym.%55[^.].%511[^,],%lu` makes of them.
pub const SYMBOL_NAMES: [(&str, Option<SymbolParts>); 8] = [
    ("", None),
    (".klp.sym.vmlinux.foo,0", Some(("vmlinux", "foo", 0))),
    (".klp.sym.vmlinux.bar,2", Some(("vmlinux", "bar", 2))),
    (".klp.sym.ext4.foo,1", Some(("ext4", "foo", 1))),
    (".klp.sym.ext4.baz,0", Some(("ext4", "baz", 0))),
    (".klp.sym.ext4.nope,0", Some(("ext4", "nope", 0))),
    (".klp.sym.vmlinux.foo", None),
    ("foo", None),
];

/// What the resolver is asked: object (`None`: vmlinux), symbol, position.
pub type Lookup = (Option<&'static str>, &'static str, u64);

/// The symbols the resolver knows, in the order of `RelocCase::resolved`; any other fails.
pub const RESOLVABLE: [Lookup; 4] =
    [(None, "foo", 0), (None, "bar", 2), (Some("ext4"), "foo", 1), (Some("ext4"), "baz", 0)];

/// What the resolver returns for a symbol it does not know.
pub const RESOLVE_FAILURE: i32 = -1234;

/// Addresses and symbol values at the edges the kernel's checks care about.
const VALUES: [u64; 12] = [
    0,
    0xffff_ffff_8100_0000,
    0xffff_ffff_c000_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0xffff_ffff_8000_0000,
    0xffff_ffff_7fff_ffff,
    u64::MAX,
    0x1000,
    0x7fff_ffff_ffff_f000,
];

/// Addends at the edges.
const ADDENDS: [i64; 9] =
    [0, -4, 16, 0x8000_0000, -0x8000_0000, 0x7fff_ffff, -0x8000_0001, i64::MIN, i64::MAX];

/// Relocation types: the seven the kernel writes, then unknown ones.
const TYPES: [u32; 10] = [0, 1, 2, 4, 10, 11, 24, 9, 42, u32::MAX];

/// One of the fuzzed sections (indices 1 to n).
#[derive(Debug, Clone)]
pub struct SectionCase {
    /// An index into `SECTION_NAMES`, or past it for a name offset outside the name table.
    pub name: u8,
    /// `SHF_RELA_LIVEPATCH` is set.
    pub livepatch: bool,
    pub sh_info: u32,
    /// Its `sh_size`: `relas.len() * 24` plus up to 23 bytes.
    pub size: u64,
    /// Its entries.
    pub relas: Vec<(u64, u64, i64)>,
    /// Its placed bytes, `size` of them.
    pub contents: Vec<u8>,
}

/// A kept symbol.
#[derive(Debug, Clone, Copy)]
pub struct SymbolCase {
    /// An index into `SYMBOL_NAMES`, or past it for an `st_name` outside the string table.
    pub name: u8,
    pub livepatch: bool,
    pub value: u64,
}

/// A call the target makes; `obj` picks `None` (vmlinux), `"ext4"` or `"nope"`.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    ApplyObject { obj: u8 },
    ApplySection { index: u32, obj: u8 },
    ClearObject { obj: u8 },
    Describe { index: u32 },
}

/// A whole input. Byte format, read front to back (zeros past the end): flags (u8: bit 0, not
/// x86-64); section count (u8, 1 to 6); per section: name, flags (bit 0 livepatch, bit 1 random
/// contents), sh_info (u8), entry count (u8), slack (u8), then per entry an offset choice
/// (u8, with a raw u64 for 255), a symbol (u8), a type choice (u8, raw u32 for 255), an addend
/// choice (u8, raw i64 for 255); symbol count (u8, 1 to 10), per symbol: name (u8), flags (u8),
/// value choice (u8, raw u64 for 255); the resolver's four answers (value choices); places (u8
/// count), per place: flags (u8: bit 0 with memory), address choice (u8, raw u64 for 255); calls
/// (u8 count, 1 to 4), per call: kind (u8), argument (u8); then contents bytes for the sections
/// that take random contents.
#[derive(Debug, Clone)]
pub struct RelocCase {
    pub other_machine: bool,
    pub sections: Vec<SectionCase>,
    pub symbols: Vec<SymbolCase>,
    pub resolved: [u64; 4],
    pub places: Vec<(bool, u64)>,
    pub calls: Vec<Call>,
}

fn value(r: &mut Reader<'_>) -> u64 {
    match r.u8() {
        255 => r.u64(),
        k => VALUES[usize::from(k) % VALUES.len()],
    }
}

fn entry(r: &mut Reader<'_>, size: u64) -> (u64, u64, i64) {
    let offset = match r.u8() {
        255 => r.u64(),
        k => [0, 1, size.wrapping_sub(4), size.wrapping_sub(8), size.wrapping_sub(3), size, 8]
            [usize::from(k) % 7],
    };
    let sym = u64::from(r.u8() % 12);
    let r_type = match r.u8() {
        255 => r.u32(),
        k => TYPES[usize::from(k) % TYPES.len()],
    };
    let addend = match r.u8() {
        255 => r.u64() as i64,
        k => ADDENDS[usize::from(k) % ADDENDS.len()],
    };
    (offset, sym << 32 | u64::from(r_type), addend)
}

/// Every section can be asked for as a relocation section (the kernel's
/// `klp_apply_section_relocs()` looks only at the name), so each has entries: `sh_size / 24` of
/// them, `sh_size` being their size plus up to 23 bytes.
fn section(r: &mut Reader<'_>) -> (SectionCase, bool) {
    let name = r.u8() % 9;
    let flags = r.u8();
    let sh_info = u32::from(r.u8() % 12);
    let count = usize::from(r.u8() % 17);
    let size = count as u64 * 24 + u64::from(r.u8() % 24);
    let relas = (0..count).map(|_| entry(r, size)).collect();
    let s = SectionCase { name, livepatch: flags & 1 != 0, sh_info, size, relas, contents: vec![] };
    (s, flags & 2 != 0)
}

impl RelocCase {
    pub fn decode(data: &[u8]) -> Self {
        let mut r = Reader(data);
        let other_machine = r.u8() & 1 != 0;
        let count = usize::from(r.u8() % 6) + 1;
        let mut sections = Vec::new();
        let mut random = Vec::new();
        for _ in 0..count {
            let (s, contents) = section(&mut r);
            random.push(contents);
            sections.push(s);
        }
        let nsyms = usize::from(r.u8() % 10) + 1;
        let symbols = (0..nsyms)
            .map(|_| SymbolCase {
                name: r.u8() % 9,
                livepatch: r.u8() & 3 != 0,
                value: value(&mut r),
            })
            .collect();
        let resolved = [value(&mut r), value(&mut r), value(&mut r), value(&mut r)];
        let nplaces = usize::from(r.u8()) % (count + 6);
        let places = (0..nplaces).map(|_| (r.u8() & 7 != 0, value(&mut r))).collect();
        let ncalls = usize::from(r.u8() % 4) + 1;
        let calls = (0..ncalls)
            .map(|_| {
                let (kind, arg) = (r.u8(), r.u8());
                match kind % 4 {
                    0 => Call::ApplyObject { obj: arg % 3 },
                    1 => Call::ApplySection { index: u32::from(arg % 12), obj: arg / 12 % 3 },
                    2 => Call::ClearObject { obj: arg % 3 },
                    _ => Call::Describe { index: u32::from(arg % 12) },
                }
            })
            .collect();
        for (s, random) in sections.iter_mut().zip(random) {
            s.contents = if random { r.bytes(s.size as usize) } else { vec![0; s.size as usize] };
        }
        RelocCase { other_machine, sections, symbols, resolved, places, calls }
    }
}

/// The object a call names: vmlinux (`None`), `ext4`, or `nope`, which nothing patches.
pub fn object(obj: u8) -> Option<&'static str> {
    [None, Some("ext4"), Some("nope")][usize::from(obj % 3)]
}
