//! Compiles the C reference oracle of the C tests (the kernel's copy_module_elf/free_module_elf,
//! `c_tests/support/oracle.c`) into the fuzz crate, for the `copy_structured` target.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let oracle = root.join("c_tests/support/oracle.c");
    println!("cargo:rerun-if-changed={}", oracle.display());
    println!("cargo:rerun-if-changed={}", root.join("include/klpelf.h").display());
    cc::Build::new()
        .file(&oracle)
        .include(root.join("include"))
        .include(root.join("c_tests/support"))
        .warnings(true)
        .compile("klpelf_oracle");
}
