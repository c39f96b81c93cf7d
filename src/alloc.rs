//! The allocator every block klpelf hands out comes from: the C library's `malloc`/`free` by default,
//! or the caller's functions set with `klpelf_set_allocator()`. Without the `std` feature (the
//! freestanding build) there is no default: until an allocator is set, allocation fails cleanly
//! with [`Error::NoAllocator`] (`-ENOMEM`).
//!
//! A block must be freed by the allocator that made it, so the allocator may change only while no
//! block is live. One atomic word holds the live-block count and a "being replaced" bit: `allocate`
//! counts itself in before reading the allocator (so a replacement cannot start under it), and a
//! replacement takes the bit only from a count of zero (so no allocation can start under it).

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

/// Replaces the allocator (`None`: back to the C library's). Fails with `AllocatorBusy`, changing
/// nothing, while blocks from the current allocator are live.
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

/// Number of blocks handed out and not yet freed.
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

/// The default allocator's `alloc`: the C library's `malloc`.
#[cfg(feature = "std")]
fn default_alloc(size: usize) -> *mut c_void {
    // SAFETY: malloc may be called with any size.
    unsafe { libc::malloc(size) }
}

/// Without the C library there is no default allocator: every allocation fails.
#[cfg(not(feature = "std"))]
fn default_alloc(_size: usize) -> *mut c_void {
    ptr::null_mut()
}

/// The default allocator's `free`: the C library's `free`.
///
/// # Safety
/// `block` came from `default_alloc` and has not been freed.
#[cfg(feature = "std")]
unsafe fn default_free(block: NonNull<u8>) {
    // SAFETY: the caller's contract: the block came from malloc.
    unsafe { libc::free(block.as_ptr().cast()) }
}

/// Without the C library there is no default allocator, so no block of its can exist.
///
/// # Safety
/// Never called: `default_alloc` never returns a block to free.
#[cfg(not(feature = "std"))]
unsafe fn default_free(_block: NonNull<u8>) {}

/// Allocates `size` (> 0) bytes aligned to 8 from the current allocator.
pub fn allocate(size: usize) -> Result<NonNull<u8>, Error> {
    debug_assert!(size > 0);
    enter();
    let alloc_fn = ALLOC_FN.load(Ordering::Relaxed);
    let raw = if alloc_fn.is_null() {
        default_alloc(size)
    } else {
        // SAFETY: ALLOC_FN is only ever set from a non-NULL `AllocFn` in `set_allocator`.
        let alloc_fn: AllocFn = unsafe { core::mem::transmute::<*mut (), AllocFn>(alloc_fn) };
        // SAFETY: the caller's allocator contract: any size > 0, any thread.
        unsafe { alloc_fn(size, CTX.load(Ordering::Relaxed)) }
    };
    match NonNull::new(raw.cast::<u8>()) {
        Some(block) if block.as_ptr() as usize % 8 == 0 => Ok(block),
        Some(misaligned) => {
            // SAFETY: the block came from the current allocator with this size and is still counted.
            unsafe { deallocate(misaligned, size) };
            Err(Error::OutOfMemory { size })
        }
        None => {
            leave();
            Err(if alloc_fn.is_null() && cfg!(not(feature = "std")) {
                Error::NoAllocator { size }
            } else {
                Error::OutOfMemory { size }
            })
        }
    }
}

/// Returns a block to the allocator that made it.
///
/// # Safety
/// `block` came from `allocate(size)` and has not been freed.
pub unsafe fn deallocate(block: NonNull<u8>, size: usize) {
    let free_fn = FREE_FN.load(Ordering::Relaxed);
    if free_fn.is_null() {
        // SAFETY: with no allocator set, `allocate` got the block from the default allocator.
        unsafe { default_free(block) };
    } else {
        // SAFETY: FREE_FN is only ever set from a non-NULL `FreeFn`; since the block is live, the
        // allocator cannot have changed since it was allocated.
        let free_fn: FreeFn = unsafe { core::mem::transmute::<*mut (), FreeFn>(free_fn) };
        // SAFETY: the block and size are what this allocator's `alloc` returned and was asked for.
        unsafe { free_fn(block.as_ptr().cast(), size, CTX.load(Ordering::Relaxed)) };
    }
    leave();
}

/// A block from the configured allocator that records its size in the word just before the bytes
/// it hands out, so that it can be freed from that pointer alone (after a trip through C). It is
/// freed when dropped; [`OwnedBlock::into_raw`] gives up ownership.
pub struct OwnedBlock {
    data: NonNull<u8>,
}

/// Bytes in front of an [`OwnedBlock`]'s data: its total size, padded to keep the data 8-aligned.
const SIZE_PREFIX: usize = 8;

impl OwnedBlock {
    /// Allocates `size` bytes (8-aligned, uninitialised) from the configured allocator.
    pub fn new(size: usize) -> Result<Self, Error> {
        const _: () = assert!(core::mem::size_of::<usize>() <= SIZE_PREFIX);
        let total = size.checked_add(SIZE_PREFIX).ok_or(Error::OutOfMemory { size })?;
        let base = allocate(total)?;
        // SAFETY: the block is 8-aligned and `total >= SIZE_PREFIX` bytes long.
        unsafe {
            base.cast::<usize>().write(total);
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
        // size there; ownership is unique, so it is freed once.
        unsafe {
            let base = self.data.sub(SIZE_PREFIX);
            deallocate(base, base.cast::<usize>().read());
        }
    }
}
