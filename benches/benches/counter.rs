//! `counter`: what one value of the counter costs in every flavour of both crates (`manual` is the
//! limit), pulling 10, 100 and 1,000 values per iteration.

use benches::sequence::{Subjects, bench_group};
use criterion::{Criterion, criterion_group, criterion_main};

fn counter(c: &mut Criterion) {
    let subjects = Subjects {
        native: stackless::counter::native,
        gen_block: stackless::counter::gen_block,
        genawaiter: stackless::counter::genawaiter,
        manual: stackless::manual::Counter::new,
        stackful: stackful::counter::coroutine,
    };
    if let Err(e) = bench_group(c, "counter", subjects) {
        eprintln!("counter: stackful subject skipped, its stack could not be mapped: {e}");
    }
}

criterion_group!(benches, counter);
criterion_main!(benches);
