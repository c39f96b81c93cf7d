//! Callers' allocators for klpelf (`klpelf_set_allocator()`): one that counts its live blocks, one
//! that fails every allocation, one that hands back misaligned blocks; and the lock that runs the
//! tests that allocate one at a time, since the allocator and klpelf's count of a caller's live
//! blocks are process-wide (and an allocator cannot be replaced while its blocks are live).

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use klpelf::alloc::KlpelfAllocator;
use klpelf::ffi::klpelf_set_allocator;

use super::api::last_error;

type AllocFn = unsafe extern "C" fn(usize, *mut c_void) -> *mut c_void;
type FreeFn = unsafe extern "C" fn(*mut c_void, usize, *mut c_void);

/// Held by every test that allocates through klpelf or replaces its allocator.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sets `alloc` / `free` as klpelf's allocator.
fn install(alloc: AllocFn, free: FreeFn) {
    let allocator = KlpelfAllocator { alloc: Some(alloc), free: Some(free), ctx: ptr::null_mut() };
    // SAFETY: a valid allocator whose functions behave as documented (the misaligned one's blocks
    // are allowed: klpelf must free them and report -ENOMEM).
    let rc = unsafe { klpelf_set_allocator(&allocator) };
    assert_eq!(rc, 0, "klpelf_set_allocator: no block may be live here ({:?})", last_error());
}

/// Restores the default allocator (`malloc`); fails, with klpelf's message, while blocks of the
/// caller's allocator are live.
fn restore() -> Result<(), Option<String>> {
    // SAFETY: NULL restores the default allocator.
    let rc = unsafe { klpelf_set_allocator(ptr::null()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(last_error())
    }
}

/// Live blocks of [`CountingAllocator`].
static COUNTED_LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn counted_alloc(size: usize, _ctx: *mut c_void) -> *mut c_void {
    COUNTED_LIVE.fetch_add(1, Ordering::Relaxed);
    // SAFETY: malloc may be called with any size.
    unsafe { libc::malloc(size) }
}

unsafe extern "C" fn counted_free(block: *mut c_void, _size: usize, _ctx: *mut c_void) {
    COUNTED_LIVE.fetch_sub(1, Ordering::Relaxed);
    // SAFETY: klpelf frees only what counted_alloc returned.
    unsafe { libc::free(block) }
}

/// A caller's allocator over malloc that counts its live blocks; set while this value lives.
pub struct CountingAllocator;

impl CountingAllocator {
    pub fn set() -> Self {
        install(counted_alloc, counted_free);
        CountingAllocator
    }

    /// Its live blocks, which klpelf's own count of a caller's blocks must agree with.
    pub fn live(&self) -> usize {
        let live = COUNTED_LIVE.load(Ordering::Relaxed);
        assert_eq!(klpelf::alloc::live_blocks(), live);
        live
    }
}

impl Drop for CountingAllocator {
    fn drop(&mut self) {
        let restored = restore();
        assert!(restored.is_ok() || std::thread::panicking(), "{restored:?}");
    }
}

unsafe extern "C" fn failing_alloc(_size: usize, _ctx: *mut c_void) -> *mut c_void {
    ptr::null_mut()
}

unsafe extern "C" fn never_free(_block: *mut c_void, _size: usize, _ctx: *mut c_void) {
    panic!("free called for a block the failing allocator never handed out");
}

unsafe extern "C" fn misaligned_alloc(size: usize, _ctx: *mut c_void) -> *mut c_void {
    // SAFETY: malloc accepts any size; one spare byte makes room for the misalignment.
    let block = unsafe { libc::malloc(size + 1) }.cast::<u8>();
    if block.is_null() {
        return ptr::null_mut();
    }
    block.wrapping_add(1).cast()
}

unsafe extern "C" fn misaligned_free(block: *mut c_void, _size: usize, _ctx: *mut c_void) {
    // SAFETY: `block` came from `misaligned_alloc`, one byte past malloc's block.
    unsafe { libc::free(block.cast::<u8>().wrapping_sub(1).cast()) };
}

/// What the allocator does during one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocMode {
    /// The default allocator.
    Normal,
    /// Every allocation fails.
    Fail,
    /// Every block is handed back misaligned (klpelf must turn that into `-ENOMEM` too).
    Misaligned,
}

/// Runs `f` with the allocator `mode` selects, then restores the default (`malloc`). Returns what
/// `f` returned and the thread's last error right after it (restoring the allocator clears it).
pub fn with_allocator<R>(mode: AllocMode, f: impl FnOnce() -> R) -> (R, Option<String>) {
    match mode {
        AllocMode::Normal => {
            let result = f();
            return (result, last_error());
        }
        AllocMode::Fail => install(failing_alloc, never_free),
        AllocMode::Misaligned => install(misaligned_alloc, misaligned_free),
    }
    let result = f();
    let message = last_error();
    let restored = restore();
    assert_eq!(restored, Ok(()), "a failed allocation left a block live");
    (result, message)
}
