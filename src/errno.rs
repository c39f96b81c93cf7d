//! The errno values klpelf returns (negated), as the Linux kernel defines them for the target
//! architecture: klpelf's own constants, so that the freestanding build, which may target a system
//! without a C library (`x86_64-unknown-none`), needs no `libc` crate for them.
//!
//! Values up to 34 come from the kernel's `asm-generic/errno-base.h` and are the same on every
//! architecture. The others are `asm-generic/errno.h`'s, which x86-64, arm64, riscv64, powerpc64,
//! s390x and loongarch64 use; MIPS and SPARC number them their own way (`arch/*/include/uapi/asm/
//! errno.h`). The std build checks every value against the C library's in a unit test.

use core::ffi::c_int;

/// Operation not permitted: a symbol map whose addresses are all 0, as `/proc/kallsyms` shows them to
/// an unprivileged reader.
pub(crate) const EPERM: c_int = 1;
/// Exec format error: a module the kernel would refuse.
pub(crate) const ENOEXEC: c_int = 8;
/// Out of memory.
pub(crate) const ENOMEM: c_int = 12;
/// Device or resource busy.
pub(crate) const EBUSY: c_int = 16;
/// File exists.
pub(crate) const EEXIST: c_int = 17;
/// Invalid argument.
pub(crate) const EINVAL: c_int = 22;
/// File too large: a module that decompresses, or a stream that delivers, past the image limit.
pub(crate) const EFBIG: c_int = 27;

/// The architecture's `ENAMETOOLONG`, `ENOSYS`, `ENODATA`, `ENOPKG`, `EBADMSG` and
/// `ENOTRECOVERABLE`, in that order.
#[cfg(not(any(target_arch = "mips64", target_arch = "sparc64")))]
const ARCH: [c_int; 6] = [36, 38, 61, 65, 74, 131];
#[cfg(target_arch = "mips64")]
const ARCH: [c_int; 6] = [78, 89, 61, 65, 77, 166];
#[cfg(target_arch = "sparc64")]
const ARCH: [c_int; 6] = [63, 90, 111, 113, 76, 133];

/// File name too long: a module name that does not fit `struct module`'s `name`.
pub(crate) const ENAMETOOLONG: c_int = ARCH[0];
/// Function not implemented: reading files, or decompressing, in the freestanding build.
pub(crate) const ENOSYS: c_int = ARCH[1];
/// No data available: an unsigned module.
pub(crate) const ENODATA: c_int = ARCH[2];
/// Package not installed: a signature kind the kernel does not support.
pub(crate) const ENOPKG: c_int = ARCH[3];
/// Not a data message: a malformed signature trailer.
pub(crate) const EBADMSG: c_int = ARCH[4];
/// State not recoverable: a bug in klpelf, caught at the C boundary.
pub(crate) const ENOTRECOVERABLE: c_int = ARCH[5];

/// The architecture's `ENOKEY` and `EKEYREJECTED`, in that order.
#[cfg(not(any(target_arch = "mips64", target_arch = "sparc64")))]
const ARCH_KEYS: [c_int; 2] = [126, 129];
#[cfg(target_arch = "mips64")]
const ARCH_KEYS: [c_int; 2] = [161, 164];
#[cfg(target_arch = "sparc64")]
const ARCH_KEYS: [c_int; 2] = [128, 131];

/// Required key not available: no given key made a module's signature.
pub(crate) const ENOKEY: c_int = ARCH_KEYS[0];
/// Key was rejected by service: a module signature that does not verify.
pub(crate) const EKEYREJECTED: c_int = ARCH_KEYS[1];

#[cfg(all(test, feature = "std"))]
mod tests {
    #[test]
    fn the_values_are_the_c_librarys() {
        let ours = [
            super::EPERM,
            super::ENOEXEC,
            super::ENOMEM,
            super::EBUSY,
            super::EEXIST,
            super::EINVAL,
            super::EFBIG,
            super::ENAMETOOLONG,
            super::ENOSYS,
            super::ENODATA,
            super::ENOPKG,
            super::EBADMSG,
            super::ENOTRECOVERABLE,
            super::ENOKEY,
            super::EKEYREJECTED,
        ];
        let libc = [
            libc::EPERM,
            libc::ENOEXEC,
            libc::ENOMEM,
            libc::EBUSY,
            libc::EEXIST,
            libc::EINVAL,
            libc::EFBIG,
            libc::ENAMETOOLONG,
            libc::ENOSYS,
            libc::ENODATA,
            libc::ENOPKG,
            libc::EBADMSG,
            libc::ENOTRECOVERABLE,
            libc::ENOKEY,
            libc::EKEYREJECTED,
        ];
        assert_eq!(ours, libc);
    }
}
