//! `tree.py`: in-order traversal of the article's tree, each node delegating to its children;
//! the demo prints `7 8 1 2 9 10 3 0 4 5 6 `.
//!
//! Easy here: recursion. `visit` is a plain recursive function that suspends the whole coroutine
//! from whatever depth it is at, through the one [`Yielder`] it is handed: nothing is boxed per
//! level (`stackful/tests/tree_allocs.rs` counts no allocation per node), and a value reaches the
//! caller in one stack switch whatever its depth. Hard: the recursion lives on the coroutine's own
//! stack, whose size is fixed when the coroutine is made; too small, and a deep tree runs into the
//! guard page (SIGSEGV: the process dies, memory is not corrupted). So [`stack_size_for_depth`]
//! sizes it from the tree's depth and a per-level cost measured in [`stack`]. Borrowing the tree
//! needs a [`ScopedCoroutine`]: a plain `Coroutine` must be `'static`.
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

pub use common::tree::Node;

pub mod stack;
pub use stack::stack_size_for_depth;

/// A traversal: a coroutine that borrows the tree, yields its values and returns how many nodes
/// it visited.
pub type Traversal<'a, S = DefaultStack> = ScopedCoroutine<'a, (), u64, u64, S>;

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
pub fn coroutine(root: &Node) -> io::Result<Traversal<'_>> {
    let stack = DefaultStack::new(stack_size_for_depth(root.depth()))?;
    Ok(coroutine_on(root, stack))
}

/// A traversal of `root` on a stack of the caller's choice (a pooled one, say). The stack must be
/// deep enough for `root` (see [`stack_size_for_depth`]), or the process dies on the guard page.
pub fn coroutine_on<S: Stack>(root: &Node, stack: S) -> Traversal<'_, S> {
    ScopedCoroutine::with_stack(stack, move |yielder: &Yielder<(), u64>, ()| {
        visit(yielder, root)
    })
}

/// Runs a traversal to the end, handing each value to `each`; returns its return value (the
/// number of nodes visited). Allocates nothing itself.
pub fn drain<S: Stack>(co: Traversal<'_, S>, mut each: impl FnMut(u64)) -> u64 {
    co.scope(|mut co| {
        loop {
            match co.resume(()) {
                CoroutineResult::Yield(value) => each(value),
                CoroutineResult::Return(visited) => return visited,
            }
        }
    })
}

/// Runs a traversal to the end: the values in order and its return value.
pub fn collect<S: Stack>(co: Traversal<'_, S>) -> (Vec<u64>, u64) {
    let mut values = Vec::new();
    let visited = drain(co, |value| values.push(value));
    (values, visited)
}

/// Writes `tree.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let root = Node::article();
    run_with(coroutine(&root)?, out)
}

/// Writes `tree.py`'s output with `co`, a traversal of the article's tree on any stack.
pub fn run_with<S: Stack>(co: Traversal<'_, S>, out: &mut impl Write) -> io::Result<()> {
    let (values, _) = collect(co);
    for value in values {
        write!(out, "{value} ")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::contracts::TREE;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, TREE);
    }

    #[test]
    fn complete_trees_in_order() {
        for depth in [1, 2, 5, 9] {
            let tree = Node::complete(depth);
            let n = tree.len() as u64;
            let want: Vec<u64> = (0..n).collect();
            assert_eq!(collect(coroutine(&tree).unwrap()), (want, n));
        }
    }

    /// Recursion runs on the coroutine's own stack, which [`coroutine`] sized for the depth: 4.9 MiB
    /// reserved at depth 10,000, of which only the touched pages are used.
    #[test]
    fn depth_10_000_on_a_stack_sized_for_it() {
        let chain = Node::left_chain(10_000);
        let want: Vec<u64> = (0..10_000).collect();
        assert_eq!(collect(coroutine(&chain).unwrap()), (want, 10_000));
    }
}
