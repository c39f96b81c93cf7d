//! The `copy` group: `copy_module_elf` + `free_module_elf` through the C ABI against the kernel's
//! algorithm as plain C and the floor, on the synthetic tables.

use std::ffi::{c_int, c_void};
use std::hint::black_box;

use criterion::{SamplingMode, Throughput};
use klpelf::ffi::{copy_module_elf, free_module_elf};
use klpelf::layout::{Elf64_Shdr, LoadInfo};
use klpelf_bench_support::copy as baseline;

use crate::harness::Harness;
use crate::tables::Tables;
use crate::SHN_LORESERVE;

/// Section counts of the `copy` group.
const COPY_SIZES: [usize; 5] = [16, 256, 4_096, 65_279, 1_000_000];

/// The kernel-C copy for `count` sections: from `SHN_LORESERVE` on, the one that reads the count
/// and name-table index from section 0, since `e_shnum` cannot hold them.
fn kernel_copy(count: usize) -> unsafe extern "C" fn(*mut c_void, *mut c_void) -> c_int {
    if count >= SHN_LORESERVE {
        baseline::kc_copy_module_elf_xnum
    } else {
        baseline::kc_copy_module_elf
    }
}

pub(crate) fn copy_group(harness: &mut Harness) {
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
            // From 65,279 sections on, an iteration is long (BENCHMARKS.md has the times): linear
            // sampling would need thousands of iterations per sample; flat sampling with fewer
            // samples keeps the time bounded.
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
        let kc_copy = kernel_copy(count);
        let mut kc_module = tables.module();
        group.case("kernel-c", &param, || {
            // SAFETY: as for klpelf; the C takes klpelf's `struct module` and `struct load_info`.
            unsafe {
                let m = (&raw mut kc_module).cast::<c_void>();
                let rc = kc_copy(m, (&raw mut info).cast());
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
    let kc_copy = kernel_copy(count);
    // SAFETY: `info` points into `tables`; both modules start zeroed; the copies are read while
    // live and freed by the function that matches the one that made them.
    unsafe {
        assert_eq!(copy_module_elf(&mut ours, info), 0, "klpelf copy_module_elf failed");
        assert_eq!(kc_copy((&raw mut theirs).cast(), (info as *mut LoadInfo).cast()), 0);
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
