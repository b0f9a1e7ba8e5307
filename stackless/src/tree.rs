//! `tree.py`: in-order traversal of the article's tree, each node delegating to its children with
//! `yield from`; the demo prints `7 8 1 2 9 10 3 0 4 5 6 `.
//!
//! Hard here: recursion. A stackless coroutine's state is a value of a type the compiler sizes
//! at compile time, so a coroutine cannot contain itself: every level of recursive delegation
//! must be boxed. [`native`], [`gen_block`] and [`genawaiter()`] therefore allocate once per node
//! visited (counted by the test `stackless/tests/tree_allocs.rs` with
//! [`CountingAlloc`](common::alloc_count::CountingAlloc)), and
//! each value travels up through one `resume` (or `next`, or `poll`) per level, so a value at
//! depth `d` costs `d` nested calls on the *caller's* stack (measured by the `stackful` crate's
//! test `stackless_recursion_uses_the_callers_stack_per_level`: 96 to 112 bytes a level in a
//! release build, up to ~500 in a debug one) and O(`d`) time. The alternative beside them,
//! [`native_explicit_stack`], keeps the path in a `Vec`: a few allocations per traversal instead
//! of one per node, O(1) work per value, any depth; but the recursion is gone from the code.
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

use genawaiter::GeneratorState;
use genawaiter::rc::Co;

use crate::flavour::{Flavour, check_available};
use crate::yield_from;
pub use common::tree::Node;

/// The flavours this demo exists in ([`native_explicit_stack`] is tested beside them).
pub const FLAVOURS: &[Flavour] = &[Flavour::Native, Flavour::Gen, Flavour::Genawaiter];

/// A boxed, recursive native traversal: what [`native`] returns for each node.
pub type NativeVisit<'a> = Pin<Box<dyn Coroutine<Yield = u64, Return = u64> + 'a>>;

/// `Node.visit` as a native coroutine: yields the values in order and returns the number of nodes
/// visited. One `Box` per node: a coroutine cannot hold a coroutine of its own type inline.
pub fn native(node: &Node) -> NativeVisit<'_> {
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

/// One pending step of [`native_explicit_stack`].
enum Step<'a> {
    /// Expand this node: push its right children, its value, its left children.
    Visit(&'a Node),
    /// Yield this value.
    Emit(u64),
}

/// The same traversal as [`native`] without recursion: one coroutine with an explicit stack of
/// pending steps, so no allocation per node (only the `Vec` growing) and O(1) work per value.
/// Returns the number of nodes visited.
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

/// `Node.visit` as recursive `gen` blocks: one boxed iterator per node; values are passed up by
/// a `for` loop per level (`gen` blocks have no `yield from`).
pub fn gen_block(node: &Node) -> Box<dyn Iterator<Item = u64> + '_> {
    Box::new(gen move {
        for child in &node.left {
            for value in gen_block(child) {
                yield value;
            }
        }
        yield node.value;
        for child in &node.right {
            for value in gen_block(child) {
                yield value;
            }
        }
    })
}

/// One level of the `genawaiter` traversal: a boxed future (async recursion must be boxed) that
/// yields through the shared `Co` and returns the number of nodes visited.
fn visit_co<'a>(co: &'a Co<u64>, node: &'a Node) -> Pin<Box<dyn Future<Output = u64> + 'a>> {
    Box::pin(async move {
        let mut visited = 1;
        for child in &node.left {
            visited += visit_co(co, child).await;
        }
        co.yield_(node.value).await;
        for child in &node.right {
            visited += visit_co(co, child).await;
        }
        visited
    })
}

/// `Node.visit` with `genawaiter`: recursive boxed futures sharing one `Co`; completes with the
/// number of nodes visited.
pub fn genawaiter(root: &Node) -> genawaiter::rc::Gen<u64, (), impl Future<Output = u64> + '_> {
    genawaiter::rc::Gen::new(move |co| async move { visit_co(&co, root).await })
}

/// Runs a native traversal to the end, handing each value to `each`; returns the coroutine's
/// return value (the number of nodes visited). Allocates nothing itself.
pub fn drain_native<C>(mut co: C, mut each: impl FnMut(u64)) -> u64
where
    C: Coroutine<Yield = u64, Return = u64> + Unpin,
{
    loop {
        match Pin::new(&mut co).resume(()) {
            CoroutineState::Yielded(value) => each(value),
            CoroutineState::Complete(visited) => return visited,
        }
    }
}

/// Runs a `genawaiter` traversal to the end, handing each value to `each`; returns its return
/// value (the number of nodes visited). Allocates nothing itself.
pub fn drain_genawaiter<F>(
    mut co: genawaiter::rc::Gen<u64, (), F>,
    mut each: impl FnMut(u64),
) -> u64
where
    F: Future<Output = u64>,
{
    loop {
        match co.resume() {
            GeneratorState::Yielded(value) => each(value),
            GeneratorState::Complete(visited) => return visited,
        }
    }
}

/// Runs a native traversal to the end: the values in order and the coroutine's return value.
pub fn collect_native<C>(co: C) -> (Vec<u64>, u64)
where
    C: Coroutine<Yield = u64, Return = u64> + Unpin,
{
    let mut values = Vec::new();
    let visited = drain_native(co, |value| values.push(value));
    (values, visited)
}

/// Runs a `genawaiter` traversal to the end: the values in order and its return value.
pub fn collect_genawaiter<F>(co: genawaiter::rc::Gen<u64, (), F>) -> (Vec<u64>, u64)
where
    F: Future<Output = u64>,
{
    let mut values = Vec::new();
    let visited = drain_genawaiter(co, |value| values.push(value));
    (values, visited)
}

/// Writes `tree.py`'s output with the native flavour.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_flavour(Flavour::Native, out)
}

/// Writes `tree.py`'s output with the given flavour (error if not in [`FLAVOURS`]).
pub fn run_flavour(flavour: Flavour, out: &mut impl Write) -> io::Result<()> {
    check_available(flavour, FLAVOURS)?;
    let root = Node::article();
    let values = match flavour {
        Flavour::Native => collect_native(native(&root)).0,
        Flavour::Gen => gen_block(&root).collect(),
        Flavour::Genawaiter => collect_genawaiter(genawaiter(&root)).0,
        Flavour::Manual => unreachable!("refused by check_available"),
    };
    for value in values {
        write!(out, "{value} ")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::assert_output;

    const EXPECTED: &str = "7 8 1 2 9 10 3 0 4 5 6 \n";

    #[test]
    fn every_flavour_prints_the_contract() {
        assert_output(FLAVOURS, run_flavour, EXPECTED);
    }

    #[test]
    fn explicit_stack_prints_the_contract_too() {
        let (values, visited) = collect_native(native_explicit_stack(&Node::article()));
        assert_eq!(values, [7, 8, 1, 2, 9, 10, 3, 0, 4, 5, 6]);
        assert_eq!(visited, 11);
    }

    #[test]
    fn every_traversal_yields_complete_trees_in_order() {
        for depth in [1, 2, 5, 9] {
            let tree = Node::complete(depth);
            let n = tree.len() as u64;
            let want: Vec<u64> = (0..n).collect();
            assert_eq!(collect_native(native(&tree)), (want.clone(), n));
            assert_eq!(
                collect_native(native_explicit_stack(&tree)),
                (want.clone(), n)
            );
            assert_eq!(gen_block(&tree).collect::<Vec<_>>(), want);
            assert_eq!(collect_genawaiter(genawaiter(&tree)), (want, n));
        }
    }

    #[test]
    fn explicit_stack_handles_depth_10_000_on_a_test_thread() {
        let chain = Node::left_chain(10_000);
        let (values, visited) = collect_native(native_explicit_stack(&chain));
        assert_eq!(visited, 10_000);
        assert!(values.iter().copied().eq(0..10_000));
    }

    /// Recursive delegation resumes one level per tree level for every value: the caller's stack
    /// must hold `depth` nested resume frames. Measured (stackful's test
    /// `stackless_recursion_uses_the_callers_stack_per_level`) at up to ~500 bytes a level in a
    /// debug build, so depth 10,000 needs ~5 MB, more than a test thread's 2 MiB: run on a
    /// thread whose stack we chose for it.
    #[test]
    fn recursive_flavours_handle_depth_10_000_given_a_big_enough_caller_stack() {
        const CALLER_STACK: usize = 32 << 20; // reserved, touched only as deep as used
        let result = std::thread::Builder::new()
            .stack_size(CALLER_STACK)
            .spawn(|| {
                let chain = Node::left_chain(10_000);
                let want: Vec<u64> = (0..10_000).collect();
                assert_eq!(collect_native(native(&chain)), (want.clone(), 10_000));
                assert_eq!(gen_block(&chain).collect::<Vec<_>>(), want);
                assert_eq!(collect_genawaiter(genawaiter(&chain)), (want, 10_000));
            })
            .map(|t| t.join());
        assert!(matches!(result, Ok(Ok(()))), "deep traversal failed");
    }
}
