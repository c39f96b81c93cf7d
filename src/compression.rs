//! The compression formats a module file can come in, told apart by their magic numbers as the
//! kernel's `kernel/module/decompress.c` and kmod tell them apart, never by the file's name.

use core::ffi::{c_char, c_int};

/// How a module image was stored: as it is, or compressed with one of the formats distributions and
/// the kernel's `modules_install` use (`CONFIG_MODULE_COMPRESS_*`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KlpelfCompression {
    /// Not compressed: the bytes are used as they are (a `.ko`, or anything that is not one of the
    /// formats below).
    None = 0,
    /// xz (`.ko.xz`): starts with `FD 37 7A 58 5A 00`.
    Xz = 1,
    /// Zstandard (`.ko.zst`): starts with `28 B5 2F FD`.
    Zstd = 2,
    /// gzip (`.ko.gz`): starts with `1F 8B`.
    Gzip = 3,
}

const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

impl KlpelfCompression {
    /// The format whose magic number `bytes` starts with.
    pub fn detect(bytes: &[u8]) -> Self {
        if bytes.starts_with(XZ_MAGIC) {
            KlpelfCompression::Xz
        } else if bytes.starts_with(ZSTD_MAGIC) {
            KlpelfCompression::Zstd
        } else if bytes.starts_with(GZIP_MAGIC) {
            KlpelfCompression::Gzip
        } else {
            KlpelfCompression::None
        }
    }

    /// The format's magic number (empty for [`KlpelfCompression::None`]).
    pub fn magic(self) -> &'static [u8] {
        match self {
            KlpelfCompression::None => &[],
            KlpelfCompression::Xz => XZ_MAGIC,
            KlpelfCompression::Zstd => ZSTD_MAGIC,
            KlpelfCompression::Gzip => GZIP_MAGIC,
        }
    }

    /// The format's short name, as messages and `klpelf_compression_name()` give it.
    pub fn name(self) -> &'static str {
        match self {
            KlpelfCompression::None => "none",
            KlpelfCompression::Xz => "xz",
            KlpelfCompression::Zstd => "zstd",
            KlpelfCompression::Gzip => "gzip",
        }
    }

    /// The format with this value of the C enum, if there is one.
    pub fn from_value(value: c_int) -> Option<Self> {
        [Self::None, Self::Xz, Self::Zstd, Self::Gzip].into_iter().find(|c| *c as c_int == value)
    }

    /// [`KlpelfCompression::name`] as a NUL-terminated C string.
    pub fn c_name(self) -> *const c_char {
        let name: &'static [u8] = match self {
            KlpelfCompression::None => b"none\0",
            KlpelfCompression::Xz => b"xz\0",
            KlpelfCompression::Zstd => b"zstd\0",
            KlpelfCompression::Gzip => b"gzip\0",
        };
        name.as_ptr().cast()
    }
}

#[cfg(test)]
mod tests {
    use super::KlpelfCompression as C;

    #[test]
    fn formats_are_told_by_magic() {
        assert_eq!(C::detect(b"\xfd7zXZ\0\0\x01"), C::Xz);
        assert_eq!(C::detect(b"\x28\xb5\x2f\xfd\x24"), C::Zstd);
        assert_eq!(C::detect(b"\x1f\x8b\x08\0"), C::Gzip);
        assert_eq!(C::detect(b"\x7fELF\x02\x01"), C::None);
        assert_eq!(C::detect(b"\xfd7zX"), C::None, "a cut magic is not the format");
        assert_eq!(C::detect(b""), C::None);
    }

    #[test]
    fn values_names_and_magic_agree() {
        for c in [C::None, C::Xz, C::Zstd, C::Gzip] {
            assert_eq!(C::from_value(c as i32), Some(c));
            assert_eq!(C::detect(c.magic()), c);
            // SAFETY: c_name() returns a NUL-terminated static string.
            let c_name = unsafe { core::ffi::CStr::from_ptr(c.c_name()) };
            assert_eq!(c_name.to_str().unwrap(), c.name());
        }
        assert_eq!(C::from_value(4), None);
    }
}
