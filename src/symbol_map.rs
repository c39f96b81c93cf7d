//! A kernel's symbol map (`System.map` or `/proc/kallsyms`: `address type name [module]` lines) and
//! the kernel's symbol lookup rules for livepatch symbols (`klp_find_object_symbol()` in
//! `kernel/livepatch/core.c`): `sympos` 0 means the name must be unique within the object, N means
//! its N-th occurrence in the object, in file order.
//!
//! The map lives in one block from the configured allocator: a header, an array of entries sorted
//! by (object, name, line), then a copy of the map's text. A lookup is a binary search.

use core::cmp::Ordering;
use core::fmt;
use core::mem::{align_of, size_of};
use core::ptr::NonNull;

use crate::alloc::OwnedBlock;
use crate::error::Error;

/// One symbol of the map. Names are byte ranges in the map's text; `module_len == 0` is vmlinux.
#[derive(Clone, Copy)]
#[repr(C)]
struct Entry {
    addr: u64,
    name_at: u32,
    name_len: u32,
    module_at: u32,
    module_len: u32,
    line: u32,
    _pad: u32,
}

/// Why a lookup failed, worded as the kernel words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unresolved {
    /// No symbol of that name in the object (or its address is 0, which the kernel treats alike).
    NotFound,
    /// `sympos` 0 but the name occurs `candidates` times in the object.
    Ambiguous { candidates: usize },
    /// `sympos` is larger than the `candidates` occurrences of the name.
    NoSuchPosition { candidates: usize },
}

/// A failed lookup with what was looked up, for messages.
pub struct LookupFailure<'a> {
    pub reason: Unresolved,
    pub objname: &'a [u8],
    pub name: &'a [u8],
    pub sympos: u64,
}

impl fmt::Display for LookupFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name.escape_ascii();
        let obj = self.objname.escape_ascii();
        match self.reason {
            Unresolved::NotFound => write!(f, "symbol '{name}' not found in symbol table"),
            Unresolved::Ambiguous { candidates } => write!(
                f,
                "unresolvable ambiguity for symbol '{name}' in object '{obj}' ({candidates} candidates)"
            ),
            Unresolved::NoSuchPosition { candidates } => write!(
                f,
                "symbol position {} for symbol '{name}' in object '{obj}' not found ({candidates} candidates)",
                self.sympos
            ),
        }
    }
}

/// The start of a map's block.
#[repr(C)]
struct Header {
    count: usize,
    text_len: usize,
}

/// A parsed symbol map: one block holding a [`Header`], the entries and the text.
pub struct SymbolMap {
    block: OwnedBlock,
}

/// One parsed line, borrowing the input.
struct Line<'a> {
    addr: u64,
    name: &'a [u8],
    module: &'a [u8],
}

/// Where a line does not follow `address type name [module]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
}

fn parse_line(text: &[u8]) -> Option<Line<'_>> {
    let mut fields = text.split(|c| c.is_ascii_whitespace()).filter(|f| !f.is_empty());
    let addr_hex = fields.next()?;
    let kind = fields.next()?;
    let name = fields.next()?;
    let module = match fields.next() {
        None => &[][..],
        Some(m) => m.strip_prefix(b"[")?.strip_suffix(b"]").filter(|m| !m.is_empty())?,
    };
    if fields.next().is_some() || kind.len() != 1 || addr_hex.len() > 16 {
        return None;
    }
    let addr = addr_hex.iter().try_fold(0u64, |acc, &c| {
        let digit = (c as char).to_digit(16)?;
        Some(acc << 4 | u64::from(digit))
    })?;
    Some(Line { addr, name, module })
}

/// The non-empty lines of a map, numbered from 1.
fn lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    text.split(|&c| c == b'\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.iter().all(|c| c.is_ascii_whitespace()))
}

/// What Debian's placeholder `System.map` says after its address and type, around the package name.
const PLACEHOLDER_START: &[u8] = b"The real System.map is in the ";
const PLACEHOLDER_END: &[u8] = b" package";

/// `line` without its first `n` whitespace-separated fields and the whitespace after them.
fn after_fields(line: &[u8], n: usize) -> Option<&[u8]> {
    let mut rest = line.trim_ascii_start();
    for _ in 0..n {
        let end = rest.iter().position(|c| c.is_ascii_whitespace())?;
        rest = rest[end..].trim_ascii_start();
    }
    Some(rest)
}

/// The package a placeholder map names, when `text` is one. Debian's linux-image packages install
/// in `/boot` a `System.map-<release>` of one line, `ffffffffffffffff B The real System.map is in
/// the linux-image-<release>-dbg package` (written by the kernel package's `debian/rules`; some
/// releases write `<version>` literally), which parses as a map line with extra fields.
fn placeholder_package(text: &[u8]) -> Option<&[u8]> {
    let (_, first) = lines(text).next()?;
    let words = after_fields(first, 2)?.trim_ascii_end();
    words.strip_prefix(PLACEHOLDER_START)?.strip_suffix(PLACEHOLDER_END)
}

impl SymbolMap {
    /// Parses a map; fails on the first malformed line, when the map is too large to index, when
    /// it is Debian's placeholder rather than a map, or when all its addresses are 0 (as
    /// `/proc/kallsyms` shows them to an unprivileged reader: no symbol could resolve).
    pub fn parse(text: &[u8]) -> Result<Self, MapError<'_>> {
        if let Some(package) = placeholder_package(text) {
            return Err(MapError::Placeholder { package });
        }
        let mut count = 0usize;
        let mut any_address = false;
        for (number, line) in lines(text) {
            let parsed = parse_line(line).ok_or(MapError::BadLine(BadLine { line: number }))?;
            any_address |= parsed.addr != 0;
            count += 1;
        }
        if count > 0 && !any_address {
            return Err(MapError::AddressesHidden { symbols: count });
        }
        if u32::try_from(text.len()).is_err() || u32::try_from(count).is_err() {
            return Err(MapError::TooLarge);
        }
        let size = size_of::<Header>() + count * size_of::<Entry>() + text.len();
        let block = OwnedBlock::new(size).map_err(MapError::Alloc)?;
        // SAFETY: the block is 8-aligned and at least a Header long.
        unsafe { block.as_ptr().cast::<Header>().write(Header { count, text_len: text.len() }) };
        let mut map = SymbolMap { block };
        let (entries, copy) = map.parts_mut();
        copy.copy_from_slice(text);
        for (slot, (number, line)) in entries.iter_mut().zip(lines(text)) {
            // Every line parsed in the first pass.
            let Some(parsed) = parse_line(line) else { continue };
            *slot = Entry {
                addr: parsed.addr,
                name_at: offset_in(text, parsed.name),
                name_len: parsed.name.len() as u32,
                module_at: offset_in(text, parsed.module),
                module_len: parsed.module.len() as u32,
                line: number as u32,
                _pad: 0,
            };
        }
        let text: &[u8] = copy;
        entries.sort_unstable_by(|a, b| key_order(text, a, b));
        Ok(map)
    }

    fn header(&self) -> &Header {
        // SAFETY: `parse` wrote the header at the start of the 8-aligned block.
        unsafe { &*self.block.as_ptr().cast::<Header>() }
    }

    /// Number of symbols in the map.
    pub fn len(&self) -> usize {
        self.header().count
    }

    /// True when the map has no symbols.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The address of `name` in `objname` (`None`: vmlinux) by the kernel's `sympos` rules.
    pub fn lookup(
        &self,
        objname: Option<&[u8]>,
        name: &[u8],
        sympos: u64,
    ) -> Result<u64, Unresolved> {
        let (entries, text) = self.parts();
        let module = objname.unwrap_or(b"");
        let wanted = |e: &Entry| {
            (field(text, e.module_at, e.module_len), field(text, e.name_at, e.name_len))
        };
        let start = entries.partition_point(|e| wanted(e) < (module, name));
        let matches = &entries[start..];
        let candidates = matches.iter().take_while(|e| wanted(e) == (module, name)).count();
        // The kernel keeps the address of the last occurrence it visited: the sympos-th one, or the
        // last one when there are fewer; an address of 0 reads as "not found".
        let visited = match sympos {
            0 => candidates.min(2),
            n => candidates.min(usize::try_from(n).unwrap_or(usize::MAX)),
        };
        let addr = if visited == 0 { 0 } else { matches[visited - 1].addr };
        if addr == 0 {
            Err(Unresolved::NotFound)
        } else if sympos == 0 && candidates > 1 {
            Err(Unresolved::Ambiguous { candidates })
        } else if sympos != 0 && sympos > candidates as u64 {
            Err(Unresolved::NoSuchPosition { candidates })
        } else {
            Ok(addr)
        }
    }

    /// Where the entries and the text start in the block.
    fn layout(&self) -> (*mut Entry, usize, *mut u8, usize) {
        const _: () = assert!(align_of::<Entry>() <= 8 && size_of::<Header>() % 8 == 0);
        let &Header { count, text_len } = self.header();
        let entries = self.block.as_ptr().wrapping_add(size_of::<Header>());
        let text = entries.wrapping_add(count * size_of::<Entry>());
        (entries.cast(), count, text, text_len)
    }

    fn parts(&self) -> (&[Entry], &[u8]) {
        let (entries, count, text, text_len) = self.layout();
        // SAFETY: the block holds `count` entries (8-aligned, written by `parse` before any read)
        // and then `text_len` bytes of text, and lives as long as `self`.
        unsafe {
            (
                core::slice::from_raw_parts(entries, count),
                core::slice::from_raw_parts(text, text_len),
            )
        }
    }

    fn parts_mut(&mut self) -> (&mut [Entry], &mut [u8]) {
        let (entries, count, text, text_len) = self.layout();
        // SAFETY: as in `parts`; the two regions are disjoint, `Entry` is plain data for which any
        // bytes are valid, and `&mut self` makes the borrows unique.
        unsafe {
            (
                core::slice::from_raw_parts_mut(entries, count),
                core::slice::from_raw_parts_mut(text, text_len),
            )
        }
    }

    /// Gives the map to C as an opaque pointer; [`SymbolMap::from_raw`] takes it back.
    pub fn into_raw(self) -> NonNull<u8> {
        self.block.into_raw()
    }

    /// Takes back a map given out by [`SymbolMap::into_raw`].
    ///
    /// # Safety
    /// `raw` came from `into_raw` and is not used again.
    pub unsafe fn from_raw(raw: NonNull<u8>) -> Self {
        // SAFETY: the caller's contract; the block's size is recorded in its allocation.
        SymbolMap { block: unsafe { OwnedBlock::from_raw(raw) } }
    }

    /// Borrows a map given out by [`SymbolMap::into_raw`] without taking it back.
    ///
    /// # Safety
    /// `raw` came from `into_raw` and stays live while the borrow is used.
    pub unsafe fn borrow_raw(raw: NonNull<u8>) -> core::mem::ManuallyDrop<Self> {
        // SAFETY: the caller's contract; ManuallyDrop keeps the block from being freed here.
        core::mem::ManuallyDrop::new(unsafe { Self::from_raw(raw) })
    }
}

/// Orders entries by (module, name, line): a lookup's matches are adjacent and in file order.
fn key_order(text: &[u8], a: &Entry, b: &Entry) -> Ordering {
    field(text, a.module_at, a.module_len)
        .cmp(field(text, b.module_at, b.module_len))
        .then_with(|| field(text, a.name_at, a.name_len).cmp(field(text, b.name_at, b.name_len)))
        .then(a.line.cmp(&b.line))
}

fn field(text: &[u8], at: u32, len: u32) -> &[u8] {
    text.get(at as usize..(at as usize + len as usize)).unwrap_or_default()
}

/// Offset of `part`, a subslice of `text` (or empty), within `text`.
fn offset_in(text: &[u8], part: &[u8]) -> u32 {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize) as u32
}

/// Why a map could not be made.
#[derive(Debug)]
pub enum MapError<'a> {
    BadLine(BadLine),
    TooLarge,
    Alloc(Error),
    /// Debian's placeholder `System.map`, which names the package with the real one.
    Placeholder {
        package: &'a [u8],
    },
    /// Every address is 0: `/proc/kallsyms` read without privilege.
    AddressesHidden {
        symbols: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = "\
ffffffff81000000 T _stext
ffffffff81001000 t helper
ffffffff81002000 T printk
ffffffff81003000 t helper
ffffffff81004000 t helper.isra.0
0000000000000000 A zero_addr
ffffffffc0001000 t helper\t[ext4]
ffffffffc0002000 T ext4_fill_super\t[ext4]

ffffffffc0003000 t helper\t[btrfs]
";

    fn map() -> SymbolMap {
        SymbolMap::parse(MAP.as_bytes()).unwrap_or_else(|_| panic!("the test map parses"))
    }

    #[test]
    fn unique_names_resolve_with_sympos_zero() {
        let m = map();
        assert_eq!(m.len(), 9);
        assert_eq!(m.lookup(None, b"printk", 0), Ok(0xffffffff81002000));
        assert_eq!(m.lookup(None, b"helper.isra.0", 0), Ok(0xffffffff81004000));
        assert_eq!(m.lookup(Some(b"ext4"), b"helper", 0), Ok(0xffffffffc0001000));
        assert_eq!(m.lookup(Some(b"btrfs"), b"helper", 1), Ok(0xffffffffc0003000));
    }

    #[test]
    fn duplicates_need_a_position() {
        let m = map();
        assert_eq!(m.lookup(None, b"helper", 0), Err(Unresolved::Ambiguous { candidates: 2 }));
        assert_eq!(m.lookup(None, b"helper", 1), Ok(0xffffffff81001000));
        assert_eq!(m.lookup(None, b"helper", 2), Ok(0xffffffff81003000));
        assert_eq!(m.lookup(None, b"helper", 3), Err(Unresolved::NoSuchPosition { candidates: 2 }));
        assert_eq!(m.lookup(None, b"printk", 2), Err(Unresolved::NoSuchPosition { candidates: 1 }));
    }

    #[test]
    fn missing_symbols_and_objects() {
        let m = map();
        assert_eq!(m.lookup(None, b"nope", 0), Err(Unresolved::NotFound));
        assert_eq!(m.lookup(None, b"ext4_fill_super", 0), Err(Unresolved::NotFound));
        assert_eq!(m.lookup(Some(b"xfs"), b"helper", 0), Err(Unresolved::NotFound));
        assert_eq!(m.lookup(None, b"zero_addr", 0), Err(Unresolved::NotFound));
        assert_eq!(m.lookup(None, b"help", 0), Err(Unresolved::NotFound));
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        for (text, line) in [
            ("ffffffff81000000 T a\nnot-hex T b\n", 2),
            ("ffffffff81000000 T\n", 1),
            ("ffffffff81000000 TT a\n", 1),
            ("ffffffff81000000 T a [mod\n", 1),
            ("ffffffff81000000 T a []\n", 1),
            ("ffffffff81000000 T a [m] extra\n", 1),
            ("1ffffffff81000000 T a\n", 1),
        ] {
            match SymbolMap::parse(text.as_bytes()) {
                Err(MapError::BadLine(bad)) => assert_eq!(bad.line, line, "{text:?}"),
                _ => panic!("{text:?} was accepted"),
            }
        }
    }

    #[test]
    fn debians_placeholder_is_refused_with_its_package() {
        for (text, package) in [
            (
                "ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n",
                &b"linux-image-<version>-dbg"[..],
            ),
            (
                "\nffffffffffffffff B The real System.map is in the linux-image-6.1.0-57-amd64-dbg package",
                b"linux-image-6.1.0-57-amd64-dbg",
            ),
        ] {
            match SymbolMap::parse(text.as_bytes()) {
                Err(MapError::Placeholder { package: got }) => assert_eq!(got, package),
                _ => panic!("{text:?} was not refused as a placeholder"),
            }
        }
        // Words like the placeholder's elsewhere are a malformed line, as before.
        let text =
            "ffffffff81000000 T a\nffffffffffffffff B The real System.map is in the x package\n";
        assert!(matches!(SymbolMap::parse(text.as_bytes()), Err(MapError::BadLine(_))));
    }

    #[test]
    fn a_map_of_zero_addresses_is_refused() {
        let hidden = "0000000000000000 T _stext\n0000000000000000 t helper\t[ext4]\n";
        match SymbolMap::parse(hidden.as_bytes()) {
            Err(MapError::AddressesHidden { symbols }) => assert_eq!(symbols, 2),
            _ => panic!("a map of zero addresses was accepted"),
        }
        // Some zero addresses (per-CPU symbols in a System.map) are fine.
        assert!(
            SymbolMap::parse(b"0000000000000000 D __per_cpu_start\nffffffff81000000 T a\n").is_ok()
        );
    }

    #[test]
    fn an_empty_map_has_no_symbols() {
        let m = SymbolMap::parse(b"\n\n").unwrap_or_else(|_| panic!("empty maps parse"));
        assert!(m.is_empty());
        assert_eq!(m.lookup(None, b"printk", 0), Err(Unresolved::NotFound));
    }

    #[test]
    fn messages_use_the_kernels_wording() {
        let failure =
            |reason| LookupFailure { reason, objname: b"vmlinux", name: b"helper", sympos: 3 };
        assert_eq!(
            failure(Unresolved::NotFound).to_string(),
            "symbol 'helper' not found in symbol table"
        );
        assert_eq!(
            failure(Unresolved::Ambiguous { candidates: 2 }).to_string(),
            "unresolvable ambiguity for symbol 'helper' in object 'vmlinux' (2 candidates)"
        );
        assert_eq!(
            failure(Unresolved::NoSuchPosition { candidates: 2 }).to_string(),
            "symbol position 3 for symbol 'helper' in object 'vmlinux' not found (2 candidates)"
        );
    }

    #[test]
    fn the_map_round_trips_through_a_raw_pointer() {
        let raw = map().into_raw();
        // SAFETY: `raw` came from into_raw; it is borrowed, then taken back once.
        unsafe {
            assert_eq!(
                SymbolMap::borrow_raw(raw).lookup(None, b"printk", 0),
                Ok(0xffffffff81002000)
            );
            drop(SymbolMap::from_raw(raw));
        }
    }
}
