//! What klpelf needs in place of the C library (in both builds), and the runtime pieces of the
//! freestanding build (without the `std` feature).
//!
//! The freestanding build is `#![no_std]` and links into programs with no C library, no unwinder
//! and no threads: its archive needs nothing from outside but `memcpy`, `memmove`, `memset`,
//! `memcmp` and `bcmp`, which Rust's `core` calls (the CI check `c_freestanding_symbols` holds it to
//! that list). Three pieces make that so:
//!
//! - a panic handler that stops the program with the architecture's trap instruction (a panic is a
//!   bug in klpelf; with `std` it is caught at the C boundary and reported as `-ENOTRECOVERABLE`);
//! - weak, trapping definitions of `rust_eh_personality` and `_Unwind_Resume`. The toolchain's
//!   precompiled `core` is built for unwinding, so its objects refer to both even though nothing
//!   ever unwinds here (the panic handler never returns and klpelf is built with `panic = "abort"`
//!   in the `freestanding` profile). Being weak, they give way to a real unwinder's definitions
//!   when the program has one;
//! - [`strnlen`], klpelf's own, in both builds, so that no C library function is called (`core`'s
//!   `CStr::from_ptr` calls C's `strlen`; the C boundary measures strings with [`strnlen`]).

use core::ffi::c_char;

/// The length of the C string `s`, reading at most `max` bytes (C's `strnlen`).
///
/// # Safety
/// `s` must be valid for reads up to its NUL or of `max` bytes, whichever comes first.
pub unsafe fn strnlen(s: *const c_char, max: usize) -> usize {
    let mut len = 0;
    // SAFETY: the caller's contract: every byte before the NUL, up to `max`, is readable.
    while len < max && unsafe { s.add(len).read() } != 0 {
        len += 1;
    }
    len
}

/// The runtime of the `#![no_std]` build (no `std` feature, `panic = "abort"`; see the crate docs).
#[cfg(all(not(feature = "std"), panic = "abort", not(test)))]
mod runtime {
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "riscv64")))]
    compile_error!(
        "the freestanding build knows the trap instruction of x86_64, aarch64 and riscv64 only \
         (add yours to src/freestanding.rs)"
    );

    /// The instruction that stops the program: an undefined-instruction exception.
    #[cfg(target_arch = "x86_64")]
    macro_rules! trap {
        () => {
            "ud2"
        };
    }
    #[cfg(target_arch = "aarch64")]
    macro_rules! trap {
        () => {
            "udf #0"
        };
    }
    #[cfg(target_arch = "riscv64")]
    macro_rules! trap {
        () => {
            "unimp"
        };
    }

    /// A panic is a bug in klpelf; without `std` nothing can catch it, so the program stops here.
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        // SAFETY: the trap instruction raises an exception and never falls through.
        unsafe { core::arch::asm!(trap!(), options(noreturn, nomem, nostack)) }
    }

    // Nothing unwinds in this build, so neither symbol is ever called; `core`'s unwind tables and
    // landing pads only refer to them. Weak, so that a real unwinder in the program wins.
    core::arch::global_asm!(
        ".pushsection .text.klpelf_unwind_stubs,\"ax\",%progbits",
        ".weak rust_eh_personality",
        ".type rust_eh_personality,%function",
        "rust_eh_personality:",
        ".weak _Unwind_Resume",
        ".type _Unwind_Resume,%function",
        "_Unwind_Resume:",
        trap!(),
        ".size rust_eh_personality, . - rust_eh_personality",
        ".size _Unwind_Resume, . - _Unwind_Resume",
        ".popsection",
    );
}

#[cfg(test)]
mod tests {
    use super::strnlen;

    #[test]
    fn strnlen_stops_at_the_nul_or_the_limit() {
        let s = c"module";
        // SAFETY: a valid NUL-terminated strings, read no further than their NUL.
        assert_eq!(unsafe { strnlen(s.as_ptr(), 56) }, 6);
        // SAFETY: as above.
        assert_eq!(unsafe { strnlen(s.as_ptr(), 3) }, 3);
        // SAFETY: as above.
        assert_eq!(unsafe { strnlen(c"".as_ptr(), 56) }, 0);
        // SAFETY: as above.
        assert_eq!(unsafe { strnlen(s.as_ptr(), 0) }, 0);
    }
}
