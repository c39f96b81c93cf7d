//! The `pipeline` group: setup → prepare → copy → release per module, on the ingest group's
//! objects.

use std::hint::black_box;

use klpelf::ffi::{
    copy_module_elf, klpelf_prepare_module, klpelf_release_module, klpelf_setup_load_info,
};
use klpelf_bench_support::Image;

use crate::harness::Harness;
use crate::{zeroed_load_info, zeroed_module};

pub(crate) fn pipeline_group(harness: &mut Harness, objects: &mut [(&'static str, Image)]) {
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
