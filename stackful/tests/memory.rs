//! Memory per stackful coroutine, measured: the `Coroutine` value itself, what making it takes
//! from the heap, the stack it maps, and how much of that stack it touches (high-water mark).
//! Run with `cargo test -p stackful --test memory -- --nocapture` to see the table.

use std::mem::size_of_val;

use common::alloc_count::CountingAlloc;
use corosensei::stack::DefaultStack;
use stackful::stacks::measure_coroutine;
use stackful::tree::stack::measure_traversal;
use stackful::tree::{Node, stack_size_for_depth};
use stackful::{chain, counter, fib, say, tree};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Prints one row; returns the heap allocations made while making the coroutine.
fn row(demo: &str, made: (usize, u64), stack: usize, touched: std::io::Result<usize>) -> u64 {
    let touched = touched.map_or_else(|e| format!("error: {e}"), |t| t.to_string());
    println!("{demo:8} {:6} {:6} {stack:8} {touched:>8}", made.0, made.1);
    made.1
}

/// Inline size of what `make` returns and the heap allocations it made.
fn made<T, E>(make: impl FnOnce() -> Result<T, E>) -> (usize, u64) {
    let (value, heap) = CountingAlloc::measure(make);
    (value.as_ref().map_or(0, size_of_val), heap.allocations)
}

#[test]
fn memory_per_coroutine() {
    assert!(CountingAlloc::installed());
    println!("demo     inline heap-allocs stack-mapped stack-touched");
    let steps = |n| std::iter::repeat_n((), n);
    let article = Node::article();
    let heap = [
        row(
            "counter",
            made(counter::coroutine),
            counter::STACK_SIZE,
            measure_coroutine(counter::STACK_SIZE, counter::coroutine_on, steps(3)),
        ),
        row(
            "fib",
            made(fib::coroutine),
            fib::STACK_SIZE,
            measure_coroutine(fib::STACK_SIZE, fib::coroutine_on, steps(10)),
        ),
        row(
            "say",
            made(say::coroutine),
            say::STACK_SIZE,
            measure_coroutine(say::STACK_SIZE, say::coroutine_on, steps(4)),
        ),
        row(
            "chain",
            made(chain::coroutine),
            chain::STACK_SIZE,
            measure_coroutine(chain::STACK_SIZE, chain::coroutine_on, steps(21)),
        ),
        row(
            "tree",
            made(|| {
                DefaultStack::new(stack_size_for_depth(3)).map(|s| tree::coroutine_on(&article, s))
            }),
            stack_size_for_depth(3),
            measure_traversal(&article, stack_size_for_depth(3), usize::MAX),
        ),
    ];
    // The stack is mmapped and the body's closure is moved onto it: no heap to make one.
    assert_eq!(heap, [0; 5]);
}
