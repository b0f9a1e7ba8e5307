//! `switch`: the cost of one resume/suspend round trip of an identity coroutine, for every style
//! side by side, with an OS-thread ping-pong for scale.
#![feature(coroutine_trait)]

use std::cell::Cell;
use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::pin;
use std::time::Duration;

use benches::identity;
use common::style::Style;
use corosensei::CoroutineResult;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genawaiter::GeneratorState;

/// Samples per style: criterion's default.
const SAMPLES: usize = 100;
/// Warm-up per style.
const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per style: round trips take nanoseconds (microseconds for threads), so 3 s gives
/// millions of iterations.
const MEASUREMENT: Duration = Duration::from_secs(3);

fn switch(c: &mut Criterion) {
    let mut g = c.benchmark_group("switch");
    g.sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .throughput(Throughput::Elements(1));

    g.bench_function(Style::Manual.name(), |b| {
        let mut m = identity::ManualIdentity::default();
        b.iter(|| m.resume(black_box(1)));
    });

    g.bench_function(Style::Native.name(), |b| {
        let mut co = pin!(identity::native());
        b.iter(|| match co.as_mut().resume(black_box(1)) {
            CoroutineState::Yielded(x) => x,
            CoroutineState::Complete(()) => unreachable!("the identity coroutine never returns"),
        });
    });

    g.bench_function(Style::Gen.name(), |b| {
        let input = Cell::new(0);
        let mut it = identity::gen_block(&input);
        b.iter(|| {
            input.set(black_box(1));
            it.next()
        });
    });

    g.bench_function(Style::GenawaiterStack.name(), |b| {
        genawaiter::stack::let_gen_using!(generator, identity::genawaiter_stack);
        // The first resume only starts the producer.
        generator.resume_with(0);
        b.iter(|| match generator.resume_with(black_box(1)) {
            GeneratorState::Yielded(x) => x,
            GeneratorState::Complete(()) => unreachable!("the identity producer never returns"),
        });
    });

    g.bench_function(Style::GenawaiterRc.name(), |b| {
        let mut generator = genawaiter::rc::Gen::new(identity::genawaiter_rc);
        generator.resume_with(0);
        b.iter(|| match generator.resume_with(black_box(1)) {
            GeneratorState::Yielded(x) => x,
            GeneratorState::Complete(()) => unreachable!("the identity producer never returns"),
        });
    });

    g.bench_function(Style::GenawaiterSync.name(), |b| {
        let mut generator = genawaiter::sync::Gen::new(identity::genawaiter_sync);
        generator.resume_with(0);
        b.iter(|| match generator.resume_with(black_box(1)) {
            GeneratorState::Yielded(x) => x,
            GeneratorState::Complete(()) => unreachable!("the identity producer never returns"),
        });
    });

    g.bench_function(Style::Corosensei.name(), |b| {
        let mut co = identity::corosensei();
        b.iter(|| match co.resume(black_box(1)) {
            CoroutineResult::Yield(x) => x,
            CoroutineResult::Return(()) => unreachable!("the identity coroutine never returns"),
        });
    });

    g.bench_function(Style::Thread.name(), |b| {
        let mut echo = identity::ThreadEcho::spawn();
        b.iter(|| echo.round_trip(black_box(1)));
    });

    g.finish();
}

criterion_group!(benches, switch);
criterion_main!(benches);
