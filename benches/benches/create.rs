//! `create`: the cost of creating a coroutine, running it to completion (one suspension, two
//! resumes) and dropping it, for every style side by side, with a thread's spawn + join for scale.
#![feature(coroutine_trait)]

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::thread;
use std::time::Duration;

use benches::create::{create_fresh, create_pooled, create_pooled_drop_suspended};
use benches::identity;
use common::style::Style;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use genawaiter::GeneratorState;
use stackful::stacks::{SMALL_STACK_SIZE, StackPool};

/// Samples per style: criterion's default.
const SAMPLES: usize = 100;
/// Warm-up per style.
const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per style; the slowest subject (thread spawn + join, tens of microseconds) still
/// gets tens of thousands of iterations.
const MEASUREMENT: Duration = Duration::from_secs(3);

/// Resumes a native coroutine with 1, then 0, and sums what it yields and returns (2 + 3), as
/// `benches::create`'s subjects do for corosensei.
fn drive_native<C: Coroutine<u64, Yield = u64, Return = u64>>(mut co: Pin<&mut C>) -> u64 {
    let value = |s| match s {
        CoroutineState::Yielded(x) | CoroutineState::Complete(x) => x,
    };
    value(co.as_mut().resume(black_box(1))) + value(co.as_mut().resume(black_box(0)))
}

/// The same two resumes for a genawaiter generator, given its `resume_with`.
fn drive_genawaiter(mut resume_with: impl FnMut(u64) -> GeneratorState<u64, u64>) -> u64 {
    let value = |s| match s {
        GeneratorState::Yielded(x) | GeneratorState::Complete(x) => x,
    };
    value(resume_with(black_box(1))) + value(resume_with(black_box(0)))
}

fn create(c: &mut Criterion) {
    let mut g = c.benchmark_group("create");
    g.sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .throughput(Throughput::Elements(1));

    // The coroutine's state lives in the caller's frame: creating it is writing a few words.
    g.bench_function(Style::NativePinned.name(), |b| {
        b.iter(|| drive_native(std::pin::pin!(identity::native_once())));
    });

    // `black_box` on the box keeps the compiler from proving the allocation unused.
    g.bench_function(Style::NativeBoxed.name(), |b| {
        b.iter(|| drive_native(black_box(Box::pin(identity::native_once())).as_mut()));
    });

    g.bench_function(Style::GenawaiterStack.name(), |b| {
        b.iter(|| {
            genawaiter::stack::let_gen_using!(generator, identity::genawaiter_stack_once);
            drive_genawaiter(|x| generator.resume_with(x))
        });
    });

    g.bench_function(Style::GenawaiterRc.name(), |b| {
        b.iter(|| {
            let mut generator = genawaiter::rc::Gen::new(identity::genawaiter_rc_once);
            drive_genawaiter(|x| generator.resume_with(x))
        });
    });

    g.bench_function(Style::GenawaiterSync.name(), |b| {
        b.iter(|| {
            let mut generator = genawaiter::sync::Gen::new(identity::genawaiter_sync_once);
            drive_genawaiter(|x| generator.resume_with(x))
        });
    });

    // mmap + mprotect of a stack (the guard page), page faults on first touch, munmap on drop.
    g.bench_function(Style::CorosenseiFresh.name(), |b| {
        b.iter(|| create_fresh(black_box(SMALL_STACK_SIZE)).ok());
    });

    // The same coroutine on a stack from a warm pool: no system call.
    g.bench_function(Style::CorosenseiPooled.name(), |b| {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        b.iter(|| create_pooled(&mut pool).ok());
    });

    // Dropped while suspended: the pool recovers the stack by a forced unwind of the coroutine.
    g.bench_function(Style::CorosenseiPooledDropSuspended.name(), |b| {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        b.iter(|| create_pooled_drop_suspended(&mut pool).ok());
    });

    g.bench_function(Style::Thread.name(), |b| {
        b.iter(|| thread::spawn(|| black_box(1u64)).join().ok());
    });

    g.finish();
}

criterion_group!(benches, create);
criterion_main!(benches);
