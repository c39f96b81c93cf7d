//! Compiles the C baselines with the `cc` crate at `-O2`: always the copy baselines, and the libelf
//! baseline when elfutils' `<libelf.h>` is there (Debian's `libelf-dev`, which `.ci/run` installs
//! and `scripts/bench` asks for). Without it the crate still builds, with the `klpelf_bench_libelf`
//! cfg off, so that `cargo clippy --all-targets` and `cargo test` work on a machine that lacks libelf
//! (`KLPELF_BENCH_NO_LIBELF=1` forces that path).

use std::env;
use std::path::PathBuf;

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
