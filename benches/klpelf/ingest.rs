//! The `ingest` group: `klpelf_setup_load_info` against elfutils libelf and goblin doing the same
//! work, on the objects built at bench time, which the `pipeline` group reads too.

use std::ffi::c_int;
use std::hint::black_box;
use std::path::PathBuf;

use klpelf::ffi::klpelf_setup_load_info;
use klpelf::layout::LoadInfo;
use klpelf_bench_support::{libelf, objects, Image};

use crate::harness::Harness;
use crate::{zeroed_load_info, SHF_ALLOC, SHT_SYMTAB};

/// Where the bench-time objects are built: `$CARGO_TARGET_DIR/klpelf-bench`, else `target/`.
pub(crate) fn object_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("klpelf-bench")
}

/// The two objects of the `ingest` and `pipeline` groups, as (name, image).
pub(crate) fn objects_under_test() -> Vec<(&'static str, Image)> {
    let built = objects::build(&object_dir()).expect("the C compiler builds the bench objects");
    let module = Image::from_file(&built.module).expect("module object is readable");
    let many = Image::from_file(&built.many).expect("many-section object is readable");
    assert_eq!(objects::section_count(many.bytes()), objects::MANY_SECTIONS);
    vec![("module", module), ("many", many)]
}

/// The indices every ingest variant must agree on: symtab, its strtab, this_module, modinfo.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    sections: usize,
    sym: u32,
    str: u32,
    module: u32,
    info: u32,
    vers: u32,
}

/// `goblin::elf::Elf::parse`, then the same pass over the sections as the libelf baseline.
fn goblin_ingest(bytes: &[u8]) -> Option<Found> {
    let elf = klpelf_bench_support::goblin::elf::Elf::parse(bytes).ok()?;
    let mut found =
        Found { sections: elf.section_headers.len(), sym: 0, str: 0, module: 0, info: 0, vers: 0 };
    for (i, shdr) in elf.section_headers.iter().enumerate() {
        let i = i as u32;
        if shdr.sh_type == SHT_SYMTAB {
            found.sym = i;
            found.str = shdr.sh_link;
        }
        match elf.shdr_strtab.get_at(shdr.sh_name)? {
            ".modinfo" => found.info = i,
            ".gnu.linkonce.this_module" => found.module = i,
            "__versions" if found.vers == 0 && shdr.sh_flags & SHF_ALLOC != 0 => found.vers = i,
            _ => {}
        }
    }
    black_box(&elf);
    Some(found)
}

/// `klpelf_setup_load_info` on `image`, into a fresh `load_info`.
fn klpelf_setup(image: &mut Image) -> Result<LoadInfo, c_int> {
    let mut info = zeroed_load_info();
    // SAFETY: `info` is valid for writes; the image is `len()` readable, 8-aligned bytes.
    let rc = unsafe { klpelf_setup_load_info(&mut info, image.as_mut_ptr(), image.len(), 0) };
    if rc == 0 {
        Ok(info)
    } else {
        Err(rc)
    }
}

/// Checks, once per object, that the three ingest variants find the same sections.
fn check_ingest(name: &str, image: &mut Image) {
    let by_goblin = goblin_ingest(image.bytes()).expect("goblin parses the bench object");
    let info = klpelf_setup(image).unwrap_or_else(|rc| panic!("klpelf rejects {name}: {rc}"));
    // SAFETY: setup succeeded, so `info.hdr` points at the image's header.
    let sections = usize::from(unsafe { (*info.hdr).e_shnum });
    let by_klpelf = Found {
        sections,
        sym: info.index.sym,
        str: info.index.str,
        module: info.index.r#mod,
        info: info.index.info,
        vers: info.index.vers,
    };
    assert_eq!(by_klpelf, by_goblin, "klpelf and goblin disagree on {name}");
    assert!(by_klpelf.sym != 0 && by_klpelf.module != 0 && by_klpelf.info != 0);
    if libelf::AVAILABLE {
        let found = libelf::ingest(image).expect("libelf opens the bench object");
        let by_libelf = Found {
            sections: found.shnum,
            sym: found.sym,
            str: found.str,
            module: found.module,
            info: found.info,
            vers: found.vers,
        };
        assert_eq!(by_klpelf, by_libelf, "klpelf and libelf disagree on {name}");
    }
}

pub(crate) fn ingest_group(harness: &mut Harness, objects: &mut [(&'static str, Image)]) {
    let mut group = harness.group("ingest");
    if libelf::AVAILABLE {
        libelf::init();
    } else {
        eprintln!("ingest: the libelf baseline is not compiled in (install libelf-dev)");
    }
    for (name, image) in objects.iter_mut() {
        if !group.wants_param(name) {
            continue;
        }
        check_ingest(name, image);
        group.per_section_of(image);
        let (ptr, len) = (image.as_mut_ptr(), image.len());
        let mut info = zeroed_load_info();
        group.case("klpelf", name, || {
            // SAFETY: `info` is valid for writes; `ptr` is the image's `len` readable, aligned
            // bytes, alive for the whole group.
            unsafe { klpelf_setup_load_info(&mut info, ptr, len, 0) }
        });
        if libelf::AVAILABLE {
            group.case("libelf", name, || libelf::ingest(image));
        }
        group.case("goblin", name, || goblin_ingest(black_box(image.bytes())));
    }
    group.finish();
}
