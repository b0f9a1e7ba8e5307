//! A global allocator that counts: per thread, the allocation calls and bytes some code asked for
//! ([`CountingAlloc::measure`]) and the bytes the thread allocated less those it freed
//! ([`CountingAlloc::thread_net_bytes`]), and for the whole process the bytes live on the heap
//! ([`CountingAlloc::live_bytes`]). The demos' tests use the first to show how many allocations a
//! coroutine style costs; the comparison uses the second for the heap of units one thread makes
//! and holds (other threads allocating meanwhile do not blur it) and the third for units that
//! live on threads of their own. Install it in a test or measurement binary only:
//!
//! ```
//! use common::alloc_count::CountingAlloc;
//!
//! #[global_allocator]
//! static ALLOC: CountingAlloc = CountingAlloc;
//!
//! assert!(CountingAlloc::installed());
//! let before = CountingAlloc::live_bytes();
//! let net = CountingAlloc::thread_net_bytes();
//! let (boxed, count) = CountingAlloc::measure(|| Box::new([0u8; 100]));
//! assert_eq!((count.allocations, count.bytes), (1, 100));
//! assert!(CountingAlloc::live_bytes() >= before + 100);
//! assert_eq!(CountingAlloc::thread_net_bytes(), net + 100);
//! drop(boxed);
//! assert_eq!(CountingAlloc::thread_net_bytes(), net);
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

thread_local! {
    /// Bytes this thread allocated less the bytes it freed (const-initialised, no destructor).
    static NET_BYTES: Cell<i64> = const { Cell::new(0) };
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

    /// Adds `delta` to this thread's net bytes.
    fn net(delta: i64) {
        let _ = NET_BYTES.try_with(|n| n.set(n.get() + delta));
    }

    /// Bytes this thread has allocated less the bytes it has freed, through `CountingAlloc` (0
    /// if it is not the global allocator). The difference of two readings is what the code run
    /// on this thread between them left on the heap, whatever other threads did meanwhile.
    pub fn thread_net_bytes() -> i64 {
        NET_BYTES.try_with(Cell::get).unwrap_or(0)
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
// guarantees are ours; the counting touches only thread-local `Cell`s and an atomic, and never
// allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Self::count(layout.size());
            Self::net(layout.size() as i64);
            LIVE_BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            Self::count(layout.size());
            Self::net(layout.size() as i64);
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
            Self::net(new_size as i64 - layout.size() as i64);
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
        Self::net(-(layout.size() as i64));
        LIVE_BYTES.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }
}
