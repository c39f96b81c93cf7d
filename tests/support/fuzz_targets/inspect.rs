//! Fuzz target `inspect`: bytes as a module file of any architecture and byte order → the
//! inspection API (`klpelf_modinfo_next()` walked to its end, `klpelf_module_versions()` and both
//! tables walked with `klpelf_versions_next()`, `klpelf_module_vermagic()`), at an odd address (the
//! API promises any). Whatever the bytes: no crash, every pointer handed out inside the image, the
//! walks ending and agreeing with the counts, and out-parameters untouched on every error.

use core::ffi::c_char;

use klpelf::ffi::{
    klpelf_modinfo_next, klpelf_module_vermagic, klpelf_module_versions, klpelf_versions_next,
    KlpelfModinfoCursor, KlpelfModinfoEntry, KlpelfVermagic, KlpelfVersion, KlpelfVersionsCursor,
    KlpelfVersionsInfo, KLPELF_VERSIONS_BASIC, KLPELF_VERSIONS_EXTENDED,
};

use super::super::api::last_error;

/// Recognisable pointers for the out-parameters' initial values, outside any image.
static MARK: [c_char; 8] = [0; 8];

fn mark(i: usize) -> *const c_char {
    MARK[i..].as_ptr()
}

/// `len` bytes at `p` lie inside `image`; returns their offset.
fn inside(image: &[u8], p: *const c_char, len: usize) -> usize {
    let start = image.as_ptr() as usize;
    let at = (p as usize).checked_sub(start).expect("a pointer before the image");
    assert!(at.checked_add(len).is_some_and(|end| end <= image.len()), "a range past the image");
    at
}

pub fn inspect(data: &[u8]) {
    // One byte in front: the image starts at an odd address.
    let mut buf = Vec::with_capacity(data.len() + 1);
    buf.push(0u8);
    buf.extend_from_slice(data);
    let image = &buf[1..];
    walk_modinfo(image);
    let counts = versions_info(image);
    walk_versions(image, KLPELF_VERSIONS_BASIC, counts.map(|c| (c.has_basic, c.basic_count)));
    let ext = counts.map(|c| (c.has_extended, c.extended_count));
    walk_versions(image, KLPELF_VERSIONS_EXTENDED, ext);
    vermagic(image);
}

fn walk_modinfo(image: &[u8]) {
    let mut cursor = KlpelfModinfoCursor::default();
    let sentinel = KlpelfModinfoEntry {
        key: mark(1),
        key_len: 2,
        value: mark(3),
        value_len: 4,
        offset: 5,
        terminated: false,
    };
    let mut last_end = 0;
    for step in 0.. {
        let mut entry = sentinel;
        let before = cursor;
        // SAFETY: the image is live; cursor and entry are writable.
        let rc = unsafe {
            klpelf_modinfo_next(image.as_ptr().cast(), image.len(), &mut cursor, &mut entry)
        };
        if rc != 1 {
            assert!(rc == 0 || last_error().is_some(), "an error has a message");
            assert!(rc == 0 || step == 0, "only the first call parses the file");
            assert_eq!(entry, sentinel, "*entry untouched");
            assert_eq!(cursor, before, "*cursor untouched");
            return;
        }
        let key = inside(image, entry.key, entry.key_len);
        let value = inside(image, entry.value, entry.value_len);
        assert_eq!(key, entry.offset);
        assert!(step == 0 || key > last_end, "entries go forward, NULs between them");
        let text = &image[key..value + entry.value_len];
        assert!(!text.is_empty() && !text.contains(&0), "an entry is one string");
        assert!(!image[key..key + entry.key_len].contains(&b'='), "the key ends at the first =");
        last_end = value + entry.value_len;
        // Terminated: a NUL follows inside the section (so inside the image). Not terminated: the
        // entry runs to the section's end, which a NUL of the next section may follow.
        assert!(!entry.terminated || image.get(last_end) == Some(&0), "terminated means a NUL");
    }
}

fn versions_info(image: &[u8]) -> Option<KlpelfVersionsInfo> {
    let sentinel = KlpelfVersionsInfo { basic_count: 7, extended_count: 9, ..Default::default() };
    let mut info = sentinel;
    // SAFETY: the image is live; info is writable.
    let rc = unsafe { klpelf_module_versions(image.as_ptr().cast(), image.len(), &mut info) };
    if rc != 0 {
        assert_eq!(info, sentinel, "*out untouched");
        return None;
    }
    assert!(info.has_basic || info.basic_count == 0);
    assert!(info.has_extended || info.extended_count == 0);
    Some(info)
}

fn walk_versions(image: &[u8], table: i32, expected: Option<(bool, usize)>) {
    let mut cursor = KlpelfVersionsCursor::default();
    let sentinel = KlpelfVersion { crc: 1, name: mark(2), name_len: 3 };
    let mut seen = 0;
    loop {
        let mut v = sentinel;
        let before = cursor;
        // SAFETY: the image is live; cursor and v are writable.
        let rc = unsafe {
            klpelf_versions_next(image.as_ptr().cast(), image.len(), table, &mut cursor, &mut v)
        };
        if rc != 1 {
            assert_eq!((v.crc, v.name_len), (1, 3), "*version untouched");
            assert_eq!(cursor, before, "*cursor untouched");
            if rc == 0 {
                let count = expected.expect("the tables were read, so the walk must be").1;
                assert_eq!(seen, count, "the walk gives every entry the count gives");
            } else {
                // Only a __versions name without its NUL fails after the tables were accepted.
                assert!(expected.is_none() || table == KLPELF_VERSIONS_BASIC);
            }
            return;
        }
        let at = inside(image, v.name, v.name_len);
        assert_eq!(image.get(at + v.name_len), Some(&0), "a name ends with a NUL");
        assert!(!image[at..at + v.name_len].contains(&0));
        if table == KLPELF_VERSIONS_EXTENDED {
            assert!(v.crc <= u64::from(u32::MAX), "an extended CRC is a u32");
        }
        seen += 1;
    }
}

fn vermagic(image: &[u8]) {
    let sentinel = KlpelfVermagic {
        release: mark(1),
        release_len: 2,
        rest: mark(3),
        rest_len: 4,
        has_crcs: true,
    };
    let mut vm = sentinel;
    // SAFETY: the image is live; vm is writable.
    let rc = unsafe { klpelf_module_vermagic(image.as_ptr().cast(), image.len(), &mut vm) };
    if rc != 0 {
        assert_eq!(vm, sentinel, "*out untouched");
        return;
    }
    let release = inside(image, vm.release, vm.release_len);
    let rest = inside(image, vm.rest, vm.rest_len);
    assert_eq!(release + vm.release_len, rest, "the rest follows the release");
    assert!(!image[release..rest].contains(&b' '), "the release ends at the first space");
    assert!(vm.rest_len == 0 || image[rest] == b' ');
    assert_eq!(image.get(rest + vm.rest_len), Some(&0), "the value is NUL-terminated");
}
