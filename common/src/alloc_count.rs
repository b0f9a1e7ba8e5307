//! A global allocator that counts: per thread, the allocation calls and bytes some code asked for
//! ([`CountingAlloc::measure`]), and for the whole process the bytes live on the heap
//! ([`CountingAlloc::live_bytes`]). The demos' tests use the first to show how many allocations a
//! coroutine style costs; the comparison uses the second for the heap its units hold. Install it
//! in a test or measurement binary only:
//!
//! ```
//! use common::alloc_count::CountingAlloc;
//!
//! #[global_allocator]
//! static ALLOC: CountingAlloc = CountingAlloc;
//!
//! assert!(CountingAlloc::installed());
//! let before = CountingAlloc::live_bytes();
//! let (boxed, count) = CountingAlloc::measure(|| Box::new([0u8; 100]));
//! assert_eq!((count.allocations, count.bytes), (1, 100));
//! assert!(CountingAlloc::live_bytes() >= before + 100);
//! drop(boxed);
//! ```
//!
//! Memory that does not come from the global allocator (a `corosensei` stack is `mmap`ed, a
//! thread's stack too) is not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Allocations counted by [`CountingAlloc`] on one thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocCount {
    /// Successful calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub allocations: u64,
    /// Bytes requested by those calls.
    pub bytes: u64,
}

thread_local! {
    /// This thread's running totals (const-initialised, no destructor: safe to use while
    /// allocating).
    static COUNTS: Cell<AllocCount> = const {
        Cell::new(AllocCount { allocations: 0, bytes: 0 })
    };
}

/// Bytes allocated and not yet freed, over every thread.
static LIVE_BYTES: AtomicU64 = AtomicU64::new(0);

/// A global allocator that forwards to the system allocator and counts (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

impl CountingAlloc {
    /// Counts one successful allocation of `size` bytes on this thread.
    fn count(size: usize) {
        // `try_with`: during thread teardown the counter may be gone; then we just don't count.
        let _ = COUNTS.try_with(|c| {
            let mut n = c.get();
            n.allocations += 1;
            n.bytes += size as u64;
            c.set(n);
        });
    }

    /// This thread's totals so far.
    pub fn current() -> AllocCount {
        COUNTS.try_with(Cell::get).unwrap_or_default()
    }

    /// Runs `f` and returns what it allocated on this thread.
    pub fn measure<R>(f: impl FnOnce() -> R) -> (R, AllocCount) {
        let before = Self::current();
        let result = f();
        let after = Self::current();
        let count = AllocCount {
            allocations: after.allocations - before.allocations,
            bytes: after.bytes - before.bytes,
        };
        (result, count)
    }

    /// Heap bytes live now, allocated through `CountingAlloc` by any thread (0 if it is not the
    /// global allocator).
    pub fn live_bytes() -> u64 {
        LIVE_BYTES.load(Ordering::Relaxed)
    }

    /// Whether `CountingAlloc` is this program's global allocator (checked by allocating).
    pub fn installed() -> bool {
        let (_, count) = Self::measure(|| std::hint::black_box(Box::new(0u64)));
        count.allocations == 1
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees are ours; the counting touches only a thread-local `Cell` and an atomic, and never
// allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::count(layout.size());
            LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::count(layout.size());
            LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::realloc`'s contract
        // (`ptr` came from this allocator, i.e. from `System`, with `layout`).
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            Self::count(new_size);
            // One update, so a reader never sees the old size taken off but the new one not added.
            let (old, new) = (layout.size() as u64, new_size as u64);
            if new >= old {
                LIVE_BYTES.fetch_add(new - old, Ordering::Relaxed);
            } else {
                LIVE_BYTES.fetch_sub(old - new, Ordering::Relaxed);
            }
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }
}
