//! Where a livepatch module's sections are placed: for each section, the address it runs at (what
//! the kernel has in `sh_addr` after layout, from which PC-relative values are computed) and the
//! memory where this program reads and writes its bytes, which the caller describes with an array
//! of `struct klpelf_section_place`. Relocations write through a [`Writer`]: plain stores for an
//! image being prepared (the kernel's `memcpy()` for a module still being loaded), or the
//! caller's callback for code that may be running (the kernel's `text_poke()`).
//!
//! The target memory is reached through raw pointers, never references: a `text_poke()`-like
//! writer changes it behind klpelf's back, and it may be code that is running. Every access is
//! bounds-checked against the section's size here, whatever the caller checked before.

use core::ffi::c_void;
use core::ptr::{self, NonNull};

use crate::error::{report, Error};
use crate::view::file_range;

/// Where one section of a livepatch module is placed.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KlpelfSectionPlace {
    /// The address the section runs at: its `sh_addr` after layout, as the kernel has it.
    /// PC-relative relocations (`R_X86_64_PC32`, `R_X86_64_PLT32`, `R_X86_64_PC64`) are computed
    /// against it, and the kernel's messages give it as `loc`.
    pub addr: u64,
    /// Where this program reads and writes the section's `sh_size` bytes: `(void *)addr` when the
    /// section runs in this program, or a copy being prepared for elsewhere. NULL for a section
    /// no relocation writes to.
    pub mem: *mut c_void,
}

/// How relocations reach the target memory.
pub trait Writer {
    /// Writes `bytes` at `dest` (inside a placed section; `addr` is the address it runs at).
    fn write(&mut self, dest: NonNull<u8>, addr: u64, bytes: &[u8]) -> Result<(), Error>;
    /// Called after each section's relocations were written, or the section stopped: the kernel
    /// syncs the other CPUs there (`smp_text_poke_sync_each_cpu()`) for a live module.
    fn sync(&mut self);
}

/// Plain stores: the kernel's `memcpy()` for a module that is not running yet.
pub struct Stores;

impl Writer for Stores {
    fn write(&mut self, dest: NonNull<u8>, _addr: u64, bytes: &[u8]) -> Result<(), Error> {
        // SAFETY: `Target::write` hands over a `dest` inside a placed section, with `bytes.len()`
        // bytes of room (checked there); `Places::new`'s contract makes that memory writable.
        // `bytes` is a local copy, so the two cannot overlap.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), dest.as_ptr(), bytes.len()) };
        Ok(())
    }

    fn sync(&mut self) {}
}

/// The caller's placement of a module's sections, indexed by section index.
#[derive(Clone, Copy)]
pub struct Places<'a> {
    places: &'a [KlpelfSectionPlace],
}

impl<'a> Places<'a> {
    /// # Safety
    /// For every index `i` below `places.len()` that is later passed to [`Places::target`] with
    /// a size, a non-NULL `places[i].mem` must be valid for reads and writes of that many bytes
    /// for `'a`, and not overlap memory Rust borrows meanwhile (the module's relocations and
    /// symbols).
    pub unsafe fn new(places: &'a [KlpelfSectionPlace]) -> Self {
        Places { places }
    }

    /// The address section `index` runs at.
    pub fn address(&self, index: u32) -> Result<u64, Error> {
        Ok(self.place(index)?.addr)
    }

    /// Section `index` of `size` bytes (its `sh_size`) as a relocation target, written through
    /// `writer`.
    pub fn target<'w>(
        &self,
        index: u32,
        size: u64,
        writer: &'w mut dyn Writer,
    ) -> Result<Target<'w>, Error> {
        let place = self.place(index)?;
        let mem = NonNull::new(place.mem.cast::<u8>()).ok_or_else(|| {
            report(
                -libc::EINVAL,
                format_args!("section {index} is a relocation target, but its place has no mem"),
            )
        })?;
        let size =
            usize::try_from(size).ok().filter(|&n| n <= isize::MAX as usize).ok_or_else(|| {
                report(
                    -libc::ENOEXEC,
                    format_args!("section {index}: sh_size {size:#x} is too large"),
                )
            })?;
        Ok(Target { index, addr: place.addr, mem, size, writer })
    }

    fn place(&self, index: u32) -> Result<&KlpelfSectionPlace, Error> {
        self.places.get(index as usize).ok_or_else(|| {
            report(
                -libc::EINVAL,
                format_args!(
                    "section {index} is not placed: the layout has {} place(s)",
                    self.places.len()
                ),
            )
        })
    }
}

/// One placed section that relocations are written to.
pub struct Target<'w> {
    index: u32,
    addr: u64,
    mem: NonNull<u8>,
    size: usize,
    writer: &'w mut dyn Writer,
}

impl Target<'_> {
    /// The section's index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The section's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The run address of `offset` in the section (the kernel's `loc`, with its wrapping
    /// arithmetic).
    pub fn address(&self, offset: u64) -> u64 {
        self.addr.wrapping_add(offset)
    }

    /// Reads the bytes at `at` into `out`.
    pub fn read(&self, at: usize, out: &mut [u8]) -> Result<(), Error> {
        let start = self.span(at, out.len())?;
        // SAFETY: `span` proved `[at, at + out.len())` inside the section's `size` bytes, which
        // `Places::new`'s contract makes readable; `out` is a distinct local buffer.
        unsafe {
            ptr::copy_nonoverlapping(self.mem.as_ptr().add(start), out.as_mut_ptr(), out.len())
        };
        Ok(())
    }

    /// Writes `bytes` at `at`, through the writer.
    pub fn write(&mut self, at: usize, bytes: &[u8]) -> Result<(), Error> {
        let start = self.span(at, bytes.len())?;
        // SAFETY: `span` proved `start` inside the section, so the pointer stays in its memory.
        let dest = unsafe { NonNull::new_unchecked(self.mem.as_ptr().add(start)) };
        self.writer.write(dest, self.address(start as u64), bytes)
    }

    /// Ends the section's writes: the writer's sync.
    pub fn finish(self) {
        self.writer.sync();
    }

    fn span(&self, at: usize, len: usize) -> Result<usize, Error> {
        file_range(at as u64, len as u64, self.size).map(|r| r.start).ok_or_else(|| {
            report(
                -libc::ENOEXEC,
                format_args!("{len} bytes at offset {at:#x} are outside section {}", self.index),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accesses_stay_inside_the_section() {
        let mut bytes = [0u8; 8];
        let places = [
            KlpelfSectionPlace { addr: 0x1000, mem: ptr::null_mut() },
            KlpelfSectionPlace { addr: 0x2000, mem: bytes.as_mut_ptr().cast() },
        ];
        // SAFETY: section 1's memory is `bytes`, 8 bytes, the size given below.
        let places = unsafe { Places::new(&places) };
        let mut stores = Stores;
        assert!(places.target(0, 8, &mut stores).is_err());
        assert!(places.target(2, 8, &mut stores).is_err());
        assert_eq!(places.address(0).ok(), Some(0x1000));
        let mut target = places.target(1, 8, &mut stores).expect("placed");
        assert_eq!(target.address(4), 0x2004);
        assert!(target.write(4, &[1, 2, 3, 4]).is_ok());
        assert!(target.write(5, &[1, 2, 3, 4]).is_err());
        assert!(target.write(usize::MAX, &[1]).is_err());
        let mut out = [0u8; 4];
        assert!(target.read(4, &mut out).is_ok());
        assert_eq!(out, [1, 2, 3, 4]);
        assert!(target.read(6, &mut out).is_err());
        target.finish();
        assert_eq!(bytes, [0, 0, 0, 0, 1, 2, 3, 4]);
    }
}
