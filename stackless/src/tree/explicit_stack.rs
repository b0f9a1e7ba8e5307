//! The tree traversal without recursion, kept beside the demo for the benches: one native
//! coroutine with an explicit stack of pending steps, so no allocation per node (only its `Vec`
//! growing), O(1) work per value and any depth on any caller's stack; but the recursion of
//! `tree.py` is gone from the code.
//!
//! ```
//! use stackless::tree::{Node, drain_native, native_explicit_stack};
//!
//! let mut values = Vec::new();
//! let visited = drain_native(native_explicit_stack(&Node::article()), |v| values.push(v));
//! assert_eq!((values, visited), (vec![7, 8, 1, 2, 9, 10, 3, 0, 4, 5, 6], 11));
//! ```

use std::ops::Coroutine;

use super::Node;

/// One pending step of [`native_explicit_stack`].
enum Step<'a> {
    /// Expand this node: push its right children, its value, its left children.
    Visit(&'a Node),
    /// Yield this value.
    Emit(u64),
}

/// The same traversal as [`native`](super::native) without recursion: one coroutine with an
/// explicit stack of pending steps. Returns the number of nodes visited.
pub fn native_explicit_stack(
    root: &Node,
) -> impl Coroutine<Yield = u64, Return = u64> + Unpin + '_ {
    #[coroutine]
    move || {
        let mut todo = vec![Step::Visit(root)];
        let mut visited = 0;
        while let Some(step) = todo.pop() {
            match step {
                Step::Visit(node) => {
                    visited += 1;
                    todo.extend(node.right.iter().rev().map(Step::Visit));
                    todo.push(Step::Emit(node.value));
                    todo.extend(node.left.iter().rev().map(Step::Visit));
                }
                Step::Emit(value) => yield value,
            }
        }
        visited
    }
}

/// [`drain`](super::drain) for a native traversal ([`native`](super::native) or
/// [`native_explicit_stack`]): hands each value to `each`, returns the number of nodes visited.
pub fn drain_native<C>(co: C, each: impl FnMut(u64)) -> u64
where
    C: Coroutine<Yield = u64, Return = u64> + Unpin,
{
    super::drain(co, each)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::collect;

    #[test]
    fn yields_complete_trees_in_order() {
        for depth in [1, 2, 5, 9] {
            let tree = Node::complete(depth);
            let n = tree.len() as u64;
            assert_eq!(collect(native_explicit_stack(&tree)), ((0..n).collect(), n));
        }
    }

    #[test]
    fn handles_depth_10_000_on_a_test_thread() {
        let chain = Node::left_chain(10_000);
        let (values, visited) = collect(native_explicit_stack(&chain));
        assert_eq!(visited, 10_000);
        assert!(values.iter().copied().eq(0..10_000));
    }
}
