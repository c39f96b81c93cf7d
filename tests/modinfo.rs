//! `klpelf_get_modinfo()`: the kernel's `get_modinfo()` walk over `.modinfo` in an image setup
//! accepted.

mod support;

use std::ffi::CString;
use std::ptr;

use klpelf::ffi::klpelf_get_modinfo;
use klpelf::layout::LoadInfo;
use support::api::{c_str, last_error, setup_ok};
use support::image::Image;
use support::objects::livepatch;

fn get(info: &LoadInfo, tag: &str) -> Option<String> {
    let tag = CString::new(tag).unwrap();
    // SAFETY: info comes from setup over a live image; tag is a C string.
    let value = unsafe { klpelf_get_modinfo(info, tag.as_ptr()) };
    let value = c_str(value);
    if value.is_none() {
        assert_eq!(last_error(), None, "an absent tag is not an error");
    }
    value
}

#[test]
fn get_modinfo_finds_the_first_whole_tag() {
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    assert_eq!(get(&info, "license").as_deref(), Some("GPL"));
    assert_eq!(get(&info, "alias").as_deref(), Some("first"), "the first match wins");
    assert_eq!(get(&info, "livepatch").as_deref(), Some("Y"));
    assert_eq!(get(&info, "description").as_deref(), Some("a test module"));
    assert_eq!(get(&info, "lic"), None, "a prefix of a tag does not match");
    assert_eq!(get(&info, "licensed"), None);
    assert_eq!(get(&info, "absent"), None);
    let tag = CString::new("name").unwrap();
    // SAFETY: as in `get`.
    let name = unsafe { klpelf_get_modinfo(&info, tag.as_ptr()) };
    assert_eq!(name, info.name, "info->name is the name= value in the image");
}

#[test]
fn get_modinfo_skips_an_unterminated_last_entry() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    let last = elf.contents(fixture.index(".modinfo")).end - 1;
    assert_eq!(elf.0[last], 0);
    elf.0[last] = b'!';
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    assert_eq!(get(&info, "description"), None);
    assert_eq!(get(&info, "livepatch").as_deref(), Some("Y"));
}

#[test]
fn get_modinfo_without_a_modinfo_section() {
    let fixture = livepatch();
    let mut elf = fixture.elf();
    elf.rename_like(fixture.index(".modinfo"), fixture.index(".comment"));
    let image = Image::new(&elf.0);
    let info = setup_ok(&image, 0);
    assert_eq!(info.index.info, 0);
    assert!(info.name.is_null());
    assert_eq!(get(&info, "license"), None);
}

#[test]
fn get_modinfo_rejects_null_arguments() {
    let image = Image::new(&livepatch().bytes);
    let info = setup_ok(&image, 0);
    let tag = CString::new("license").unwrap();
    // SAFETY: NULL arguments are rejected.
    unsafe {
        assert!(klpelf_get_modinfo(ptr::null(), tag.as_ptr()).is_null());
        assert!(last_error().unwrap().contains("info is NULL"));
        assert!(klpelf_get_modinfo(&info, ptr::null()).is_null());
        assert!(last_error().unwrap().contains("tag is NULL"));
    }
}
