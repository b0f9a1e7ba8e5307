//! Recursion without boxing: heap allocations of the stackful tree traversal, counted beside the
//! stackless ones in one binary with `common::alloc_count::CountingAlloc` as the global allocator.
//! Run with `cargo test -p stackful --test tree_allocs -- --nocapture` to see the figures.
//!
//! The coroutine's stack is `mmap`ed, not taken from the global allocator, so it is not in these
//! counts: it is one mapping per coroutine whatever the tree (see `stackful::tree` for its size).

use common::alloc_count::CountingAlloc;
use corosensei::stack::DefaultStack;
use stackful::tree::{Node, coroutine_on, drain, stack_size_for_depth};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn sink(value: u64) {
    std::hint::black_box(value);
}

#[test]
fn no_allocation_per_node() -> std::io::Result<()> {
    assert!(CountingAlloc::installed());
    println!(
        "depth nodes | heap allocations: stackful (sizing, making, running) | stackless native"
    );
    for (depth, tree) in [4u32, 8, 12]
        .into_iter()
        .map(|d| (d.to_string(), Node::complete(d)))
        .chain([("chain 10000".to_owned(), Node::left_chain(10_000))])
    {
        let n = tree.len() as u64;
        // `stackful::tree::coroutine` = size the stack from the depth + map it + make the coroutine.
        let (size, sizing) = CountingAlloc::measure(|| stack_size_for_depth(tree.depth()));
        let (co, making) = CountingAlloc::measure(|| {
            DefaultStack::new(size).map(|stack| coroutine_on(&tree, stack))
        });
        let (visited, running) = CountingAlloc::measure(|| co.map(|co| drain(co, sink)));
        assert_eq!(visited?, n);
        let stackless = if n < 10_000 {
            let (visited, count) = CountingAlloc::measure(|| {
                stackless::tree::drain(stackless::tree::native(&tree), sink)
            });
            assert_eq!(visited, n);
            assert_eq!(count.allocations, n, "stackless: one box per node");
            count.allocations.to_string()
        } else {
            // 10,000 nested resumes need a big caller stack: see stackless's own test.
            "-".to_owned()
        };
        println!(
            "{depth:>11} {n:5} | {:6} {:6} {:6} | {stackless:>6}",
            sizing.allocations, making.allocations, running.allocations
        );
        assert_eq!(
            making.allocations, 0,
            "the stack is mmapped, the closure lives on it"
        );
        assert_eq!(
            running.allocations, 0,
            "stackful traversal allocates nothing per node"
        );
        // Measuring the depth (a `Vec` worklist) is the only heap use, a few growths of one Vec.
        assert!(sizing.allocations <= 16, "{sizing:?}");
    }
    Ok(())
}
