//! Stack sizes chosen on purpose, and the size of the mapping `corosensei` makes for one.
//!
//! ```
//! use stackful::stacks::sizes::{DEEP_STACK_SIZE, SMALL_STACK_SIZE};
//! assert!(SMALL_STACK_SIZE < DEEP_STACK_SIZE);
//! ```

use corosensei::stack::MIN_STACK_SIZE;

/// Stack size for shallow coroutines: 64 KiB.
///
/// The demos' coroutines (counter, fib, say, send, chain, scheduler tasks) are a few frames deep,
/// but they format text (`write!`), and a panic inside a coroutine runs the panic hook and the
/// unwinder on the coroutine's stack. `cargo run -p stackful --example stacks` measures these with
/// [`stack_high_water`](super::stack_high_water): the largest, a panic whose default hook prints
/// a backtrace (`RUST_BACKTRACE=1`), touched about 22 KiB when measured (debug and release builds
/// alike), so 64 KiB leaves about a factor of three of headroom; plain formatting and suspending
/// touch 2-3 KiB. Only the pages a coroutine touches become resident, so the size bounds
/// the worst case (and the address space: 1,000 coroutines reserve 64 MiB, not 1 GiB) rather
/// than what a typical coroutine costs.
pub const SMALL_STACK_SIZE: usize = 64 * 1024;

/// Stack size for coroutines that recurse deeply: 8 MiB, the default main-thread stack on Linux.
///
/// Recursion on a stackful coroutine is ordinary recursion, so the stack size bounds the depth:
/// depth ≈ (size − fixed overhead) / bytes per frame. The stacks example measures bytes per level
/// of a sample recursion; a tree walk of depth 10,000 at a few hundred bytes per level (a debug
/// build) needs a few MiB, which 8 MiB covers with room to spare.
pub const DEEP_STACK_SIZE: usize = 8 * 1024 * 1024;

/// The system's page size, in bytes.
pub fn page_size() -> usize {
    // SAFETY: `sysconf` reads a configuration value; it has no preconditions and touches no memory
    // of ours. Tested by `tests::page_size_is_sane`.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|s| s.is_power_of_two())
        .unwrap_or(4096)
}

/// The span (usable part plus guard page) of a `DefaultStack::new(size)` mapping: `size` (at
/// least corosensei's `MIN_STACK_SIZE`) rounded up to whole pages, plus one page.
pub fn mapped_span(size: usize) -> usize {
    let page = page_size();
    size.max(MIN_STACK_SIZE).div_ceil(page) * page + page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_sane() {
        let page = page_size();
        assert!(page >= 4096 && page.is_power_of_two(), "page size {page}");
    }

    #[test]
    fn mapped_span_is_the_mapping_corosensei_makes() -> std::io::Result<()> {
        use corosensei::stack::{DefaultStack, Stack};
        for size in [1, 4096, 16 << 10, SMALL_STACK_SIZE + 1] {
            let stack = DefaultStack::new(size)?;
            // `limit` is the start of the mapping, guard page included.
            let span = stack.base().get() - stack.limit().get();
            assert_eq!(span, mapped_span(size), "size {size}");
        }
        Ok(())
    }
}
