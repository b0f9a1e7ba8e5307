//! `tree`: in-order traversal of complete binary trees of depth 4, 8, 12 and 16 (15 to 65,535
//! nodes): stackless boxed delegation, stackless explicit stack, stackful recursion; how the cost
//! of a value grows with the depth it comes from.

use std::hint::black_box;
use std::time::Duration;

use common::style::Style;
use common::tree::Node;
use corosensei::stack::DefaultStack;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Tree depths: the tree has `2^depth - 1` nodes.
const DEPTHS: [u32; 4] = [4, 8, 12, 16];
/// Warm-up per benchmark.
const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per benchmark; depth 16 takes milliseconds per traversal, so 3 s still gives
/// hundreds of traversals.
const MEASUREMENT: Duration = Duration::from_secs(3);

fn tree(c: &mut Criterion) {
    let mut g = c.benchmark_group("tree");
    g.warm_up_time(WARM_UP).measurement_time(MEASUREMENT);
    for depth in DEPTHS {
        let root = Node::complete(depth);
        g.throughput(Throughput::Elements(root.len() as u64));

        // One boxed coroutine per node, each value passed up through every level above it.
        g.bench_with_input(
            BenchmarkId::new(Style::StacklessBoxed.name(), depth),
            &root,
            |b, root| {
                b.iter(|| {
                    stackless::tree::drain_native(stackless::tree::native(root), |v| {
                        black_box(v);
                    })
                });
            },
        );

        // One coroutine, a `Vec` of pending steps: O(1) per value.
        g.bench_with_input(
            BenchmarkId::new(Style::StacklessExplicitStack.name(), depth),
            &root,
            |b, root| {
                b.iter(|| {
                    stackless::tree::drain_native(
                        stackless::tree::native_explicit_stack(root),
                        |v| {
                            black_box(v);
                        },
                    )
                });
            },
        );

        // Plain recursion on the coroutine's own stack. The stack is mapped once, outside the
        // timing, and reused by every traversal (as a pool would): mapping it is the `create`
        // group's business.
        match DefaultStack::new(stackful::tree::stack_size_for_depth(root.depth())) {
            Ok(mut stack) => {
                g.bench_with_input(
                    BenchmarkId::new(Style::StackfulRecursion.name(), depth),
                    &root,
                    |b, root| {
                        b.iter(|| {
                            stackful::tree::drain(
                                stackful::tree::coroutine_on(root, &mut stack),
                                |v| {
                                    black_box(v);
                                },
                            )
                        });
                    },
                );
            }
            Err(e) => eprintln!(
                "tree/{}/{depth} skipped: no stack: {e}",
                Style::StackfulRecursion
            ),
        }
    }
    g.finish();
}

criterion_group!(benches, tree);
criterion_main!(benches);
