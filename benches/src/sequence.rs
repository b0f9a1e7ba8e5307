//! The `fib` and `counter` groups: the same endless sequence in every flavour of both crates,
//! each benchmark pulling `n` values, so the report shows what one value costs in each style.
//! Written once here; `benches/fib.rs` and `benches/counter.rs` pass their subjects in.
//!
//! The four stackless flavours are resumed alike, as a scheduler resumes a coroutine: each is a
//! [`Handle`] (a `Pin<&mut dyn Coroutine>` behind `black_box`) to a subject held at the start of
//! a cache line ([`Slot`]), so every value costs one call the compiler cannot inline and one
//! read and write of the subject's state, at the same place in its line for every style.

use std::convert::Infallible;
use std::hint::black_box;
use std::io;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::time::Duration;

use common::style::Style;
use corosensei::CoroutineResult;
use corosensei::stack::DefaultStack;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, Throughput};
use stackless::flavour::Genawaiter;

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

/// A stackless sequence as a scheduler holds it: pinned and its type erased, so resuming it is a
/// call through its vtable that the compiler cannot inline into the loop. The native coroutine
/// is one as it is; the hand-written state machine, the `gen` block and the `genawaiter`
/// generator become one through [`Endless`] and [`Genawaiter`].
pub type Handle<'a> = Pin<&'a mut dyn Coroutine<Yield = u64, Return = Infallible>>;

/// An endless iterator (the hand-written state machine, a `gen` block) as a coroutine of the
/// [`Handle`]'s type: `resume(())` is `next()`.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::{Coroutine, CoroutineState};
/// use std::pin::Pin;
/// let mut fib = benches::sequence::Endless(stackless::manual::Fib::new());
/// Pin::new(&mut fib).resume(());
/// assert_eq!(Pin::new(&mut fib).resume(()), CoroutineState::Yielded(1));
/// ```
#[derive(Debug, Clone)]
pub struct Endless<I>(pub I);

impl<I: Iterator<Item = u64> + Unpin> Coroutine for Endless<I> {
    type Yield = u64;
    type Return = Infallible;

    /// # Panics
    ///
    /// If the iterator ends: the sequences measured here never do.
    fn resume(self: Pin<&mut Self>, (): ()) -> CoroutineState<u64, Infallible> {
        match self.get_mut().0.next() {
            Some(v) => CoroutineState::Yielded(v),
            None => panic!("an endless sequence ended"),
        }
    }
}

/// Where a benchmark keeps a stackless subject while it is timed: at the start of a cache line,
/// whatever the subject, so every style's state sits at the same offset in its line.
///
/// Left where the benchmark's frame puts it, a subject's state sits at an offset that each build's
/// frame layout decides, differently for each style, and the same code can cost 1.5x as much at
/// one offset as at another: on the AMD EPYC VM, the Fibonacci loop inlined into the benchmark
/// (as it was before the [`Handle`]) took 0.82 ns a value with `a` and `b` on either side of a
/// 32-byte boundary against 0.55 ns at any other offset, for the native coroutine and the
/// hand-written state machine alike (benches/README.md, Targets).
#[derive(Debug)]
#[repr(align(64))]
pub struct Slot<C>(C);

impl<C: Coroutine<Yield = u64, Return = Infallible> + Unpin> Slot<C> {
    /// Holds `co` at the start of a cache line.
    pub fn new(co: C) -> Self {
        Slot(co)
    }

    /// The subject as a [`Handle`], passed through `black_box` so the compiler cannot see which
    /// coroutine it resumes.
    pub fn handle(&mut self) -> Handle<'_> {
        let co: Pin<&mut C> = Pin::new(&mut self.0);
        black_box(co)
    }
}

/// Pulls `n` values through `co`, each through `black_box` so none is folded away; returns the
/// last. A sequence takes no input, so what chains one resume to the next is the coroutine's
/// state: each resume reads the state the one before wrote.
pub fn take(mut co: Handle<'_>, n: u64) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        match co.as_mut().resume(()) {
            CoroutineState::Yielded(v) => last = black_box(v),
            CoroutineState::Complete(never) => match never {},
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

/// Registers `style`'s benchmark pulling `n` values from a subject `make` returns, held in a
/// [`Slot`] and resumed through its [`Handle`].
fn bench_stackless<C>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    style: Style,
    n: u64,
    make: impl Fn() -> C,
) where
    C: Coroutine<Yield = u64, Return = Infallible> + Unpin,
{
    g.bench_with_input(BenchmarkId::new(style.name(), n), &n, |b, &n| {
        let mut slot = Slot::new(make());
        let mut co = slot.handle();
        b.iter(|| take(co.as_mut(), n));
    });
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
    GI: Iterator<Item = u64> + Unpin,
    A: Fn() -> genawaiter::rc::Gen<u64, (), AF>,
    AF: Future<Output = Infallible>,
    M: Fn() -> MI,
    MI: Iterator<Item = u64> + Unpin,
    S: Fn() -> io::Result<corosensei::Coroutine<(), u64, Infallible, DefaultStack>>,
{
    let mut g = c.benchmark_group(name);
    g.warm_up_time(WARM_UP).measurement_time(MEASUREMENT);
    for n in LENGTHS {
        g.throughput(Throughput::Elements(n));
        bench_stackless(&mut g, Style::Manual, n, || Endless((subjects.manual)()));
        bench_stackless(&mut g, Style::Native, n, &subjects.native);
        bench_stackless(&mut g, Style::Gen, n, || Endless((subjects.gen_block)()));
        bench_stackless(&mut g, Style::Genawaiter, n, || {
            Genawaiter((subjects.genawaiter)())
        });
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
        let mut native = Slot::new(stackless::fib::native());
        let mut gen_block = Slot::new(Endless(stackless::fib::gen_block()));
        let mut genawaiter = Slot::new(Genawaiter(stackless::fib::genawaiter()));
        let mut manual = Slot::new(Endless(stackless::manual::Fib::new()));
        let mut co = stackful::fib::coroutine().expect("a coroutine stack");
        let mut last = [0; 5];
        for _ in 0..3 {
            last = [
                take(native.handle(), 30),
                take(gen_block.handle(), 30),
                take(genawaiter.handle(), 30),
                take(manual.handle(), 30),
                take_corosensei(&mut co, 30),
            ];
        }
        assert_eq!(last, [want; 5]);
    }

    #[test]
    fn counters_continue_where_they_stopped() {
        let mut native = Slot::new(stackless::counter::native());
        let mut manual = Slot::new(Endless(stackless::manual::Counter::new()));
        let mut co = stackful::counter::coroutine().expect("a coroutine stack");
        assert_eq!(take(native.handle(), 10), 9);
        assert_eq!(take(native.handle(), 10), 19);
        assert_eq!(take(manual.handle(), 10), 9);
        assert_eq!(take(manual.handle(), 10), 19);
        assert_eq!(take_corosensei(&mut co, 10), 9);
        assert_eq!(take_corosensei(&mut co, 10), 19);
    }

    /// Where the resumed state starts in its cache line.
    fn offset_in_line(co: Handle<'_>) -> usize {
        std::ptr::from_ref(&*co).cast::<u8>().addr() % 64
    }

    #[test]
    fn every_subject_starts_a_cache_line() {
        let mut manual = Slot::new(Endless(stackless::manual::Fib::new()));
        let mut native = Slot::new(stackless::fib::native());
        let mut gen_block = Slot::new(Endless(stackless::fib::gen_block()));
        let mut genawaiter = Slot::new(Genawaiter(stackless::fib::genawaiter()));
        assert_eq!(offset_in_line(manual.handle()), 0);
        assert_eq!(offset_in_line(native.handle()), 0);
        assert_eq!(offset_in_line(gen_block.handle()), 0);
        assert_eq!(offset_in_line(genawaiter.handle()), 0);
    }

    #[test]
    #[should_panic(expected = "an endless sequence ended")]
    fn an_iterator_that_ends_is_no_endless_sequence() {
        let mut empty = Slot::new(Endless(std::iter::empty()));
        take(empty.handle(), 1);
    }
}
