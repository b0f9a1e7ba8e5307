//! `tree.py`: in-order traversal of the article's tree, each node delegating to its children with
//! `yield from`; the demo prints `7 8 1 2 9 10 3 0 4 5 6 `.
//!
//! Hard here: recursion. A stackless coroutine's state is a value of a type the compiler sizes
//! at compile time, so a coroutine cannot contain itself: every level of recursive delegation
//! must be boxed. [`native`], [`gen_block`] and [`genawaiter()`] therefore allocate once per node
//! visited (counted by the test `stackless/tests/tree_allocs.rs` with [`CountingAlloc`]), and
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

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;

use genawaiter::GeneratorState;
use genawaiter::rc::Co;

use crate::flavour::{Flavour, check_available};
use crate::yield_from;

/// The flavours this demo exists in ([`native_explicit_stack`] is tested beside them).
pub const FLAVOURS: &[Flavour] = &[Flavour::Native, Flavour::Gen, Flavour::Genawaiter];

/// A node of `tree.py`'s tree: a value, the subtrees visited before it, and those visited after.
///
/// Dropping a tree does not recurse (see the `Drop` impl), so degenerate trees of any depth can be
/// dropped on a small stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The value yielded for this node.
    pub value: u64,
    /// Children visited before `value` (Python's `left_nodes`).
    pub left: Vec<Node>,
    /// Children visited after `value` (Python's `right_nodes`).
    pub right: Vec<Node>,
}

impl Node {
    /// A node with children.
    pub fn new(value: u64, left: Vec<Node>, right: Vec<Node>) -> Self {
        Node { value, left, right }
    }

    /// A node without children.
    pub fn leaf(value: u64) -> Self {
        Node::new(value, Vec::new(), Vec::new())
    }

    /// The tree of `tree.py` (11 nodes, depth 3).
    pub fn article() -> Self {
        Node::new(
            0,
            vec![
                Node::new(1, vec![Node::leaf(7), Node::leaf(8)], vec![]),
                Node::new(2, vec![], vec![Node::leaf(9), Node::leaf(10)]),
                Node::leaf(3),
            ],
            vec![Node::leaf(4), Node::leaf(5), Node::leaf(6)],
        )
    }

    /// A complete binary tree with `depth` levels (`2^depth - 1` nodes; `depth` 0 counts as 1):
    /// every inner node has one left and one right child. Values are numbered in visiting order,
    /// so an in-order traversal yields `0, 1, 2, ...`.
    pub fn complete(depth: u32) -> Self {
        fn build(depth: u32, next: &mut u64) -> Node {
            if depth <= 1 {
                let node = Node::leaf(*next);
                *next += 1;
                return node;
            }
            let left = build(depth - 1, next);
            let value = *next;
            *next += 1;
            let right = build(depth - 1, next);
            Node::new(value, vec![left], vec![right])
        }
        build(depth, &mut 0)
    }

    /// A degenerate tree: a chain of `depth` nodes (`depth` 0 counts as 1), each the only left
    /// child of the one above. In-order traversal yields `0, 1, ..., depth - 1`, deepest first.
    /// Built without recursion.
    pub fn left_chain(depth: usize) -> Self {
        let mut node = Node::leaf(0);
        for value in 1..depth.max(1) as u64 {
            node = Node::new(value, vec![node], Vec::new());
        }
        node
    }

    /// The number of nodes (counted without recursion).
    pub fn len(&self) -> usize {
        let mut count = 0;
        let mut todo = vec![self];
        while let Some(node) = todo.pop() {
            count += 1;
            todo.extend(node.left.iter().chain(&node.right));
        }
        count
    }

    /// Always `false`: a tree has at least its root. (For clippy's `len_without_is_empty`.)
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The number of levels: 1 for a leaf (computed without recursion).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut todo = vec![(self, 1)];
        while let Some((node, depth)) = todo.pop() {
            deepest = deepest.max(depth);
            todo.extend(node.left.iter().chain(&node.right).map(|c| (c, depth + 1)));
        }
        deepest
    }
}

impl Drop for Node {
    /// Moves the descendants into a flat list before they drop, so that dropping a chain 10,000
    /// deep does not recurse 10,000 times (and cannot overflow the stack).
    fn drop(&mut self) {
        let mut todo: Vec<Node> = Vec::new();
        todo.append(&mut self.left);
        todo.append(&mut self.right);
        while let Some(mut node) = todo.pop() {
            todo.append(&mut node.left);
            todo.append(&mut node.right);
            // `node` drops here with no children left.
        }
    }
}

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

/// Allocations counted by [`CountingAlloc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocCount {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
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

/// A global allocator that forwards to the system allocator and counts, per thread, how often it
/// was asked for memory. Install it in a test or measurement binary only:
///
/// ```
/// use stackless::tree::{CountingAlloc, Node, native_explicit_stack, collect_native};
///
/// #[global_allocator]
/// static ALLOC: CountingAlloc = CountingAlloc;
///
/// assert!(CountingAlloc::installed());
/// let root = Node::complete(8);
/// let (_, count) = CountingAlloc::measure(|| collect_native(native_explicit_stack(&root)));
/// assert!(count.allocations < 20, "{count:?}");
/// ```
///
/// Memory that does not come from the global allocator (a `corosensei` stack is `mmap`ed) is
/// not counted.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

impl CountingAlloc {
    fn add(size: usize) {
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

    /// Whether `CountingAlloc` is this program's global allocator (checked by allocating).
    pub fn installed() -> bool {
        let (_, count) = Self::measure(|| std::hint::black_box(Box::new(0u64)));
        count.allocations == 1
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees are ours; the counting touches only a thread-local `Cell` and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::add(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::add(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::add(new_size);
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::realloc`'s contract
        // (`ptr` came from this allocator, i.e. from `System`, with `layout`).
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
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
    fn builders() {
        let article = Node::article();
        assert_eq!((article.len(), article.depth()), (11, 3));
        for depth in 1..=10 {
            let tree = Node::complete(depth);
            assert_eq!(tree.len(), (1 << depth) - 1);
            assert_eq!(tree.depth(), depth as usize);
        }
        let chain = Node::left_chain(10_000);
        assert_eq!((chain.len(), chain.depth()), (10_000, 10_000));
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
