//! `tree.py`: in-order traversal of the article's tree, each node delegating to its children;
//! the demo prints `7 8 1 2 9 10 3 0 4 5 6 `.
//!
//! Hard here: recursion. A stackless coroutine's state is a value the compiler sizes at compile
//! time, so a coroutine cannot contain itself: every level of delegation (`yield from`) is boxed,
//! and [`native`] (like [`gen_block()`] and [`genawaiter()`], in files of their own) allocates once
//! per node (`stackless/tests/tree_allocs.rs` counts them). Each value travels up through one
//! `resume` per level: a value at depth `d` costs O(`d`) time and `d` nested calls on the
//! *caller's* stack (stackful's test `stackless_recursion_uses_the_callers_stack_per_level`
//! measures them). [`explicit_stack`], kept for the benches, trades the recursion for a `Vec`.
//! Easy: the tree is borrowed for the whole traversal (`&'a Node` across `yield`s) with no
//! ceremony, and [`yield_from!`](crate::yield_from!) returns each subtree's node count.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::tree::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "7 8 1 2 9 10 3 0 4 5 6 \n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;

pub use common::tree::Node;

use crate::flavour::Resume;
use crate::yield_from;

pub mod explicit_stack;
mod gen_block;
mod genawaiter;
pub use explicit_stack::{drain_native, native_explicit_stack};
pub use {gen_block::gen_block, genawaiter::genawaiter};

/// `Node.visit` as a native coroutine: yields the values in order and returns the number of nodes
/// visited. One `Box` per node: a coroutine cannot hold a coroutine of its own type inline.
pub fn native(node: &Node) -> Pin<Box<dyn Coroutine<Yield = u64, Return = u64> + '_>> {
    Box::pin(
        #[coroutine]
        move || {
            let mut visited = 1;
            for child in &node.left {
                visited += yield_from!(native(child));
            }
            yield node.value;
            for child in &node.right {
                visited += yield_from!(native(child));
            }
            visited
        },
    )
}

/// Runs a traversal to the end, handing each value to `each`; returns its return value (the
/// number of nodes visited; `()` for a `gen` block). Allocates nothing itself.
pub fn drain<R>(mut co: impl Resume<Yield = u64, Return = R>, mut each: impl FnMut(u64)) -> R {
    loop {
        match co.resume(()) {
            CoroutineState::Yielded(value) => each(value),
            CoroutineState::Complete(visited) => return visited,
        }
    }
}

/// Runs a traversal to the end: the values in order and its return value.
pub fn collect<R>(co: impl Resume<Yield = u64, Return = R>) -> (Vec<u64>, R) {
    let mut values = Vec::new();
    let visited = drain(co, |value| values.push(value));
    (values, visited)
}

/// Writes `tree.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let root = Node::article();
    run_with(native(&root), out)
}

/// Writes `tree.py`'s output with `co`, a traversal of the article's tree of any flavour.
pub fn run_with(co: impl Resume<Yield = u64>, out: &mut impl Write) -> io::Result<()> {
    let (values, _) = collect(co);
    for value in values {
        write!(out, "{value} ")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::{Genawaiter, Iter};
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
            assert_eq!(collect(native(&tree)), (want.clone(), n));
            assert_eq!(collect(Iter(gen_block(&tree))), (want.clone(), ()));
            assert_eq!(collect(Genawaiter(genawaiter(&tree))), (want, n));
        }
    }

    /// Recursion runs on the caller's stack, up to ~500 bytes a level in a debug build: 5 MB at
    /// depth 10,000, more than a test thread's 2 MiB, so run on a thread with a 32 MiB stack.
    #[test]
    fn depth_10_000_given_a_big_enough_caller_stack() {
        let chain = Node::left_chain(10_000);
        let want: Vec<u64> = (0..10_000).collect();
        let caller = std::thread::Builder::new().stack_size(32 << 20);
        let traverse = move || {
            assert_eq!(collect(native(&chain)), (want.clone(), 10_000));
            assert_eq!(collect(Iter(gen_block(&chain))), (want.clone(), ()));
            assert_eq!(collect(Genawaiter(genawaiter(&chain))), (want, 10_000));
        };
        caller.spawn(traverse).unwrap().join().unwrap();
    }
}
