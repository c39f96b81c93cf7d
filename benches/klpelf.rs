//! klpelf's benchmarks (issue 4): each group measures klpelf against its baselines in the same run,
//! so the report (`scripts/bench` → `BENCHMARKS.md`) can give ratios that survive a noisy host.
//!
//! - `copy`: `copy_module_elf` + `free_module_elf` through the C ABI (`klpelf`), the kernel's
//!   algorithm as plain C (`kernel-c`: three mallocs, the header copied by value, two memcpys, three
//!   frees) and the floor (`floor`: one malloc of the same total bytes, one memcpy, one free), at
//!   16, 256, 4,096, 65,279 and 1,000,000 sections of synthetic tables laid out like a file: ELF
//!   header, section header table, section-name table (about 21 bytes a section). 1,000,000 uses
//!   extended numbering (`e_shnum = 0`, `e_shstrndx = SHN_XINDEX`, count and name-table index in
//!   section 0); the kernel cannot express it, so `kernel-c` there reads the count and index from
//!   section 0 and copies exactly the same bytes as it would if `e_shnum` could hold the count.
//! - `ingest`: `klpelf_setup_load_info` (`klpelf`) against elfutils libelf doing the same work
//!   (`libelf`) and `goblin::elf::Elf::parse` plus the same index pass (`goblin`), on a module-shaped
//!   object of 92 sections (`module`) and a 65,279-section one (`many`), both built at bench time.
//! - `pipeline`: setup → prepare → copy → release per module (`klpelf`), on the same objects.
//!
//! The C baselines and object builders are in `benches/support` (a dev-dependency only).
//!
//! Profiling: `KLPELF_BENCH_PROFILE=copy/klpelf/4096 KLPELF_BENCH_ITERS=100000` runs just that case
//! that many times without criterion (for `valgrind --tool=callgrind`); the id is
//! `GROUP/VARIANT/PARAM` as in criterion's output.

use std::ffi::{c_int, c_uint, c_void};
use std::hint::black_box;
use std::path::PathBuf;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput};
use klpelf::ffi::{
    copy_module_elf, free_module_elf, klpelf_prepare_module, klpelf_release_module,
    klpelf_setup_load_info,
};
use klpelf::layout::{Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, KlpModinfo, LoadInfo, Module};
use klpelf_bench_support::{copy as baseline, libelf, objects, Image};

/// Section counts of the `copy` group.
const COPY_SIZES: [usize; 5] = [16, 256, 4_096, 65_279, 1_000_000];
/// From here on the count needs extended numbering (`SHN_LORESERVE`).
const SHN_LORESERVE: usize = 0xff00;
const SHN_XINDEX: u16 = 0xffff;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_RELA: u32 = 4;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const SHF_INFO_LINK: u64 = 0x40;

/// A zeroed `struct module`, as the C API asks callers to start one.
fn zeroed_module() -> Module {
    // SAFETY: `Module` is a repr(C) struct of integers, bools, an array and raw pointers, all of
    // which are valid when zero.
    unsafe { std::mem::zeroed() }
}

/// A zeroed `struct load_info`.
fn zeroed_load_info() -> LoadInfo {
    // SAFETY: `LoadInfo` is a repr(C) struct of integers, a bool and raw pointers, all of which are
    // valid when zero.
    unsafe { std::mem::zeroed() }
}

/// Synthetic but realistic tables for the `copy` group, laid out like the front of an ELF file:
/// the header, then the section header table (`e_shoff = 64`), then the section-name table.
struct Tables {
    image: Image,
    count: usize,
    secstrings_len: usize,
    /// Stands in for `core_kallsyms.symtab`; only its address is used.
    kept_symtab: Vec<Elf64_Sym>,
}

impl Tables {
    fn new(count: usize) -> Tables {
        assert!(count >= 4);
        // Names like a -ffunction-sections object's: ".text.klp_fn_0000001", 21 bytes with the NUL;
        // every fourth section is the RELA section for the one before it.
        let mut names = vec![0u8];
        let mut name_at = Vec::with_capacity(count);
        name_at.push(0u32);
        for i in 1..count {
            name_at.push(names.len() as u32);
            let name = match i {
                1 => ".symtab".to_string(),
                2 => ".strtab".to_string(),
                _ if i == count - 1 => ".shstrtab".to_string(),
                _ if i % 4 == 0 => format!(".rela.text.klp_{i:07}"),
                _ => format!(".text.klp_fn_{i:07}"),
            };
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let secstrings_len = names.len();
        let shdrs_len = count * size_of::<Elf64_Shdr>();
        let mut image = Image::zeroed(64 + shdrs_len + secstrings_len);
        let base = image.as_mut_ptr().cast::<u8>();
        let xnum = count >= SHN_LORESERVE;
        let shstrndx = count - 1;
        let mut ident = [0u8; 16];
        ident[..7].copy_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1]);
        let hdr = Elf64_Ehdr {
            e_ident: ident,
            e_type: 1,     // ET_REL
            e_machine: 62, // EM_X86_64
            e_version: 1,
            e_shoff: 64,
            e_ehsize: 64,
            e_shentsize: 64,
            e_shnum: if xnum { 0 } else { count as u16 },
            e_shstrndx: if xnum { SHN_XINDEX } else { shstrndx as u16 },
            ..Default::default()
        };
        let data_at = (64 + shdrs_len + secstrings_len) as u64;
        let sechdr = |i: usize| -> Elf64_Shdr {
            let mut s = Elf64_Shdr { sh_name: name_at[i], ..Default::default() };
            match i {
                0 if xnum => {
                    s.sh_size = count as u64;
                    s.sh_link = shstrndx as u32;
                }
                0 => {}
                1 => {
                    s.sh_type = SHT_SYMTAB;
                    s.sh_link = 2;
                    s.sh_info = 1;
                    s.sh_entsize = 24;
                    s.sh_addralign = 8;
                    s.sh_size = 24 * 64;
                }
                2 => {
                    s.sh_type = SHT_STRTAB;
                    s.sh_size = 1024;
                    s.sh_addralign = 1;
                }
                _ if i == shstrndx => {
                    s.sh_type = SHT_STRTAB;
                    s.sh_offset = 64 + shdrs_len as u64;
                    s.sh_size = secstrings_len as u64;
                    s.sh_addralign = 1;
                }
                _ if i % 4 == 0 => {
                    s.sh_type = SHT_RELA;
                    s.sh_flags = SHF_INFO_LINK;
                    s.sh_link = 1;
                    s.sh_info = (i - 1) as u32;
                    s.sh_entsize = 24;
                    s.sh_addralign = 8;
                    s.sh_size = 72;
                }
                _ => {
                    s.sh_type = SHT_PROGBITS;
                    s.sh_flags = SHF_ALLOC | SHF_EXECINSTR;
                    s.sh_addralign = 16;
                    s.sh_size = 40 + (i as u64 % 7) * 16;
                    // A loader has already pointed sh_addr at the section's final place.
                    s.sh_addr = 0xffff_ffff_c000_0000 + (i as u64) * 0x100;
                }
            }
            if i >= 3 && i != shstrndx {
                s.sh_offset = data_at + (i as u64) * 64;
            }
            s
        };
        // SAFETY: the image is 8-aligned and `64 + shdrs_len + secstrings_len` bytes long: the
        // header at 0, `count` section headers (8-aligned, 64 bytes each) at 64, and the names
        // right after them.
        unsafe {
            base.cast::<Elf64_Ehdr>().write(hdr);
            let shdrs = base.add(64).cast::<Elf64_Shdr>();
            for i in 0..count {
                shdrs.add(i).write(sechdr(i));
            }
            std::ptr::copy_nonoverlapping(names.as_ptr(), base.add(64 + shdrs_len), secstrings_len);
        }
        Tables { image, count, secstrings_len, kept_symtab: vec![Elf64_Sym::default(); 64] }
    }

    /// The `load_info` a loader hands `copy_module_elf`: header, section headers, names, symtab.
    fn load_info(&mut self) -> LoadInfo {
        let base = self.image.as_mut_ptr().cast::<u8>();
        let mut info = zeroed_load_info();
        info.hdr = base.cast();
        // SAFETY: both offsets are inside the image (see `new`).
        unsafe {
            info.sechdrs = base.add(64).cast();
            info.secstrings = base.add(64 + self.count * size_of::<Elf64_Shdr>()).cast();
        }
        info.len = self.image.len() as _;
        info.index.sym = 1;
        info.index.str = 2;
        info
    }

    /// A zeroed module whose `core_kallsyms.symtab` is set, as the kernel loader leaves it.
    fn module(&mut self) -> Module {
        let mut module = zeroed_module();
        module.core_kallsyms.symtab = self.kept_symtab.as_mut_ptr();
        module.core_kallsyms.num_symtab = self.kept_symtab.len() as c_uint;
        module.klp = true;
        module
    }

    /// Bytes every variant copies: the header, the section headers and the names.
    fn bytes_copied(&self) -> usize {
        64 + self.count * size_of::<Elf64_Shdr>() + self.secstrings_len
    }

    /// Bytes the kernel allocates: `struct klp_modinfo`, the section headers and the names.
    fn bytes_allocated(&self) -> usize {
        size_of::<KlpModinfo>() + self.count * size_of::<Elf64_Shdr>() + self.secstrings_len
    }
}

/// Runs cases under criterion, or one case many times for a profiler (`KLPELF_BENCH_PROFILE`).
struct Harness {
    criterion: Criterion,
    profile: Option<(String, u64)>,
}

/// One benchmark group, under criterion or in profiling mode.
struct Group<'a> {
    name: &'static str,
    bench: Option<BenchmarkGroup<'a, WallTime>>,
    profile: Option<&'a (String, u64)>,
}

impl Harness {
    fn new() -> Harness {
        let profile = std::env::var("KLPELF_BENCH_PROFILE").ok().map(|id| {
            let iters = std::env::var("KLPELF_BENCH_ITERS")
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(10_000);
            (id, iters)
        });
        let criterion = if profile.is_some() {
            Criterion::default()
        } else {
            Criterion::default().configure_from_args()
        };
        Harness { criterion, profile }
    }

    fn group(&mut self, name: &'static str) -> Group<'_> {
        match &self.profile {
            Some(profile) => Group { name, bench: None, profile: Some(profile) },
            None => {
                Group { name, bench: Some(self.criterion.benchmark_group(name)), profile: None }
            }
        }
    }

    /// Whether any case of group `name` will run (always, under criterion).
    fn wants_group(&self, name: &str) -> bool {
        match &self.profile {
            Some((id, _)) => id.starts_with(&format!("{name}/")),
            None => true,
        }
    }

    fn finish(self) {
        if self.profile.is_none() {
            self.criterion.final_summary();
        }
    }
}

impl Group<'_> {
    /// Whether a case with this variant and parameter will run (always, under criterion).
    fn wants(&self, variant: &str, param: &str) -> bool {
        match self.profile {
            Some((id, _)) => *id == format!("{}/{variant}/{param}", self.name),
            None => true,
        }
    }

    /// Whether any case with this parameter will run.
    fn wants_param(&self, param: &str) -> bool {
        match self.profile {
            Some((id, _)) => {
                id.starts_with(&format!("{}/", self.name)) && id.ends_with(&format!("/{param}"))
            }
            None => true,
        }
    }

    /// Throughput in sections of `image`, for the groups that take a whole object.
    fn per_section_of(&mut self, image: &Image) {
        let sections = objects::section_count(image.bytes()) as u64;
        self.configure(|g| {
            g.throughput(Throughput::Elements(sections));
            g.sampling_mode(SamplingMode::Auto).sample_size(100);
        });
    }

    /// Applies criterion settings to the cases added after this call.
    fn configure(&mut self, f: impl FnOnce(&mut BenchmarkGroup<'_, WallTime>)) {
        if let Some(group) = &mut self.bench {
            f(group);
        }
    }

    fn case<R>(&mut self, variant: &str, param: &str, mut routine: impl FnMut() -> R) {
        if !self.wants(variant, param) {
            return;
        }
        match (&mut self.bench, self.profile) {
            (Some(group), _) => {
                group.bench_function(BenchmarkId::new(variant, param), |b| b.iter(&mut routine));
            }
            (None, Some((id, iters))) => {
                eprintln!("profiling {id}: {iters} iterations");
                for _ in 0..*iters {
                    black_box(routine());
                }
            }
            (None, None) => unreachable!("a group either benches or profiles"),
        }
    }

    fn finish(self) {
        if let Some(group) = self.bench {
            group.finish();
        }
    }
}

fn copy_group(harness: &mut Harness) {
    let mut group = harness.group("copy");
    for count in COPY_SIZES {
        let param = count.to_string();
        if !group.wants_param(&param) {
            continue;
        }
        let mut tables = Tables::new(count);
        let bytes = tables.bytes_copied();
        let alloc_size = tables.bytes_allocated();
        group.configure(|g| {
            g.throughput(Throughput::Bytes(bytes as u64));
            // Above a few hundred microseconds an iteration, linear sampling would need thousands
            // of iterations per sample; flat sampling with fewer samples keeps the time bounded.
            match count {
                0..65_279 => g.sampling_mode(SamplingMode::Auto).sample_size(100),
                65_279..100_000 => g.sampling_mode(SamplingMode::Flat).sample_size(50),
                _ => g.sampling_mode(SamplingMode::Flat).sample_size(20),
            };
        });

        // The same tables, the same kind of module for every variant; each result is checked once
        // before timing, so a broken baseline cannot win by doing nothing.
        let mut info = tables.load_info();
        let mut module = tables.module();
        check_copies(&mut tables, &mut info, count);

        group.case("klpelf", &param, || {
            // SAFETY: `info` points into `tables`, which outlives the group; `module` has no
            // `klp_info` on entry, and the copy is freed before the next iteration.
            unsafe {
                let rc = copy_module_elf(&mut module, &mut info);
                debug_assert_eq!(rc, 0);
                black_box(module.klp_info);
                free_module_elf(&mut module);
                rc
            }
        });
        let kernel_copy = if count >= SHN_LORESERVE {
            baseline::kc_copy_module_elf_xnum
        } else {
            baseline::kc_copy_module_elf
        };
        let mut kc_module = tables.module();
        group.case("kernel-c", &param, || {
            // SAFETY: as for klpelf; the C takes klpelf's `struct module` and `struct load_info`.
            unsafe {
                let m = (&raw mut kc_module).cast::<c_void>();
                let rc = kernel_copy(m, (&raw mut info).cast());
                debug_assert_eq!(rc, 0);
                black_box(kc_module.klp_info);
                baseline::kc_free_module_elf(m);
                rc
            }
        });
        let src = tables.image.as_mut_ptr().cast_const();
        group.case("floor", &param, || {
            // SAFETY: `src` is `bytes` readable bytes of the tables (the header, section headers
            // and names are contiguous), and the block is freed right away.
            unsafe {
                let block = baseline::floor_copy(src, alloc_size, bytes);
                debug_assert!(!block.is_null());
                baseline::floor_free(black_box(block));
            }
        });
    }
    group.finish();
}

/// Checks, once per size, that klpelf and the kernel-C baseline make the same copy.
fn check_copies(tables: &mut Tables, info: &mut LoadInfo, count: usize) {
    let mut ours = tables.module();
    let mut theirs = tables.module();
    let kernel_copy = if count >= SHN_LORESERVE {
        baseline::kc_copy_module_elf_xnum
    } else {
        baseline::kc_copy_module_elf
    };
    // SAFETY: `info` points into `tables`; both modules start zeroed; the copies are read while
    // live and freed by the function that matches the one that made them.
    unsafe {
        assert_eq!(copy_module_elf(&mut ours, info), 0, "klpelf copy_module_elf failed");
        assert_eq!(kernel_copy((&raw mut theirs).cast(), (info as *mut LoadInfo).cast()), 0);
        let (a, b) = (&*ours.klp_info, &*theirs.klp_info);
        assert!(a.hdr == b.hdr && a.symndx == b.symndx);
        let shdrs = count * size_of::<Elf64_Shdr>();
        assert_eq!(
            std::slice::from_raw_parts(a.sechdrs.cast::<u8>(), shdrs),
            std::slice::from_raw_parts(b.sechdrs.cast::<u8>(), shdrs)
        );
        assert_eq!(
            std::slice::from_raw_parts(a.secstrings.cast::<u8>(), tables.secstrings_len),
            std::slice::from_raw_parts(b.secstrings.cast::<u8>(), tables.secstrings_len)
        );
        free_module_elf(&mut ours);
        baseline::kc_free_module_elf((&raw mut theirs).cast());
    }
}

/// Where the bench-time objects are built: `$CARGO_TARGET_DIR/klpelf-bench`, else `target/`.
fn object_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("klpelf-bench")
}

/// The two objects of the `ingest` and `pipeline` groups, as (name, image).
fn objects_under_test() -> Vec<(&'static str, Image)> {
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

fn ingest_group(harness: &mut Harness, objects: &mut [(&'static str, Image)]) {
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

fn pipeline_group(harness: &mut Harness, objects: &mut [(&'static str, Image)]) {
    let mut group = harness.group("pipeline");
    for (name, image) in objects.iter_mut() {
        if !group.wants_param(name) {
            continue;
        }
        group.per_section_of(image);
        let (ptr, len) = (image.as_mut_ptr(), image.len());
        let mut info = zeroed_load_info();
        let mut module = zeroed_module();
        // Once before timing: every step succeeds and the module is a livepatch.
        // SAFETY: as in the timed routine below.
        unsafe {
            assert_eq!(klpelf_setup_load_info(&mut info, ptr, len, 0), 0);
            assert_eq!(klpelf_prepare_module(&mut module, &info), 0);
            assert!(module.klp, "{name} is not a livepatch module");
            assert_eq!(copy_module_elf(&mut module, &mut info), 0);
            klpelf_release_module(&mut module);
        }
        group.case("klpelf", name, || {
            // SAFETY: `info` is valid for writes and `ptr` is the image's `len` readable, aligned
            // bytes, which outlive the routine; `module` is released at the end of every iteration,
            // which leaves it ready for the next `klpelf_prepare_module`.
            unsafe {
                let mut rc = klpelf_setup_load_info(&mut info, ptr, len, 0);
                rc |= klpelf_prepare_module(&mut module, &info);
                rc |= copy_module_elf(&mut module, &mut info);
                debug_assert_eq!(rc, 0);
                black_box(module.klp_info);
                klpelf_release_module(&mut module);
                rc
            }
        });
    }
    group.finish();
}

fn main() {
    let mut harness = Harness::new();
    copy_group(&mut harness);
    if harness.wants_group("ingest") || harness.wants_group("pipeline") {
        let mut objects = objects_under_test();
        ingest_group(&mut harness, &mut objects);
        pipeline_group(&mut harness, &mut objects);
    }
    harness.finish();
}
