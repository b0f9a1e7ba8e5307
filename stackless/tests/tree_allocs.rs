//! The cost of recursive delegation in stackless coroutines, counted: heap allocations per node
//! for each traversal of `stackless::tree`, with a counting global allocator in this test binary.
//! Run with `cargo test -p stackless --test tree_allocs -- --nocapture` to see the figures.

use common::alloc_count::{AllocCount, CountingAlloc};
use stackless::flavour::Genawaiter;
use stackless::tree::{Node, drain, gen_block, genawaiter, native, native_explicit_stack};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Allocations made while running one full traversal (the result vector is pre-sized outside).
fn count(tree: &Node, traverse: impl FnOnce(&Node) -> u64) -> AllocCount {
    let (visited, count) = CountingAlloc::measure(|| traverse(tree));
    assert_eq!(visited as usize, tree.len());
    count
}

fn sink(value: u64) {
    std::hint::black_box(value);
}

#[test]
fn allocations_per_node() {
    assert!(CountingAlloc::installed());
    println!(
        "depth nodes | allocations: native(boxed) gen(boxed) genawaiter(boxed) explicit-stack"
    );
    for depth in [4, 8, 12] {
        let tree = Node::complete(depth);
        let n = tree.len() as u64;
        let native = count(&tree, |t| drain(native(t), sink));
        let explicit = count(&tree, |t| drain(native_explicit_stack(t), sink));
        let gen_ = count(&tree, |t| {
            gen_block(t).map(std::hint::black_box).count() as u64
        });
        let genawaiter = count(&tree, |t| drain(Genawaiter(genawaiter(t)), sink));
        println!(
            "{depth:5} {n:5} | {:6} {:6} {:6} {:6} | {:4} {:4} {:4}",
            native.allocations,
            gen_.allocations,
            genawaiter.allocations,
            explicit.allocations,
            native.bytes / n,
            gen_.bytes / n,
            genawaiter.bytes / n,
        );
        // Recursive delegation: exactly one box per node visited.
        assert_eq!(
            native.allocations, n,
            "native: one Pin<Box<dyn Coroutine>> per node"
        );
        assert_eq!(gen_.allocations, n, "gen: one Box<dyn Iterator> per node");
        // genawaiter: one boxed future per node, plus the generator's own two (future, airlock).
        assert_eq!(genawaiter.allocations, n + 2, "genawaiter");
        // Explicit stack: only the Vec's growth, logarithmic in the stack's peak length.
        assert!(explicit.allocations <= 8, "explicit stack: {explicit:?}");
    }
}
