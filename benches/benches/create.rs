//! `create`: the cost of creating a coroutine, resuming it once to completion and dropping it,
//! for every style side by side, with an OS thread's spawn + join for scale.
#![feature(coroutine_trait)]

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::pin;
use std::thread;
use std::time::Duration;

use benches::identity;
use corosensei::CoroutineResult;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genawaiter::GeneratorState;

/// Samples per style: criterion's default.
const SAMPLES: usize = 100;
/// Warm-up per style.
const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per style; the slowest subject (thread spawn + join, tens of microseconds) still
/// gets tens of thousands of iterations.
const MEASUREMENT: Duration = Duration::from_secs(3);

fn native_result(state: CoroutineState<u64, u64>) -> u64 {
    match state {
        CoroutineState::Complete(x) | CoroutineState::Yielded(x) => x,
    }
}

fn genawaiter_result(state: GeneratorState<u64, u64>) -> u64 {
    match state {
        GeneratorState::Complete(x) | GeneratorState::Yielded(x) => x,
    }
}

fn corosensei_result(result: CoroutineResult<u64, u64>) -> u64 {
    match result {
        CoroutineResult::Return(x) | CoroutineResult::Yield(x) => x,
    }
}

fn create(c: &mut Criterion) {
    let mut g = c.benchmark_group("create");
    g.sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .throughput(Throughput::Elements(1));

    // The coroutine's state lives in the caller's frame: creating it is writing a few words.
    g.bench_function("native-pinned", |b| {
        b.iter(|| {
            let mut co = pin!(identity::native_once());
            native_result(co.as_mut().resume(black_box(1)))
        });
    });

    // `black_box` on the box keeps the compiler from proving the allocation unused.
    g.bench_function("native-boxed", |b| {
        b.iter(|| {
            let mut co = black_box(Box::pin(identity::native_once()));
            native_result(co.as_mut().resume(black_box(1)))
        });
    });

    g.bench_function("genawaiter-stack", |b| {
        b.iter(|| {
            genawaiter::stack::let_gen_using!(generator, identity::genawaiter_stack_once);
            genawaiter_result(generator.resume_with(black_box(1)))
        });
    });

    g.bench_function("genawaiter-rc", |b| {
        b.iter(|| {
            let mut generator = genawaiter::rc::Gen::new(identity::genawaiter_rc_once);
            genawaiter_result(generator.resume_with(black_box(1)))
        });
    });

    g.bench_function("genawaiter-sync", |b| {
        b.iter(|| {
            let mut generator = genawaiter::sync::Gen::new(identity::genawaiter_sync_once);
            genawaiter_result(generator.resume_with(black_box(1)))
        });
    });

    // mmap + mprotect of a 1 MiB stack, a page fault on first touch, munmap on drop.
    g.bench_function("corosensei-fresh", |b| {
        b.iter(|| {
            let mut co = identity::corosensei_once();
            corosensei_result(co.resume(black_box(1)))
        });
    });

    g.bench_function("thread", |b| {
        b.iter(|| thread::spawn(|| black_box(1u64)).join().ok());
    });

    g.finish();
}

criterion_group!(benches, create);
criterion_main!(benches);
