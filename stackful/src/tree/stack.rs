//! How deep a stack the tree traversal needs: the per-level cost of its recursion, the stack
//! [`coroutine`](super::coroutine) sizes from it ([`stack_size_for_depth`]), and the measurement
//! both are checked with ([`measure_traversal`]).
//!
//! ```
//! use stackful::tree::{Node, stack::measure_traversal, stack_size_for_depth};
//!
//! let size = stack_size_for_depth(3);
//! let touched = measure_traversal(&Node::article(), size, usize::MAX)?;
//! assert!(touched > 0 && touched <= size);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;

use corosensei::CoroutineResult;

use super::{Node, coroutine_on};
use crate::stacks::measure_stack_use;

/// Upper bound on the coroutine stack one level of [`Node`] recursion takes, in bytes.
///
/// Measured with [`measure_traversal`] on left chains 1,000 and 3,000 deep (the test
/// `bytes_per_level_is_within_the_bound` checks it and prints the figure): on x86-64 with
/// rustc 1.97 nightly a level took 208 bytes in a debug build and 80 in a release build, and in
/// the AddressSanitizer build of `scripts/asan.sh` (whose frames carry redzones) 256 bytes, or
/// 352 with `ASAN_OPTIONS=detect_stack_use_after_return=0`. The bound covers all of these with
/// room for other targets and compilers; the test fails if a build exceeds it.
pub const BYTES_PER_LEVEL: usize = 512;

/// Stack for everything but the recursion: the coroutine's entry frames, `suspend`, and the
/// unwinding that runs on this stack if a suspended coroutine is dropped (measured at 3.5 KiB in
/// a debug build by `unwinding_a_suspended_traversal_fits_in_the_base_stack`). The rest is room
/// for a panic inside the coroutine, whose hook also runs on this stack.
pub const BASE_STACK: usize = 64 << 10;

/// The stack a traversal of a tree `depth` levels deep gets from [`coroutine`](super::coroutine):
/// `BASE_STACK + depth * BYTES_PER_LEVEL`, rounded up to 4 KiB. So a stack of `s` bytes bounds
/// the depth at `(s - BASE_STACK) / BYTES_PER_LEVEL`: corosensei's default 1 MiB is sized for
/// 1,920 levels (a debug build really fits about 4,700, a release build about 12,000, an ASan
/// build 3,000 to 4,000), and depth 10,000 gets 4.9 MiB. Only the pages actually touched cost
/// memory (1.4 MiB at depth 10,000 in a debug build); the rest is reserved address space.
pub fn stack_size_for_depth(depth: usize) -> usize {
    let bytes = BASE_STACK.saturating_add(depth.saturating_mul(BYTES_PER_LEVEL));
    bytes.div_ceil(4096).saturating_mul(4096)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Measures bytes per level and checks them, and the whole 10,000-deep traversal, against
    /// the bounds `coroutine` sizes its stack with. `--nocapture` shows the figures.
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

    #[test]
    fn dropping_a_deep_suspended_traversal_unwinds_on_its_stack() -> io::Result<()> {
        let chain = Node::left_chain(10_000);
        let first = super::super::coroutine(&chain)?.scope(|mut co| co.resume(()).as_yield());
        assert_eq!(first, Some(0)); // dropped at the end of `scope`, suspended 10,000 levels deep
        Ok(())
    }

    /// Stackless recursion is not free of stack either: each value climbs through one nested
    /// `resume`/`next`/`poll` per level on the *caller's* stack. Measured by running the
    /// `stackless::tree` traversals on a painted stack with `corosensei::on_stack`.
    #[test]
    fn stackless_recursion_uses_the_callers_stack_per_level() -> io::Result<()> {
        use stackless::flavour::Genawaiter;
        use stackless::tree as sl;
        let room = 16 << 20;
        let on_painted = |depth: usize, which: u8| {
            let tree = Node::left_chain(depth);
            measure_stack_use(room, |mut stack| {
                let visited = corosensei::on_stack(&mut stack, || match which {
                    0 => sl::drain(sl::native(&tree), drop),
                    1 => sl::gen_block(&tree).count() as u64,
                    2 => sl::drain(Genawaiter(sl::genawaiter(&tree)), drop),
                    _ => sl::drain(sl::native_explicit_stack(&tree), drop),
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
}
