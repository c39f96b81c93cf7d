//! The `.modinfo` reader: the kernel's `get_modinfo()` / `get_next_modinfo()` / `next_string()` over
//! the section's bytes, bounds-checked.
//!
//! The section holds `tag=value` entries separated by NUL bytes, with runs of NULs (alignment
//! padding between entries from different objects) in between. The kernel walks the entries with
//! `next_string()`, which skips the NULs, and matches an entry when it starts with the tag followed
//! by `=`. It then hands out `value` as a C string. klpelf differs in one place: the kernel would
//! compare and return a last entry that is not NUL-terminated by reading past the section's end;
//! klpelf never matches such an entry, because it cannot be handed out as a NUL-terminated string
//! inside the image.
//!
//! For inspection (what kmod's `modinfo` shows) every entry is handed out in file order, split
//! at its first `=` as kmod splits it ([`split`]), from a module file of any architecture and byte
//! order ([`section`]); there the unterminated last entry is shown too, as kmod shows it.

use core::ops::Range;

use crate::inspect_view::ModuleView;

/// One entry of the section: the bytes between two NUL runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Offset of the entry in the section.
    pub offset: usize,
    /// The entry's bytes, without its terminating NUL.
    pub text: &'a [u8],
    /// False only for a last entry that runs to the section's end without a NUL.
    pub terminated: bool,
}

/// The entries of a `.modinfo` section, in order, empty runs skipped as `next_string()` skips them.
pub fn entries(section: &[u8]) -> impl Iterator<Item = Entry<'_>> {
    let mut offset = 0;
    core::iter::from_fn(move || {
        let rest = section.get(offset..)?;
        let start = offset + rest.iter().position(|&b| b != 0)?;
        let text = section.get(start..)?;
        let (text, terminated) = match text.iter().position(|&b| b == 0) {
            Some(len) => (text.get(..len)?, true),
            None => (text, false),
        };
        offset = start + text.len();
        Some(Entry { offset: start, text, terminated })
    })
}

/// Where the value of the first `tag=value` entry lies in `section`, like the kernel's
/// `get_modinfo(info, tag)`. The byte at `range.end` is the value's terminating NUL. `tag` is
/// matched exactly: `lic` does not match `license=GPL`.
pub fn find(section: &[u8], tag: &[u8]) -> Option<Range<usize>> {
    entries(section).filter(|entry| entry.terminated).find_map(|entry| {
        let value = entry.text.strip_prefix(tag)?.strip_prefix(b"=")?;
        let start = entry.offset + tag.len() + 1;
        Some(start..start + value.len())
    })
}

/// The `.modinfo` section of a module file, as kmod finds it (the first section of that name
/// inside the file), or `None` when there is none.
pub fn section<'a>(view: &ModuleView<'a>) -> Option<(usize, &'a [u8])> {
    let (_, shdr, bytes) = view.find(b".modinfo")?;
    Some((usize::try_from(shdr.sh_offset).ok()?, bytes))
}

/// An entry split as kmod's `kmod_module_get_info()` splits it: the tag before the first `=` and
/// the value after it; an entry without `=` is all tag, with an empty value (the empty slice at
/// the entry's end, so that it too points into the section).
pub fn split(text: &[u8]) -> (&[u8], &[u8]) {
    match text.iter().position(|&b| b == b'=') {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => text.split_at(text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(section: &'a [u8], tag: &str) -> Option<&'a [u8]> {
        let range = find(section, tag.as_bytes())?;
        assert_eq!(section.get(range.end), Some(&0), "a value is NUL-terminated in the section");
        Some(&section[range])
    }

    #[test]
    fn first_match_wins_and_tags_match_exactly() {
        let s = b"license=GPL\0name=demo\0alias=a\0alias=b\0";
        assert_eq!(value(s, "license"), Some(&b"GPL"[..]));
        assert_eq!(value(s, "name"), Some(&b"demo"[..]));
        assert_eq!(value(s, "alias"), Some(&b"a"[..]));
        assert_eq!(value(s, "lic"), None);
        assert_eq!(value(s, "licensed"), None);
        assert_eq!(value(s, "absent"), None);
    }

    #[test]
    fn nul_runs_are_skipped() {
        let s = b"\0\0\0license=GPL\0\0\0\0name=x\0\0";
        assert_eq!(value(s, "license"), Some(&b"GPL"[..]));
        assert_eq!(value(s, "name"), Some(&b"x"[..]));
        assert_eq!(entries(s).count(), 2);
        assert_eq!(entries(b"").count(), 0);
        assert_eq!(entries(b"\0\0").count(), 0);
    }

    #[test]
    fn an_unterminated_last_entry_never_matches() {
        let s = b"name=x\0livepatch=Y";
        assert_eq!(value(s, "name"), Some(&b"x"[..]));
        assert_eq!(value(s, "livepatch"), None);
        let last = entries(s).last().unwrap();
        assert_eq!(last, Entry { offset: 7, text: b"livepatch=Y", terminated: false });
    }

    #[test]
    fn entries_split_at_the_first_equals_sign() {
        assert_eq!(split(b"license=GPL"), (&b"license"[..], &b"GPL"[..]));
        assert_eq!(split(b"a=b=c"), (&b"a"[..], &b"b=c"[..]));
        let flag = b"flag";
        assert_eq!(split(flag), (&b"flag"[..], &b""[..]));
        assert_eq!(split(flag).1.as_ptr(), flag[4..].as_ptr(), "the empty value points after it");
        assert_eq!(split(b"=v"), (&b""[..], &b"v"[..]));
    }

    #[test]
    fn empty_values_and_odd_tags() {
        let s = b"empty=\0=novalue\0a=b=c\0";
        assert_eq!(value(s, "empty"), Some(&b""[..]));
        assert_eq!(value(s, ""), Some(&b"novalue"[..]));
        assert_eq!(value(s, "a"), Some(&b"b=c"[..]));
        assert_eq!(value(s, "a=b"), Some(&b"c"[..]));
    }
}
