//! `tree.py`: in-order traversal of the article's tree, each node delegating to its children;
//! the demo prints `7 8 1 2 9 10 3 0 4 5 6 `.
//!
//! Easy here: recursion. `visit` is a plain recursive function that suspends the whole
//! coroutine from whatever depth it is at, through the one [`Yielder`] it is handed; nothing is
//! boxed per level (the test `stackful/tests/tree_allocs.rs` counts zero heap allocations per
//! node, against one per node for `stackless::tree::native`), and a value is handed to the caller
//! in one stack switch whatever its depth. Hard: the recursion lives on the coroutine's own
//! stack, whose size is fixed when the coroutine is made. Too small, and a deep tree runs into the
//! guard page (SIGSEGV, the process dies; memory is not corrupted). So the stack is sized on
//! purpose from the tree's depth: [`stack_size_for_depth`], from a per-level cost measured by
//! [`measure_stack_use`]. Borrowing the tree needs a [`ScopedCoroutine`]: a plain `Coroutine`
//! must be `'static`.
//!
//! ```
//! let mut out = Vec::new();
//! stackful::tree::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "7 8 1 2 9 10 3 0 4 5 6 \n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{CoroutineResult, ScopedCoroutine, Yielder};

use crate::stacks::measure_stack_use;

pub use common::tree::Node;

/// Upper bound on the coroutine stack one level of [`Node`] recursion takes, in bytes.
///
/// Measured with [`measure_stack_use`] on left chains 1,000 and 3,000 deep (the test
/// `bytes_per_level_is_within_the_bound` checks it and prints the figure): on x86-64 with
/// rustc 1.97 nightly a level took 144 bytes in a debug build and 64 in a release build, and in
/// the AddressSanitizer build of `scripts/asan.sh` (whose frames carry redzones) 256 bytes, or
/// 352 with `ASAN_OPTIONS=detect_stack_use_after_return=0`. The bound covers all of these with
/// room for other targets and compilers; the test fails if a build exceeds it.
pub const BYTES_PER_LEVEL: usize = 512;

/// Stack for everything but the recursion: the coroutine's entry frames, `suspend`, and the
/// unwinding that runs on this stack if a suspended coroutine is dropped (measured at 3.5 KiB in
/// a debug build by `unwinding_a_suspended_traversal_fits_in_the_base_stack`). The rest is room
/// for a panic inside the coroutine, whose hook also runs on this stack.
pub const BASE_STACK: usize = 64 << 10;

/// The stack a traversal of a tree `depth` levels deep gets from [`coroutine`]:
/// `BASE_STACK + depth * BYTES_PER_LEVEL`, rounded up to 4 KiB. So a stack of `s` bytes bounds
/// the depth at `(s - BASE_STACK) / BYTES_PER_LEVEL`: corosensei's default 1 MiB is sized for
/// 1,920 levels (a debug build really fits about 7,200, a release build about 16,000, an ASan
/// build 3,000 to 4,000), and depth 10,000 gets 4.9 MiB. Only the pages actually touched cost
/// memory (1.4 MiB at depth 10,000 in a debug build); the rest is reserved address space.
pub fn stack_size_for_depth(depth: usize) -> usize {
    let bytes = BASE_STACK.saturating_add(depth.saturating_mul(BYTES_PER_LEVEL));
    bytes.div_ceil(4096).saturating_mul(4096)
}

/// `Node.visit`: plain recursion; `suspend` hands each value to the caller of `resume` from any
/// depth. Returns the number of nodes visited.
fn visit(yielder: &Yielder<(), u64>, node: &Node) -> u64 {
    let mut visited = 1;
    for child in &node.left {
        visited += visit(yielder, child);
    }
    yielder.suspend(node.value);
    for child in &node.right {
        visited += visit(yielder, child);
    }
    visited
}

/// A traversal of `root` on a fresh stack of [`stack_size_for_depth`]`(root.depth())` bytes.
/// Yields the values in order; returns the number of nodes visited.
pub fn coroutine(root: &Node) -> io::Result<ScopedCoroutine<'_, (), u64, u64, DefaultStack>> {
    let stack = DefaultStack::new(stack_size_for_depth(root.depth()))?;
    Ok(coroutine_on(root, stack))
}

/// A traversal of `root` on a stack of the caller's choice (a pooled one, say). The stack must be
/// deep enough for `root` (see [`stack_size_for_depth`]), or the process dies on the guard page.
pub fn coroutine_on<S: Stack>(root: &Node, stack: S) -> ScopedCoroutine<'_, (), u64, u64, S> {
    ScopedCoroutine::with_stack(stack, move |yielder: &Yielder<(), u64>, ()| {
        visit(yielder, root)
    })
}

/// Runs a traversal to the end, handing each value to `each`; returns its return value (the
/// number of nodes visited). Allocates nothing itself.
pub fn drain<S: Stack>(co: ScopedCoroutine<'_, (), u64, u64, S>, mut each: impl FnMut(u64)) -> u64 {
    co.scope(|mut co| {
        loop {
            match co.resume(()) {
                CoroutineResult::Yield(value) => each(value),
                CoroutineResult::Return(visited) => return visited,
            }
        }
    })
}

/// Runs a traversal to the end: the values in order and the number of nodes visited.
pub fn collect<S: Stack>(co: ScopedCoroutine<'_, (), u64, u64, S>) -> (Vec<u64>, u64) {
    let mut values = Vec::new();
    let visited = drain(co, |value| values.push(value));
    (values, visited)
}

/// Writes `tree.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let root = Node::article();
    let (values, _) = collect(coroutine(&root)?);
    for value in values {
        write!(out, "{value} ")?;
    }
    writeln!(out)
}

/// The stack a traversal of `root` touches, measured with [`measure_stack_use`] on a stack of
/// `size` bytes (which must be deep enough for `root`, or the process dies): the coroutine of
/// [`coroutine_on`] runs on that stack until it has yielded `take` values (or to its end), and an
/// unfinished one is then dropped, which unwinds it on that stack, so the unwinding counts too.
pub fn measure_traversal(root: &Node, size: usize, take: usize) -> io::Result<usize> {
    measure_stack_use(size, |mut stack| {
        coroutine_on(root, &mut stack).scope(|mut co| {
            let mut taken = 0;
            while taken < take {
                match co.resume(()) {
                    CoroutineResult::Yield(_) => taken += 1,
                    CoroutineResult::Return(_) => break,
                }
            }
        }); // an unfinished coroutine is dropped (force-unwound) here
        stack
    })
}

/// Helpers for the demo modules' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use std::io;

    /// Runs a demo's `run` into a buffer and compares with the contract output.
    pub(crate) fn assert_prints(run: impl FnOnce(&mut Vec<u8>) -> io::Result<()>, expected: &str) {
        let mut out = Vec::new();
        let result = run(&mut out);
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(String::from_utf8_lossy(&out), expected);
    }

    /// Checks (and prints, for `--nocapture`) a measured stack use against a demo's stack size:
    /// at most half of it may be touched, the rest is headroom (a panic's hook runs there).
    pub(crate) fn assert_stack_use(demo: &str, used: io::Result<usize>, size: usize) {
        assert!(used.is_ok(), "{demo}: {used:?}");
        if let Ok(used) = used {
            println!("stackful {demo}: touched {used} of {size} stack bytes");
            assert!(used <= size / 2, "{demo}: {used} of {size}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::assert_prints;
    use super::*;

    const EXPECTED: &str = "7 8 1 2 9 10 3 0 4 5 6 \n";

    #[test]
    fn prints_the_contract() {
        assert_prints(run, EXPECTED);
    }

    #[test]
    fn complete_trees_in_order_like_stackless() {
        for depth in [1, 2, 5, 9] {
            let tree = Node::complete(depth);
            let stackless = stackless::tree::collect_native(stackless::tree::native(&tree));
            let co = coroutine(&tree);
            assert!(co.is_ok());
            if let Ok(co) = co {
                assert_eq!(collect(co), stackless);
            }
        }
    }

    #[test]
    fn depth_10_000_on_a_stack_sized_for_it() {
        let chain = Node::left_chain(10_000);
        let co = coroutine(&chain);
        assert!(co.is_ok(), "{:?}", co.err());
        if let Ok(co) = co {
            let (values, visited) = collect(co);
            assert_eq!(visited, 10_000);
            assert!(values.iter().copied().eq(0..10_000));
        }
    }

    /// Measures bytes per level and checks them, and the whole 10,000-deep traversal, against
    /// the bounds [`coroutine`] sizes its stack with. `--nocapture` shows the figures.
    #[test]
    fn bytes_per_level_is_within_the_bound() -> io::Result<()> {
        let room = 16 << 20;
        let shallow = measure_traversal(&Node::left_chain(1_000), room, usize::MAX)?;
        let deep = measure_traversal(&Node::left_chain(3_000), room, usize::MAX)?;
        let per_level = (deep - shallow) / 2_000;
        let at_10_000 = measure_traversal(&Node::left_chain(10_000), room, usize::MAX)?;
        println!(
            "stackful tree: {per_level} stack bytes per level (bound {BYTES_PER_LEVEL}); \
             depth 10,000 touched {at_10_000} bytes of the {} sized for it",
            stack_size_for_depth(10_000)
        );
        assert!(per_level > 0 && per_level <= BYTES_PER_LEVEL);
        assert!(at_10_000 <= stack_size_for_depth(10_000));
        Ok(())
    }

    /// Dropping a suspended coroutine unwinds its stack *on that stack*: the unwinder's frames
    /// must fit in [`BASE_STACK`] on top of the deepest recursion.
    #[test]
    fn unwinding_a_suspended_traversal_fits_in_the_base_stack() -> io::Result<()> {
        let room = 16 << 20;
        // A left chain yields its first value from its deepest level.
        let full = measure_traversal(&Node::left_chain(1_000), room, usize::MAX)?;
        let dropped = measure_traversal(&Node::left_chain(1_000), room, 1)?;
        let leaf_dropped = measure_traversal(&Node::leaf(0), room, 1)?;
        println!(
            "stackful tree: depth 1,000 touched {full} bytes run to the end, {dropped} bytes \
             dropped at its deepest point; a leaf dropped while suspended: {leaf_dropped} bytes"
        );
        assert!(leaf_dropped <= BASE_STACK / 2);
        assert!(dropped <= stack_size_for_depth(1_000));
        Ok(())
    }

    /// Stackless recursion is not free of stack either: each value climbs through one nested
    /// `resume`/`next`/`poll` per level on the *caller's* stack. Measured by running the
    /// `stackless::tree` traversals on a painted stack with `corosensei::on_stack`.
    #[test]
    fn stackless_recursion_uses_the_callers_stack_per_level() -> io::Result<()> {
        use stackless::tree as sl;
        let room = 16 << 20;
        let on_painted = |depth: usize, which: u8| {
            let tree = Node::left_chain(depth);
            measure_stack_use(room, |mut stack| {
                let visited = corosensei::on_stack(&mut stack, || match which {
                    0 => sl::drain_native(sl::native(&tree), drop),
                    1 => sl::gen_block(&tree).count() as u64,
                    2 => sl::drain_genawaiter(sl::genawaiter(&tree), drop),
                    _ => sl::drain_native(sl::native_explicit_stack(&tree), drop),
                });
                assert_eq!(visited as usize, depth);
                stack
            })
        };
        let mut report = Vec::new();
        for (which, name) in ["native", "gen", "genawaiter", "explicit stack"]
            .iter()
            .enumerate()
        {
            let shallow = on_painted(1_000, which as u8)?;
            let deep = on_painted(3_000, which as u8)?;
            let per_level = (deep as i64 - shallow as i64) / 2_000;
            report.push(format!("{name} {per_level}"));
            if which < 3 {
                assert!(per_level >= 16, "{name}: {per_level}");
            } else {
                assert_eq!(per_level, 0, "explicit stack: no stack per level");
            }
        }
        println!(
            "stackless tree, caller's stack bytes per level: {}",
            report.join(", ")
        );
        Ok(())
    }

    #[test]
    fn dropping_a_deep_suspended_traversal_is_fine() {
        let chain = Node::left_chain(10_000);
        let co = coroutine(&chain);
        assert!(co.is_ok());
        if let Ok(co) = co {
            let first = co.scope(|mut co| co.resume(()).as_yield());
            assert_eq!(first, Some(0));
        } // dropped here, suspended 10,000 levels deep
    }
}
