//! `klpelf_setup_load_info()` on compiler-made module-shaped objects: what it finds, checked against
//! readelf, and the arguments it refuses.

mod support;

use std::ptr;

use klpelf::ffi::klpelf_setup_load_info;
use klpelf::layout::LoadInfoIndex;
use support::api::{c_str, last_error, setup_ok, InfoSlot, EINVAL};
use support::image::Image;
use support::objects::{assert_matches_readelf, livepatch, plain, Fixture};

// ------------------------------------------------------------------------------------------------
// Accepted images
// ------------------------------------------------------------------------------------------------

/// Sets up `fixture`, asserts that setup finds what readelf finds and the module's `name`, and
/// returns the section indices it found.
fn accepted(fixture: &Fixture, name: &str) -> LoadInfoIndex {
    let image = Image::new(&fixture.bytes);
    let info = setup_ok(&image, 0);
    assert_matches_readelf(&info, &image, fixture);
    assert_eq!(c_str(info.name).as_deref(), Some(name));
    info.index
}

#[test]
fn accepts_a_livepatch_module_and_finds_what_readelf_finds() {
    let index = accepted(livepatch(), "klptest");
    // Every optional index is present in this fixture.
    assert!(index.vers != 0 && index.pcpu != 0);
    assert!(index.vers_ext_crc != 0 && index.vers_ext_name != 0);
}

#[test]
fn accepts_a_plain_module_without_optional_sections() {
    let index = accepted(plain(), "plainmod");
    assert_eq!((index.pcpu, index.vers_ext_crc, index.vers_ext_name), (0, 0, 0));
}

// ------------------------------------------------------------------------------------------------
// Arguments
// ------------------------------------------------------------------------------------------------

#[test]
fn a_misaligned_image_is_einval() {
    let image = Image::at(&livepatch().bytes, 1);
    let mut slot = InfoSlot::new(0xa5);
    let before = slot.bytes();
    // SAFETY: the image's bytes start one past its base and run to its length.
    let rc = unsafe {
        klpelf_setup_load_info(slot.ptr(), image.base().add(1).cast(), image.len() - 1, 0)
    };
    assert_eq!(rc, EINVAL);
    assert!(last_error().unwrap().contains("not a multiple of 8"));
    assert_eq!(slot.bytes(), before, "a failed setup changed *info");
}

#[test]
fn null_arguments_and_unknown_flags_are_einval() {
    let image = Image::new(&livepatch().bytes);
    let mut slot = InfoSlot::new(0xa5);
    let before = slot.bytes();
    // SAFETY: NULL is allowed and rejected; the other pointers are valid.
    unsafe {
        assert_eq!(klpelf_setup_load_info(ptr::null_mut(), image.ptr(), image.len(), 0), EINVAL);
        assert_eq!(klpelf_setup_load_info(slot.ptr(), ptr::null_mut(), 100, 0), EINVAL);
        assert_eq!(klpelf_setup_load_info(slot.ptr(), image.ptr(), image.len(), 2), EINVAL);
        assert!(last_error().unwrap().contains("unknown flags 0x2"));
    }
    assert_eq!(slot.bytes(), before, "a failed setup changed *info");
}
