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

use crate::errno;
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
    /// True when `write` is a plain store, which a target then makes itself.
    fn plain(&self) -> bool {
        false
    }
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

    fn plain(&self) -> bool {
        true
    }
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
                -errno::EINVAL,
                format_args!("section {index} is a relocation target, but its place has no mem"),
            )
        })?;
        let size =
            usize::try_from(size).ok().filter(|&n| n <= isize::MAX as usize).ok_or_else(|| {
                report(
                    -errno::ENOEXEC,
                    format_args!("section {index}: sh_size {size:#x} is too large"),
                )
            })?;
        let plain = writer.plain();
        Ok(Target { index, addr: place.addr, mem, size, writer, plain })
    }

    fn place(&self, index: u32) -> Result<&KlpelfSectionPlace, Error> {
        self.places.get(index as usize).ok_or_else(|| {
            report(
                -errno::EINVAL,
                format_args!(
                    "section {index} is not placed: the layout has {} place(s)",
                    self.places.len()
                ),
            )
        })
    }
}

/// A relocation's width: the kernel writes 4 or 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// 4 bytes (`_32`, `_32S`, `_PC32`, `_PLT32`).
    Four = 4,
    /// 8 bytes (`_64`, `_PC64`).
    Eight = 8,
}

impl Width {
    /// The low bytes of `value` that this width keeps.
    pub fn truncate(self, value: u64) -> u64 {
        match self {
            Width::Four => value & 0xffff_ffff,
            Width::Eight => value,
        }
    }
}

/// The offset of `width` bytes at `offset` of a section of `size` bytes, if they lie inside it.
pub fn span(offset: u64, width: Width, size: u64) -> Option<usize> {
    file_range(offset, width as u64, usize::try_from(size).ok()?).map(|r| r.start)
}

/// What [`Target::exchange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exchange {
    /// The bytes held the old value and now hold the new one.
    Replaced,
    /// The bytes did not hold the old value; they are as they were.
    Held,
    /// The bytes are not all inside the section; nothing was read or written.
    Outside,
}

/// One placed section that relocations are written to.
pub struct Target<'w> {
    index: u32,
    addr: u64,
    mem: NonNull<u8>,
    size: usize,
    writer: &'w mut dyn Writer,
    /// The writer stores plainly: write here, without a call per relocation.
    plain: bool,
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

    /// The offset of `width` bytes at `offset`, if they lie inside the section.
    fn span(&self, offset: u64, width: Width) -> Option<usize> {
        span(offset, width, self.size as u64)
    }

    /// If the `width` bytes at `offset` hold `old` (little-endian, its low bytes), replaces them
    /// with `new`'s ([`Exchange::Replaced`]); otherwise leaves them ([`Exchange::Held`]), as it
    /// leaves everything when they are not inside the section ([`Exchange::Outside`]). Fails only
    /// with the writer's error.
    pub fn exchange(
        &mut self,
        offset: u64,
        width: Width,
        old: u64,
        new: u64,
    ) -> Result<Exchange, Error> {
        let Some(at) = self.span(offset, width) else { return Ok(Exchange::Outside) };
        // SAFETY: `span` proved the `width` bytes at `at` inside the section's `size` bytes, which
        // `Places::new`'s contract makes readable and writable; the pointer stays in them.
        let dest = unsafe { self.mem.as_ptr().add(at) };
        // SAFETY: as above; unaligned reads, since relocations need no alignment.
        let current = unsafe {
            match width {
                Width::Four => u64::from(u32::from_le(ptr::read_unaligned(dest.cast::<u32>()))),
                Width::Eight => u64::from_le(ptr::read_unaligned(dest.cast::<u64>())),
            }
        };
        if current != width.truncate(old) {
            return Ok(Exchange::Held);
        }
        if self.plain {
            // SAFETY: as above, unaligned writes.
            unsafe {
                match width {
                    Width::Four => ptr::write_unaligned(dest.cast::<u32>(), (new as u32).to_le()),
                    Width::Eight => ptr::write_unaligned(dest.cast::<u64>(), new.to_le()),
                }
            }
            return Ok(Exchange::Replaced);
        }
        let bytes = new.to_le_bytes();
        // SAFETY: `dest` is inside the section's memory, so not NULL.
        let dest = unsafe { NonNull::new_unchecked(dest) };
        self.writer.write(dest, self.address(offset), &bytes[..width as usize])?;
        Ok(Exchange::Replaced)
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
        let replaced = Some(Exchange::Replaced);
        assert_eq!(target.exchange(4, Width::Four, 0, 0x0403_0201).ok(), replaced);
        assert_eq!(target.exchange(4, Width::Four, 0, 0x0807_0605).ok(), Some(Exchange::Held));
        assert_eq!(target.exchange(5, Width::Four, 0, 1).ok(), Some(Exchange::Outside));
        assert_eq!(target.exchange(u64::MAX, Width::Four, 0, 1).ok(), Some(Exchange::Outside));
        assert_eq!(target.exchange(1, Width::Eight, 0, 1).ok(), Some(Exchange::Outside));
        assert_eq!(target.exchange(0, Width::Eight, 0x0403_0201_0000_0000, 9).ok(), replaced);
        assert_eq!(bytes, [9, 0, 0, 0, 0, 0, 0, 0]);
    }
}
