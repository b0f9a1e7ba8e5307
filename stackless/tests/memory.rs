//! Memory per stackless coroutine, measured: the size of the coroutine value itself (its state
//! machine) and what making it takes from the heap, for every demo and flavour.
//! Run with `cargo test -p stackless --test memory -- --nocapture` to see the table.

use std::cell::RefCell;
use std::mem::size_of_val;

use common::alloc_count::CountingAlloc;
use stackless::tree::Node;
use stackless::{chain, counter, fib, manual, say, send, tree};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// One row: inline bytes of the value `make` returns, heap allocations and bytes while making it.
fn row<T>(demo: &str, flavour: &str, make: impl FnOnce() -> T) -> (usize, u64) {
    let (value, heap) = CountingAlloc::measure(make);
    let inline = size_of_val(&value);
    println!(
        "{demo:8} {flavour:15} {inline:6} {:6} {:8}",
        heap.allocations, heap.bytes
    );
    (inline, heap.allocations)
}

#[test]
fn memory_per_coroutine() {
    assert!(CountingAlloc::installed());
    println!("demo     flavour         inline  heap-allocs heap-bytes");
    let sink = RefCell::new(std::io::sink());
    let article = Node::article();
    let rows = [
        row("counter", "native", counter::native),
        row("counter", "gen", counter::gen_block),
        row("counter", "genawaiter", counter::genawaiter),
        row("counter", "manual", manual::Counter::new),
        row("fib", "native", fib::native),
        row("fib", "gen", fib::gen_block),
        row("fib", "genawaiter", fib::genawaiter),
        row("fib", "manual", manual::Fib::new),
        row("say", "native", say::native),
        row("say", "gen", say::gen_block),
        row("say", "genawaiter", say::genawaiter),
        row("say", "manual", manual::Say::new),
        row("send", "native", || send::native(&sink)),
        row("send", "genawaiter", || send::genawaiter(&sink)),
        row("chain", "native", chain::native),
        row("chain", "gen", chain::gen_block),
        row("chain", "genawaiter", chain::genawaiter),
        row("tree", "native", || tree::native(&article)),
        row("tree", "explicit stack", || {
            tree::native_explicit_stack(&article)
        }),
        row("tree", "gen", || tree::gen_block(&article)),
        row("tree", "genawaiter", || tree::genawaiter(&article)),
    ];
    // What the table must show: native and gen coroutines are plain values (no heap to make
    // them, except the boxed recursive tree root); genawaiter always allocates (boxed future and
    // shared airlock).
    let heap = |i: usize| rows[i].1;
    for i in [0, 1, 4, 5, 8, 9, 14, 15, 18] {
        assert_eq!(heap(i), 0, "row {i}");
    }
    for i in [2, 6, 10, 13, 16, 20] {
        assert!(heap(i) >= 1, "genawaiter row {i}");
    }
    assert_eq!(heap(17), 1, "tree native: the root's box");
    assert_eq!(heap(19), 1, "tree gen: the root's box");
}
