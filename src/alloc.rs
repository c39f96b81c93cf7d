//! The allocator every block klpelf hands out comes from: the C library's by default, or the
//! caller's functions set with `klpelf_set_allocator()`. Without the `std` feature (the
//! freestanding build) there is no default: until an allocator is set, allocation fails cleanly
//! with [`Error::NoAllocator`] (`-ENOMEM`).
//!
//! A block must be freed by the allocator that made it. Every block says which one in the word in
//! front of it (see [`OwnedBlock`]): the default's blocks are always freed by the default, whatever
//! allocator is current by then, so they need no bookkeeping. A caller's allocator, though, may be
//! replaced only while none of its blocks is live, and those blocks are counted: one atomic word
//! holds their count and a "being replaced" bit. `allocate` counts itself in before reading a
//! caller's allocator (so a replacement cannot start under it), and a replacement takes the bit
//! only from a count of zero (so no such allocation can start under it).
//!
//! The default allocator is `malloc`/`free`, except for blocks of 32 MiB and more (`MAP_THRESHOLD`),
//! which it maps itself (`map_large`).

use core::ffi::c_void;
use core::hint::spin_loop;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

use crate::error::Error;

/// A caller-supplied allocator (`struct klpelf_allocator`), set with `klpelf_set_allocator()`.
///
/// In the freestanding build (`libklpelf_freestanding.a`, klpelf built without its `std` feature)
/// there is no C library and so no default allocator: until one is set, and after
/// `klpelf_set_allocator(NULL)`, every call that allocates fails with `-ENOMEM`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct KlpelfAllocator {
    /// Returns a block of at least `size` bytes aligned to at least 8 bytes, or NULL on failure.
    /// `size` is never 0. May be called from several threads at once.
    pub alloc: Option<unsafe extern "C" fn(size: usize, ctx: *mut c_void) -> *mut c_void>,
    /// Frees a block that `alloc` returned; `size` is the size that was asked for. Never called with
    /// NULL. May be called from several threads at once.
    pub free: Option<unsafe extern "C" fn(ptr: *mut c_void, size: usize, ctx: *mut c_void)>,
    /// Passed unchanged to `alloc` and `free`.
    pub ctx: *mut c_void,
}

/// Set in `STATE` while the allocator is being replaced.
const REPLACING: usize = 1 << (usize::BITS - 1);

/// Live-block count, plus `REPLACING`.
static STATE: AtomicUsize = AtomicUsize::new(0);
/// The current allocator; NULL functions mean the default (the C library's, with `std`). Written
/// only under `REPLACING`.
static ALLOC_FN: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());
static FREE_FN: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());
static CTX: AtomicPtr<c_void> = AtomicPtr::new(ptr::null_mut());

type AllocFn = unsafe extern "C" fn(usize, *mut c_void) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void, usize, *mut c_void);

/// Replaces the allocator (`None`: back to the default). Fails with `AllocatorBusy`, changing
/// nothing, while blocks from the current allocator, a caller's, are live.
pub fn set_allocator(new: Option<&KlpelfAllocator>) -> Result<(), Error> {
    let (alloc_fn, free_fn, ctx) = match new {
        None => (ptr::null_mut(), ptr::null_mut(), ptr::null_mut()),
        Some(KlpelfAllocator { alloc: Some(a), free: Some(f), ctx }) => {
            (*a as *mut (), *f as *mut (), *ctx)
        }
        Some(_) => return Err(Error::IncompleteAllocator),
    };
    loop {
        match STATE.compare_exchange_weak(0, REPLACING, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => break,
            Err(live) if live & REPLACING == 0 && live != 0 => {
                return Err(Error::AllocatorBusy { live })
            }
            Err(_) => spin_loop(),
        }
    }
    ALLOC_FN.store(alloc_fn, Ordering::Relaxed);
    FREE_FN.store(free_fn, Ordering::Relaxed);
    CTX.store(ctx, Ordering::Relaxed);
    STATE.store(0, Ordering::Release);
    Ok(())
}

/// Number of blocks from a caller's allocator handed out and not yet freed (the default
/// allocator's blocks are not counted).
pub fn live_blocks() -> usize {
    STATE.load(Ordering::Relaxed) & !REPLACING
}

/// Counts one more live block, waiting out a replacement in progress.
fn enter() {
    let mut cur = STATE.load(Ordering::Relaxed);
    loop {
        if cur & REPLACING != 0 {
            spin_loop();
            cur = STATE.load(Ordering::Relaxed);
            continue;
        }
        match STATE.compare_exchange_weak(cur, cur + 1, Ordering::Acquire, Ordering::Relaxed) {
            Ok(_) => return,
            Err(now) => cur = now,
        }
    }
}

fn leave() {
    STATE.fetch_sub(1, Ordering::Release);
}

/// Which allocator made a block, and so must free it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The default allocator (the C library's).
    Default,
    /// The caller's, set with `klpelf_set_allocator()`; counted in [`live_blocks`].
    Caller,
}

/// Default blocks of this many bytes and more are mapped by klpelf itself ([`map_large`]). It is
/// glibc's largest mmap threshold on 64-bit targets: `malloc` maps blocks this large afresh too.
#[cfg(feature = "std")]
const MAP_THRESHOLD: usize = 32 << 20;

/// The default allocator: `malloc`, or [`map_large`] from [`MAP_THRESHOLD`] bytes up.
#[cfg(feature = "std")]
fn default_alloc(size: usize) -> *mut c_void {
    if size >= MAP_THRESHOLD {
        return map_large(size);
    }
    // SAFETY: malloc may be called with any size.
    unsafe { libc::malloc(size) }
}

/// Maps a large block. `malloc` would map it as well; klpelf does it itself to say how the block is
/// used. It is written whole at once, so it is populated in one go rather than one page fault at a
/// time, and it usually lives as long as the module, so huge pages are welcome. Both are advice:
/// where the kernel declines (before Linux 5.14 for populating, with transparent huge pages off),
/// the block is faulted in page by page, as `malloc`'s would be.
#[cfg(feature = "std")]
fn map_large(size: usize) -> *mut c_void {
    let (prot, flags) =
        (libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS);
    // SAFETY: a fresh anonymous mapping at an address of the kernel's choosing touches no memory of
    // ours.
    let block = unsafe { libc::mmap(ptr::null_mut(), size, prot, flags, -1, 0) };
    if block == libc::MAP_FAILED {
        return ptr::null_mut();
    }
    // SAFETY: advice on the mapping just made; failure leaves it as it is, so it is ignored.
    unsafe {
        libc::madvise(block, size, libc::MADV_HUGEPAGE);
        libc::madvise(block, size, libc::MADV_POPULATE_WRITE);
    }
    block
}

/// Without the C library there is no default allocator: every allocation fails.
#[cfg(not(feature = "std"))]
fn default_alloc(_size: usize) -> *mut c_void {
    ptr::null_mut()
}

/// The default allocator's `free`.
///
/// # Safety
/// `block` came from `default_alloc(size)` and has not been freed.
#[cfg(feature = "std")]
unsafe fn default_free(block: NonNull<u8>, size: usize) {
    if size >= MAP_THRESHOLD {
        // SAFETY: the caller's contract: `map_large` mapped exactly `size` bytes at `block`. It
        // cannot fail for a whole mapping of ours.
        unsafe { libc::munmap(block.as_ptr().cast(), size) };
    } else {
        // SAFETY: the caller's contract: the block came from malloc.
        unsafe { libc::free(block.as_ptr().cast()) }
    }
}

/// Without the C library there is no default allocator, so no block of its can exist.
///
/// # Safety
/// Never called: `default_alloc` never returns a block to free.
#[cfg(not(feature = "std"))]
unsafe fn default_free(_block: NonNull<u8>, _size: usize) {}

/// Allocates `size` (> 0) bytes aligned to 8 from the current allocator, and says which one that
/// was: the block must go back to it through [`deallocate`].
pub fn allocate(size: usize) -> Result<(NonNull<u8>, Origin), Error> {
    debug_assert!(size > 0);
    // The default needs no count: its blocks are freed by it whatever allocator is set by then.
    if ALLOC_FN.load(Ordering::Relaxed).is_null() {
        return allocate_default(size);
    }
    enter();
    let alloc_fn = ALLOC_FN.load(Ordering::Relaxed);
    if alloc_fn.is_null() {
        // The default came back between the two loads.
        leave();
        return allocate_default(size);
    }
    // SAFETY: ALLOC_FN is only ever set from a non-NULL `AllocFn` in `set_allocator`.
    let alloc_fn: AllocFn = unsafe { core::mem::transmute::<*mut (), AllocFn>(alloc_fn) };
    // SAFETY: the caller's allocator contract: any size > 0, any thread.
    let raw = unsafe { alloc_fn(size, CTX.load(Ordering::Relaxed)) };
    match NonNull::new(raw.cast::<u8>()) {
        Some(block) if block.as_ptr() as usize % 8 == 0 => Ok((block, Origin::Caller)),
        Some(misaligned) => {
            // SAFETY: the block came from the caller's allocator with this size and is counted.
            unsafe { deallocate(misaligned, size, Origin::Caller) };
            Err(Error::OutOfMemory { size })
        }
        None => {
            leave();
            Err(Error::OutOfMemory { size })
        }
    }
}

/// [`allocate`] from the default allocator, whose blocks (from `malloc` or `mmap`) are aligned.
fn allocate_default(size: usize) -> Result<(NonNull<u8>, Origin), Error> {
    match NonNull::new(default_alloc(size).cast::<u8>()) {
        Some(block) => Ok((block, Origin::Default)),
        None if cfg!(feature = "std") => Err(Error::OutOfMemory { size }),
        None => Err(Error::NoAllocator { size }),
    }
}

/// Returns a block to the allocator that made it.
///
/// # Safety
/// `block` came from `allocate(size)`, which said `origin`, and has not been freed.
pub unsafe fn deallocate(block: NonNull<u8>, size: usize, origin: Origin) {
    if origin == Origin::Default {
        // SAFETY: the caller's contract.
        return unsafe { default_free(block, size) };
    }
    let free_fn = FREE_FN.load(Ordering::Relaxed);
    debug_assert!(!free_fn.is_null(), "a caller's block is live, so its allocator is set");
    // SAFETY: FREE_FN is only ever set from a non-NULL `FreeFn`; since the block is live and
    // counted, the allocator cannot have changed since it was allocated.
    let free_fn: FreeFn = unsafe { core::mem::transmute::<*mut (), FreeFn>(free_fn) };
    // SAFETY: the block and size are what this allocator's `alloc` returned and was asked for.
    unsafe { free_fn(block.as_ptr().cast(), size, CTX.load(Ordering::Relaxed)) };
    leave();
}

/// A block from the configured allocator that records, in the word just before the bytes it hands
/// out, its total size and whether a caller's allocator made it, so that it can be freed from that
/// pointer alone (after a trip through C). It is freed when dropped; [`OwnedBlock::into_raw`] gives
/// up ownership.
pub struct OwnedBlock {
    data: NonNull<u8>,
}

/// Bytes in front of an [`OwnedBlock`]'s data: its total size and origin, padded to keep the data
/// 8-aligned.
const SIZE_PREFIX: usize = 8;

/// Set in an [`OwnedBlock`]'s prefix word when the caller's allocator made it. Sizes never reach
/// it: an allocation is at most `isize::MAX` bytes.
const FROM_CALLER: usize = 1 << (usize::BITS - 1);

impl OwnedBlock {
    /// Allocates `size` bytes (8-aligned, uninitialised) from the configured allocator.
    pub fn new(size: usize) -> Result<Self, Error> {
        const _: () = assert!(core::mem::size_of::<usize>() <= SIZE_PREFIX);
        let total = size
            .checked_add(SIZE_PREFIX)
            .filter(|&total| total <= isize::MAX as usize)
            .ok_or(Error::OutOfMemory { size })?;
        let (base, origin) = allocate(total)?;
        let prefix = match origin {
            Origin::Default => total,
            Origin::Caller => total | FROM_CALLER,
        };
        // SAFETY: the block is 8-aligned and `total >= SIZE_PREFIX` bytes long.
        unsafe {
            base.cast::<usize>().write(prefix);
            Ok(OwnedBlock { data: base.add(SIZE_PREFIX) })
        }
    }

    /// The block's bytes.
    pub fn as_ptr(&self) -> *mut u8 {
        self.data.as_ptr()
    }

    /// Gives up ownership; [`OwnedBlock::from_raw`] takes it back.
    pub fn into_raw(self) -> NonNull<u8> {
        let data = self.data;
        core::mem::forget(self);
        data
    }

    /// Takes back a block given up by [`OwnedBlock::into_raw`].
    ///
    /// # Safety
    /// `data` came from `into_raw` and is not used again after this block is dropped.
    pub unsafe fn from_raw(data: NonNull<u8>) -> Self {
        OwnedBlock { data }
    }
}

impl Drop for OwnedBlock {
    fn drop(&mut self) {
        // SAFETY: `new` allocated the block SIZE_PREFIX bytes before `data` and wrote its total
        // size and origin there; ownership is unique, so it is freed once.
        unsafe {
            let base = self.data.sub(SIZE_PREFIX);
            let prefix = base.cast::<usize>().read();
            let origin = if prefix & FROM_CALLER != 0 { Origin::Caller } else { Origin::Default };
            deallocate(base, prefix & !FROM_CALLER, origin);
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    /// Whether a mapping of this process starts at `address` and ends at or after `end`.
    fn mapped(address: usize, end: usize) -> bool {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().any(|line| {
            let range = line.split(' ').next().unwrap();
            let (start, stop) = range.split_once('-').unwrap();
            usize::from_str_radix(start, 16).unwrap() == address
                && usize::from_str_radix(stop, 16).unwrap() >= end
        })
    }

    #[test]
    fn large_default_blocks_are_mapped_and_unmapped() {
        let size = MAP_THRESHOLD;
        let block = OwnedBlock::new(size).unwrap();
        let base = block.as_ptr() as usize - SIZE_PREFIX;
        assert_eq!(base % 4096, 0, "a mapping of its own");
        assert!(mapped(base, base + size + SIZE_PREFIX));
        // SAFETY: the block holds `size` bytes.
        unsafe {
            block.as_ptr().write_bytes(0xa5, size);
            assert_eq!(*block.as_ptr().add(size - 1), 0xa5);
        }
        drop(block);
        assert!(!mapped(base, base + size + SIZE_PREFIX), "unmapped when dropped");
    }

    #[test]
    fn default_blocks_are_not_counted() {
        let before = live_blocks();
        let small = OwnedBlock::new(100).unwrap();
        let large = OwnedBlock::new(MAP_THRESHOLD).unwrap();
        assert_eq!(live_blocks(), before);
        drop((small, large));
        assert_eq!(live_blocks(), before);
    }
}
