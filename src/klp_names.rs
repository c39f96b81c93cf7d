//! The livepatch naming formats, parsed exactly as the kernel's `sscanf` does in
//! `kernel/livepatch/core.c`:
//! - relocation sections: `.klp.rela.%55[^.]` (only the object name is read; what follows is not
//!   checked, so a longer object name is cut at 55 characters rather than rejected);
//! - symbols: `.klp.sym.%55[^.].%511[^,],%lu`.
//!
//! The kernel's `vsscanf` rules that matter here: literal characters must match exactly; a `%N[^x]`
//! conversion needs at least one character, takes at most N, and stops at `x` or the end of the
//! string; a conversion at the end of the string stops the scan; `%lu` skips white space (the
//! kernel's `isspace`, which includes 0xA0), then needs a decimal digit (so a sign is rejected),
//! reads digits with wrap-around on overflow, and ignores whatever follows.

use crate::layout::{KSYM_NAME_LEN, MODULE_NAME_LEN};

/// Longest object name the formats read (the kernel's `%55[^.]`).
pub(crate) const OBJNAME_MAX: usize = MODULE_NAME_LEN - 1;
/// Longest symbol name the formats read (the kernel's `%511[^,]`).
pub(crate) const SYMNAME_MAX: usize = KSYM_NAME_LEN - 1;

/// A parsed `.klp.sym.<objname>.<symname>,<sympos>` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlpSymName<'a> {
    /// The object the symbol lives in (`vmlinux` or a module name), 1 to 55 bytes.
    pub objname: &'a [u8],
    /// The symbol's name, 1 to 511 bytes, possibly containing dots.
    pub symname: &'a [u8],
    /// 0: the name must be unique in the object; N: its N-th occurrence.
    pub sympos: u64,
}

/// The kernel's `isspace()` (its ctype table also marks 0xA0, Latin-1 no-break space).
fn kernel_isspace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0xa0)
}

/// A `vsscanf`-style cursor over a name (the bytes before its NUL).
struct Scan<'a> {
    rest: &'a [u8],
}

impl<'a> Scan<'a> {
    /// A literal part of the format: must match exactly.
    fn literal(&mut self, lit: &[u8]) -> Option<()> {
        self.rest = self.rest.strip_prefix(lit)?;
        Some(())
    }

    /// `%<width>[^<stop>]`: one to `width` bytes up to `stop` or the end.
    fn until(&mut self, stop: u8, width: usize) -> Option<&'a [u8]> {
        let len = self.rest.iter().take(width).take_while(|&&c| c != stop).count();
        if len == 0 {
            return None;
        }
        let (field, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(field)
    }

    /// `%lu`: white space, then at least one decimal digit; overflow wraps as in the kernel's
    /// `simple_strntoull`; anything after the digits is left unread.
    fn unsigned_long(&mut self) -> Option<u64> {
        if self.rest.is_empty() {
            return None;
        }
        let digits_at = self.rest.iter().take_while(|&&c| kernel_isspace(c)).count();
        let digits = &self.rest[digits_at..];
        let len = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let value = digits[..len]
            .iter()
            .fold(0u64, |acc, &d| acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0')));
        self.rest = &digits[len..];
        Some(value)
    }
}

/// Parses a livepatch relocation section name; returns its object name.
pub fn parse_klp_rela_name(name: &[u8]) -> Option<&[u8]> {
    let mut scan = Scan { rest: name };
    scan.literal(b".klp.rela.")?;
    scan.until(b'.', OBJNAME_MAX)
}

/// Parses a livepatch symbol name.
pub fn parse_klp_sym_name(name: &[u8]) -> Option<KlpSymName<'_>> {
    let mut scan = Scan { rest: name };
    scan.literal(b".klp.sym.")?;
    let objname = scan.until(b'.', OBJNAME_MAX)?;
    scan.literal(b".")?;
    let symname = scan.until(b',', SYMNAME_MAX)?;
    scan.literal(b",")?;
    let sympos = scan.unsigned_long()?;
    Some(KlpSymName { objname, symname, sympos })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = Option<(String, String, u64)>;

    fn sym(name: &str) -> Parsed {
        parse_klp_sym_name(name.as_bytes()).map(|s| {
            (
                String::from_utf8(s.objname.to_vec()).unwrap(),
                String::from_utf8(s.symname.to_vec()).unwrap(),
                s.sympos,
            )
        })
    }

    fn owned(obj: &str, sym: &str, pos: u64) -> Parsed {
        Some((obj.to_string(), sym.to_string(), pos))
    }

    #[test]
    fn symbol_names() {
        let o55 = "m".repeat(55);
        let o56 = "m".repeat(56);
        let s511 = "s".repeat(511);
        let s512 = "s".repeat(512);
        let table: Vec<(String, Parsed)> = vec![
            (".klp.sym.vmlinux.printk,0".into(), owned("vmlinux", "printk", 0)),
            (".klp.sym.vmlinux.foo.isra.0,2".into(), owned("vmlinux", "foo.isra.0", 2)),
            (".klp.sym.btrfs.bar,1".into(), owned("btrfs", "bar", 1)),
            (format!(".klp.sym.{o55}.f,0"), owned(&o55, "f", 0)),
            (format!(".klp.sym.{o56}.f,0"), None),
            (format!(".klp.sym.vmlinux.{s511},3"), owned("vmlinux", &s511, 3)),
            (format!(".klp.sym.vmlinux.{s512},3"), None),
            (".klp.sym.vmlinux.f,-1".into(), None),
            (".klp.sym.vmlinux.f,+1".into(), None),
            (".klp.sym.vmlinux.f,0xyz".into(), owned("vmlinux", "f", 0)),
            (".klp.sym.vmlinux.f,12abc".into(), owned("vmlinux", "f", 12)),
            (".klp.sym.vmlinux.f, 7".into(), owned("vmlinux", "f", 7)),
            (".klp.sym.vmlinux.f,\u{a0}7".into(), None), // UTF-8 NBSP is two bytes: 0xC2 0xA0
            (".klp.sym.vmlinux.f,".into(), None),
            (".klp.sym.vmlinux.f, ".into(), None),
            (".klp.sym.vmlinux.f".into(), None),
            (".klp.sym.vmlinux.,0".into(), None),
            (".klp.sym..f,0".into(), None),
            (".klp.sym.vmlinux".into(), None),
            (".klp.sym".into(), None),
            (".klp.rela.vmlinux.f,0".into(), None),
            ("".into(), None),
            (".klp.sym.vmlinux.f,18446744073709551617".into(), owned("vmlinux", "f", 1)),
        ];
        for (name, expected) in table {
            assert_eq!(sym(&name), expected, "{name:?}");
        }
    }

    #[test]
    fn latin1_no_break_space_is_white_space() {
        let parsed = parse_klp_sym_name(b".klp.sym.vmlinux.f,\xa05").unwrap();
        assert_eq!(parsed.sympos, 5);
    }

    #[test]
    fn relocation_section_names() {
        let rela = |n: &str| parse_klp_rela_name(n.as_bytes()).map(|o| o.to_vec());
        assert_eq!(rela(".klp.rela.vmlinux..text"), Some(b"vmlinux".to_vec()));
        assert_eq!(rela(".klp.rela.ext4.text.ext4_fill_super"), Some(b"ext4".to_vec()));
        assert_eq!(rela(".klp.rela.vmlinux"), Some(b"vmlinux".to_vec()));
        assert_eq!(rela(&format!(".klp.rela.{}.x", "m".repeat(55))), Some(vec![b'm'; 55]));
        // The kernel reads at most 55 characters and checks nothing after them.
        assert_eq!(rela(&format!(".klp.rela.{}.x", "m".repeat(56))), Some(vec![b'm'; 55]));
        assert_eq!(rela(".klp.rela..text"), None);
        assert_eq!(rela(".klp.rela."), None);
        assert_eq!(rela(".rela.text"), None);
    }
}
