//! Compiles the C baselines with the `cc` crate at `-O2`: always the copy baselines; the libelf
//! baseline when elfutils' `<libelf.h>` is there (Debian's `libelf-dev`, which `.ci/run` installs
//! and `scripts/bench` asks for); and the kernel's own `__write_relocate_add()`, cut out of a
//! kernel source tree, when there is one (`KLPELF_KERNEL_SRC`, or the kernel-source oracle's
//! download in `build/oracle-cache/src`). Without them the crate still builds, with the
//! `klpelf_bench_libelf` or `klpelf_bench_kernel_relocs` cfg off, so that
//! `cargo clippy --all-targets` and `cargo test` work on any machine
//! (`KLPELF_BENCH_NO_LIBELF=1` forces the first path).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let include = dir.join("../../include");
    println!("cargo:rerun-if-changed=c");
    println!("cargo:rerun-if-changed=../../c_tests/support/oracle.c");
    println!("cargo:rerun-if-changed={}", include.join("klpelf.h").display());

    cc::Build::new()
        .file(dir.join("c/copy_baselines.c"))
        .file(dir.join("../../c_tests/support/oracle.c"))
        .include(&include)
        .include(dir.join("../../c_tests/support"))
        .opt_level(2)
        .debug(true)
        .warnings(true)
        .extra_warnings(true)
        .compile("klpelf_bench_copy");

    kernel_relocs(&dir, &include);
    libcrypto(&dir);

    // KLPELF_BENCH_NO_LIBELF=1 builds as on a machine without libelf (to test that path).
    println!("cargo:rerun-if-env-changed=KLPELF_BENCH_NO_LIBELF");
    if env::var_os("KLPELF_BENCH_NO_LIBELF").is_some_and(|v| v != "0") {
        println!("cargo:warning=libelf baseline left out: KLPELF_BENCH_NO_LIBELF is set");
        return;
    }
    let libelf = cc::Build::new()
        .file(dir.join("c/libelf_ingest.c"))
        .opt_level(2)
        .debug(true)
        .warnings(true)
        .cargo_warnings(false)
        .try_compile("klpelf_bench_libelf");
    match libelf {
        Ok(()) => {
            println!("cargo:rustc-link-lib=elf");
            println!("cargo:rustc-cfg=klpelf_bench_libelf");
        }
        Err(err) => println!(
            "cargo:warning=libelf baseline left out (install libelf-dev for the ingest group): {err}"
        ),
    }
}

/// The kernel source tree to take `__write_relocate_add()` from, if any.
fn kernel_source(dir: &Path) -> Option<PathBuf> {
    println!("cargo:rerun-if-env-changed=KLPELF_KERNEL_SRC");
    let candidates = [env::var_os("KLPELF_KERNEL_SRC").map(PathBuf::from), Some(dir.join("../../build/oracle-cache/src"))];
    candidates.into_iter().flatten().find(|src| src.join("arch/x86/kernel/module.c").is_file())
}

/// The text of the function `name` in `source`: from the line that starts its definition at
/// column 0 to the first line that is exactly "}", as the kernel's style writes functions.
fn cut_function(source: &str, name: &str) -> Option<String> {
    let lines: Vec<&str> = source.lines().collect();
    let start = lines.iter().position(|l| {
        l.starts_with(|c: char| c.is_ascii_alphabetic()) && l.contains(&format!(" {name}(")) && !l.ends_with(';')
    })?;
    let end = start + lines[start..].iter().position(|l| *l == "}")?;
    Some(lines[start..=end].join("\n") + "\n")
}

/// The kernel baseline of the `relocs` group (`c/kernel_relocs.c`), when a kernel source is there.
fn kernel_relocs(dir: &Path, include: &Path) {
    let Some(src) = kernel_source(dir) else {
        println!("cargo:warning=kernel relocation baseline left out: no kernel source (set KLPELF_KERNEL_SRC to a kernel tree, or run the oracle's fetch)");
        return;
    };
    let module_c = src.join("arch/x86/kernel/module.c");
    println!("cargo:rerun-if-changed={}", module_c.display());
    let text = fs::read_to_string(&module_c).expect("a readable arch/x86/kernel/module.c");
    let Some(function) = cut_function(&text, "__write_relocate_add") else {
        println!("cargo:warning=kernel relocation baseline left out: no __write_relocate_add() in {}", module_c.display());
        return;
    };
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("write_relocate_add_cut.c");
    fs::write(&out, function).expect("a writable OUT_DIR");
    let built = cc::Build::new()
        .file(dir.join("c/kernel_relocs.c"))
        .include(include)
        .define("KLPELF_KERNEL_WRITE_RELOCATE_ADD", Some(format!("\"{}\"", out.display()).as_str()))
        // As the kernel builds: no strict aliasing, wrapping arithmetic, NULL checks kept.
        .flag("-fno-strict-aliasing")
        .flag("-fwrapv")
        .flag("-fno-delete-null-pointer-checks")
        .opt_level(2)
        .debug(true)
        .warnings(false)
        .cargo_warnings(false)
        .try_compile("klpelf_bench_kernel_relocs");
    match built {
        Ok(()) => println!("cargo:rustc-cfg=klpelf_bench_kernel_relocs"),
        Err(err) => println!("cargo:warning=kernel relocation baseline left out: {err}"),
    }
}

/// The libcrypto baseline of the `verify` group (`c/cms_verify.c`), when OpenSSL's headers are
/// there (Debian's `libssl-dev`, which `.ci/run` installs).
fn libcrypto(dir: &Path) {
    let built = cc::Build::new()
        .file(dir.join("c/cms_verify.c"))
        .opt_level(2)
        .debug(true)
        .warnings(true)
        .cargo_warnings(false)
        .try_compile("klpelf_bench_cms");
    match built {
        Ok(()) => {
            println!("cargo:rustc-link-lib=crypto");
            println!("cargo:rustc-cfg=klpelf_bench_libcrypto");
        }
        Err(err) => println!(
            "cargo:warning=libcrypto baseline left out (install libssl-dev for the verify group): {err}"
        ),
    }
}
