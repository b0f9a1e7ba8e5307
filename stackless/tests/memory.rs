//! Memory per stackless coroutine, measured and bounded: the size of the coroutine value itself
//! (its state machine) and what making it takes from the heap, for every demo and flavour.
//! Run with `cargo test -p stackless --test memory -- --nocapture` to see the table.

use std::cell::RefCell;
use std::mem::size_of_val;

use common::alloc_count::CountingAlloc;
use stackless::tree::Node;
use stackless::{chain, counter, fib, manual, say, send, tree};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// What making one coroutine costs.
#[derive(Debug)]
struct Row {
    demo: &'static str,
    flavour: &'static str,
    /// `size_of_val` of the coroutine value: its whole state, for a native or `gen` coroutine.
    inline: usize,
    /// Heap allocations made while making it, and their bytes.
    allocations: u64,
    bytes: u64,
}

fn row<T>(demo: &'static str, flavour: &'static str, make: impl FnOnce() -> T) -> Row {
    let (value, heap) = CountingAlloc::measure(make);
    Row {
        demo,
        flavour,
        inline: size_of_val(&value),
        allocations: heap.allocations,
        bytes: heap.bytes,
    }
}

/// Checks that `rows` are plain values of at most `max_inline` bytes, made without the heap.
fn assert_plain(rows: &[&Row], max_inline: usize) {
    for row in rows {
        assert!(
            row.inline <= max_inline,
            "{row:?}: more than {max_inline} bytes"
        );
        assert_eq!(row.allocations, 0, "{row:?}: allocated");
    }
}

#[test]
fn memory_per_coroutine() {
    assert!(CountingAlloc::installed());
    let word = size_of::<usize>();
    let sink = RefCell::new(std::io::sink());
    let article = Node::article();

    let counter = [
        row("counter", "native", counter::native),
        row("counter", "gen", counter::gen_block),
        row("counter", "genawaiter", counter::genawaiter),
        row("counter", "manual", manual::Counter::new),
    ];
    let fib = [
        row("fib", "native", fib::native),
        row("fib", "gen", fib::gen_block),
        row("fib", "genawaiter", fib::genawaiter),
        row("fib", "manual", manual::Fib::new),
    ];
    let say = [
        row("say", "native", say::native),
        row("say", "gen", say::gen_block),
        row("say", "genawaiter", say::genawaiter),
        row("say", "manual", manual::Say::new),
    ];
    let send = [
        row("send", "native", || send::native(&sink)),
        row("send", "genawaiter", || send::genawaiter(&sink)),
    ];
    let chain = [
        row("chain", "native", chain::native),
        row("chain", "gen", chain::gen_block),
        row("chain", "genawaiter", chain::genawaiter),
    ];
    let tree = [
        row("tree", "native", || tree::native(&article)),
        row("tree", "gen", || tree::gen_block(&article)),
        row("tree", "genawaiter", || tree::genawaiter(&article)),
        row("tree", "explicit stack", || {
            tree::native_explicit_stack(&article)
        }),
    ];
    let all = [&counter[..], &fib, &say, &send, &chain, &tree];

    println!("demo     flavour         inline  heap-allocs heap-bytes");
    for row in all.iter().copied().flatten() {
        println!(
            "{:8} {:15} {:6} {:11} {:10}",
            row.demo, row.flavour, row.inline, row.allocations, row.bytes
        );
    }

    // A native or `gen` coroutine, like the hand-written enum, is a plain value: the locals that
    // live across a `yield` plus the resume point (a tag, padded to the locals' alignment).
    // The counter keeps `i: u64`: 8 bytes and the tag, 16.
    assert_plain(&[&counter[0], &counter[1], &counter[3]], 16);
    // Fibonacci keeps `a` and `b`: 24.
    assert_plain(&[&fib[0], &fib[1], &fib[3]], 24);
    // `say` keeps nothing across its `yield`s: the tag alone, one byte.
    assert_plain(&[&say[0], &say[1], &say[3]], 1);
    // `coro_fn` keeps the reference to the shared writer: 16.
    assert_plain(&[&send[0]], 16);
    // `g` holds one sub-coroutine at a time inline (its `Range<u64>` and tag: 3 words) and, while
    // in `g2`, `g1`'s count (1 word), besides its own tag: at most 5 words.
    assert_plain(&[&chain[0], &chain[1]], 5 * word);
    // The explicit-stack traversal keeps the root it captured (1 word), its `Vec` of pending steps
    // (3 words) and the count (1 word), besides its tag: at most 6 words. Its `Vec` allocates only
    // once it runs.
    assert_plain(&[&tree[3]], 6 * word);

    // Recursion must be boxed: making a recursive traversal boxes the root's coroutine (one
    // allocation); each child's box comes as it is visited (counted in `tree_allocs.rs`). What the
    // caller holds is the box: a fat pointer, two words.
    for row in [&tree[0], &tree[1]] {
        assert_eq!((row.inline, row.allocations), (2 * word, 1), "{row:?}");
    }

    // A `genawaiter::rc` generator is two pointers (its shared airlock and its pinned future), and
    // making one allocates both: the `Rc` and the `Box`.
    for row in [&counter[2], &fib[2], &say[2], &send[1], &chain[2], &tree[2]] {
        assert_eq!((row.inline, row.allocations), (2 * word, 2), "{row:?}");
    }
}
