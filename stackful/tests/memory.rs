//! Memory per stackful coroutine, measured and bounded: the `Coroutine` value itself, what making
//! it takes from the heap, the stack it maps, how much of that stack it touches (high-water mark),
//! and how many of the stack's pages are resident once it has run and is suspended.
//! Run with `cargo test -p stackful --test memory -- --nocapture` to see the table.

use std::fs::File;
use std::io;
use std::mem::size_of_val;
use std::os::unix::fs::FileExt;

use common::alloc_count::CountingAlloc;
use corosensei::Coroutine;
use corosensei::stack::{DefaultStack, Stack};
use stackful::stacks::measure_coroutine;
use stackful::stacks::sizes::{mapped_span, page_size};
use stackful::tree::stack::measure_traversal;
use stackful::tree::{Node, stack_size_for_depth};
use stackful::{chain, counter, fib, say, tree};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// What one coroutine costs.
#[derive(Debug)]
struct Row {
    demo: &'static str,
    /// `size_of_val` of the coroutine value.
    inline: usize,
    /// Heap allocations made while making it.
    heap_allocations: u64,
    /// The usable stack asked for.
    stack_size: usize,
    /// The whole mapping: usable part and guard page.
    mapped: usize,
    /// The stack's high-water mark, unwinding included.
    touched: usize,
    /// Pages of the usable stack in memory (or swapped out) once the coroutine is suspended.
    resident_pages: usize,
}

/// The pages of `[low, high)` that are in memory or swapped out, read from `/proc/self/pagemap`
/// (one 64-bit entry per page: bit 63 "present", bit 62 "swapped"). A page of an anonymous
/// mapping (a coroutine stack) gets there only when something first touches it.
fn resident_pages(low: usize, high: usize) -> io::Result<usize> {
    let page = page_size();
    let pagemap = File::open("/proc/self/pagemap")?;
    let mut entry = [0u8; 8];
    let mut resident = 0;
    for index in low / page..high.div_ceil(page) {
        pagemap.read_exact_at(&mut entry, (index * 8) as u64)?;
        if u64::from_ne_bytes(entry) & (0b11 << 62) != 0 {
            resident += 1;
        }
    }
    Ok(resident)
}

/// Measures the coroutine `make` builds on a `size`-byte stack, resumed with `inputs` (which must
/// leave it suspended, or finished: not dropped).
fn measure<I: Clone, Y, R>(
    demo: &'static str,
    size: usize,
    make: impl Fn(DefaultStack) -> Coroutine<I, Y, R, DefaultStack>,
    inputs: &[I],
) -> io::Result<Row> {
    let stack = DefaultStack::new(size)?;
    let (base, limit) = (stack.base().get(), stack.limit().get());
    let (mut co, heap) = CountingAlloc::measure(|| make(stack));
    for input in inputs {
        co.resume(input.clone());
    }
    let resident = resident_pages(base - size, base)?;
    let inline = size_of_val(&co);
    drop(co);
    Ok(Row {
        demo,
        inline,
        heap_allocations: heap.allocations,
        stack_size: size,
        mapped: base - limit,
        touched: measure_coroutine(size, make, inputs.iter().cloned())?,
        resident_pages: resident,
    })
}

/// [`measure`] for the tree traversal, a `ScopedCoroutine` that borrows the tree.
fn measure_tree(root: &Node, take: usize) -> io::Result<Row> {
    let size = stack_size_for_depth(root.depth());
    let stack = DefaultStack::new(size)?;
    let (base, limit) = (stack.base().get(), stack.limit().get());
    let (co, heap) = CountingAlloc::measure(|| tree::coroutine_on(root, stack));
    let inline = size_of_val(&co);
    let resident = co.scope(|mut co| {
        for _ in 0..take {
            co.resume(());
        }
        resident_pages(base - size, base)
    })?;
    Ok(Row {
        demo: "tree",
        inline,
        heap_allocations: heap.allocations,
        stack_size: size,
        mapped: base - limit,
        touched: measure_traversal(root, size, take)?,
        resident_pages: resident,
    })
}

#[test]
fn memory_per_coroutine() -> io::Result<()> {
    assert!(CountingAlloc::installed());
    let page = page_size();
    let rows = [
        measure(
            "counter",
            counter::STACK_SIZE,
            counter::coroutine_on,
            &[(); 3],
        )?,
        measure("fib", fib::STACK_SIZE, fib::coroutine_on, &[(); 10])?,
        measure("say", say::STACK_SIZE, say::coroutine_on, &[(); 3])?,
        measure("chain", chain::STACK_SIZE, chain::coroutine_on, &[(); 20])?,
        measure_tree(&Node::article(), 11)?,
    ];
    println!("demo    inline heap-allocs stack-size   mapped  touched resident-pages");
    for row in &rows {
        println!(
            "{:7} {:6} {:11} {:10} {:8} {:8} {:14}",
            row.demo,
            row.inline,
            row.heap_allocations,
            row.stack_size,
            row.mapped,
            row.touched,
            row.resident_pages
        );
    }
    for row in &rows {
        // The value is the stack (its address, length and a valgrind id: three words), the saved
        // and the initial stack pointers and the drop function, six words; ASan's fiber record
        // adds two in the sanitizer build. Everything else lives on the stack.
        let word = size_of::<usize>();
        assert!(row.inline <= word * 8, "{row:?}");
        // The stack is mmapped and the body's closure is moved onto it: no heap to make one.
        assert_eq!(row.heap_allocations, 0, "{row:?}");
        // One mapping per coroutine: the usable size in whole pages, plus the guard page.
        assert_eq!(row.mapped, mapped_span(row.stack_size), "{row:?}");
        // Each demo's stack size leaves half of it as headroom (see their `STACK_SIZE`s).
        assert!(
            row.touched > 0 && row.touched <= row.stack_size / 2,
            "{row:?}"
        );
        // A coroutine that has run has written at least its stack's top page, and only the pages
        // it touched are resident: not more than its high-water mark in whole pages (plus one,
        // for a measurement that misses bytes written with the paint value at a page boundary).
        assert!(row.resident_pages >= 1, "{row:?}");
        assert!(
            row.resident_pages <= row.touched.div_ceil(page) + 1,
            "{row:?}"
        );
        // So a suspended coroutine's memory is a few pages, whatever the size of its stack.
        assert!(row.resident_pages * page < row.stack_size, "{row:?}");
    }
    Ok(())
}
