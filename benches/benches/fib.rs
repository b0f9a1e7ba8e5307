//! `fib`: what one value of Fibonacci costs in every flavour of both crates (`manual` is the
//! limit), pulling 10, 100 and 1,000 values per iteration.

use benches::sequence::{Subjects, bench_group};
use criterion::{Criterion, criterion_group, criterion_main};

fn fib(c: &mut Criterion) {
    let subjects = Subjects {
        native: stackless::fib::native,
        gen_block: stackless::fib::gen_block,
        genawaiter: stackless::fib::genawaiter,
        manual: stackless::manual::Fib::new,
        stackful: stackful::fib::coroutine,
    };
    if let Err(e) = bench_group(c, "fib", subjects) {
        eprintln!("fib: stackful subject skipped, its stack could not be mapped: {e}");
    }
}

criterion_group!(benches, fib);
criterion_main!(benches);
