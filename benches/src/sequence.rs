//! The `fib` and `counter` groups: the same endless sequence in every flavour of both crates,
//! each benchmark pulling `n` values, so the report shows what one value costs in each style.
//! Written once here; `benches/fib.rs` and `benches/counter.rs` pass their subjects in.

use std::convert::Infallible;
use std::hint::black_box;
use std::io;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::time::Duration;

use common::style::Style;
use corosensei::CoroutineResult;
use corosensei::stack::DefaultStack;
use criterion::{BenchmarkId, Criterion, Throughput};
use genawaiter::GeneratorState;

/// How many values each benchmark pulls per iteration: the demos' 10, and two longer runs where
/// the per-iteration overhead of the harness fades.
pub const LENGTHS: [u64; 3] = [10, 100, 1_000];
/// Warm-up per benchmark.
pub const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per benchmark (15 per group).
pub const MEASUREMENT: Duration = Duration::from_secs(2);

/// One sequence written in every style: constructors from the demo modules.
pub struct Subjects<N, G, A, M, S> {
    /// `stackless::X::native`.
    pub native: N,
    /// `stackless::X::gen_block`.
    pub gen_block: G,
    /// `stackless::X::genawaiter`.
    pub genawaiter: A,
    /// The hand-written state machine's constructor (`stackless::manual::X::new`).
    pub manual: M,
    /// `stackful::X::coroutine`.
    pub stackful: S,
}

/// Pulls `n` values from a native coroutine; each value goes through `black_box` so none is
/// folded away. Returns the last value.
pub fn take_native<C>(mut co: Pin<&mut C>, n: u64) -> u64
where
    C: Coroutine<Yield = u64, Return = Infallible>,
{
    let mut last = 0;
    for _ in 0..n {
        match co.as_mut().resume(()) {
            CoroutineState::Yielded(v) => last = black_box(v),
            CoroutineState::Complete(never) => match never {},
        }
    }
    last
}

/// Pulls `n` values from an endless iterator (`gen` blocks, the manual state machines).
pub fn take_iter(it: &mut impl Iterator<Item = u64>, n: u64) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        if let Some(v) = it.next() {
            last = black_box(v);
        }
    }
    last
}

/// Pulls `n` values from an endless `genawaiter` generator.
pub fn take_genawaiter<F>(generator: &mut genawaiter::rc::Gen<u64, (), F>, n: u64) -> u64
where
    F: Future<Output = Infallible>,
{
    let mut last = 0;
    for _ in 0..n {
        match generator.resume() {
            GeneratorState::Yielded(v) => last = black_box(v),
            GeneratorState::Complete(never) => match never {},
        }
    }
    last
}

/// Pulls `n` values from an endless `corosensei` coroutine.
pub fn take_corosensei(
    co: &mut corosensei::Coroutine<(), u64, Infallible, DefaultStack>,
    n: u64,
) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        match co.resume(()) {
            CoroutineResult::Yield(v) => last = black_box(v),
            CoroutineResult::Return(never) => match never {},
        }
    }
    last
}

/// Registers group `name`: for each length in [`LENGTHS`], every style pulls that many values
/// from one coroutine made before the timing starts (creation is the `create` group's business;
/// the sequences wrap, so they never run out).
///
/// # Errors
///
/// The stackful coroutine's stack could not be mapped.
pub fn bench_group<N, NC, G, GI, A, AF, M, MI, S>(
    c: &mut Criterion,
    name: &str,
    subjects: Subjects<N, G, A, M, S>,
) -> io::Result<()>
where
    N: Fn() -> NC,
    NC: Coroutine<Yield = u64, Return = Infallible> + Unpin,
    G: Fn() -> GI,
    GI: Iterator<Item = u64>,
    A: Fn() -> genawaiter::rc::Gen<u64, (), AF>,
    AF: Future<Output = Infallible>,
    M: Fn() -> MI,
    MI: Iterator<Item = u64>,
    S: Fn() -> io::Result<corosensei::Coroutine<(), u64, Infallible, DefaultStack>>,
{
    let mut g = c.benchmark_group(name);
    g.warm_up_time(WARM_UP).measurement_time(MEASUREMENT);
    for n in LENGTHS {
        g.throughput(Throughput::Elements(n));
        g.bench_with_input(BenchmarkId::new(Style::Manual.name(), n), &n, |b, &n| {
            let mut it = (subjects.manual)();
            b.iter(|| take_iter(&mut it, n));
        });
        g.bench_with_input(BenchmarkId::new(Style::Native.name(), n), &n, |b, &n| {
            let mut co = (subjects.native)();
            b.iter(|| take_native(Pin::new(&mut co), n));
        });
        g.bench_with_input(BenchmarkId::new(Style::Gen.name(), n), &n, |b, &n| {
            let mut it = (subjects.gen_block)();
            b.iter(|| take_iter(&mut it, n));
        });
        g.bench_with_input(
            BenchmarkId::new(Style::Genawaiter.name(), n),
            &n,
            |b, &n| {
                let mut generator = (subjects.genawaiter)();
                b.iter(|| take_genawaiter(&mut generator, n));
            },
        );
        let mut co = (subjects.stackful)()?;
        g.bench_with_input(
            BenchmarkId::new(Style::Corosensei.name(), n),
            &n,
            |b, &n| {
                b.iter(|| take_corosensei(&mut co, n));
            },
        );
    }
    g.finish();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_pulls_the_same_fib_values() {
        // The 90th value, F(89), pulled as 3 batches of 30.
        let want = 1_779_979_416_004_714_189;
        let mut native = stackless::fib::native();
        let mut it = stackless::fib::gen_block();
        let mut generator = stackless::fib::genawaiter();
        let mut manual = stackless::manual::Fib::new();
        let mut co = stackful::fib::coroutine().expect("a coroutine stack");
        let mut last = [0; 5];
        for _ in 0..3 {
            last = [
                take_native(Pin::new(&mut native), 30),
                take_iter(&mut it, 30),
                take_genawaiter(&mut generator, 30),
                take_iter(&mut manual, 30),
                take_corosensei(&mut co, 30),
            ];
        }
        assert_eq!(last, [want; 5]);
    }

    #[test]
    fn counters_continue_where_they_stopped() {
        let mut native = stackless::counter::native();
        let mut co = stackful::counter::coroutine().expect("a coroutine stack");
        assert_eq!(take_native(Pin::new(&mut native), 10), 9);
        assert_eq!(take_native(Pin::new(&mut native), 10), 19);
        assert_eq!(take_corosensei(&mut co, 10), 9);
        assert_eq!(take_corosensei(&mut co, 10), 19);
    }
}
