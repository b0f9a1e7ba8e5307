//! `create`: the cost of creating a coroutine, running it to completion (one suspension, two
//! resumes) and dropping it, for every style side by side, with a thread's spawn + join for scale.
//!
//! Each coroutine is resumed through a handle the compiler cannot see through (a `dyn Coroutine`
//! for the native ones and the hand-written state machine, the genawaiter handle behind
//! `black_box`; a corosensei coroutine is resumed by a stack switch in assembly, which no compiler
//! sees through), and each creation's result is the next one's input, so no creation can be folded
//! into a constant.
#![feature(coroutine_trait)]

use std::hint::black_box;
use std::ops::{Coroutine, CoroutineState};
use std::pin::{Pin, pin};
use std::thread;
use std::time::Duration;

use benches::create::{create_fresh, create_pooled, create_pooled_drop_suspended};
use benches::identity::{self, Handle};
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

/// Keeps the value carried from one creation to the next small (the same mask for every style).
const CARRY: u64 = 1023;

/// Resumes a coroutine with `x`, then 0, and sums what it yields and returns (2x + 3), as
/// `benches::create`'s subjects do for corosensei.
fn drive_native(mut co: Pin<&mut dyn Coroutine<u64, Yield = u64, Return = u64>>, x: u64) -> u64 {
    let value = |s| match s {
        CoroutineState::Yielded(v) | CoroutineState::Complete(v) => v,
    };
    value(co.as_mut().resume(x)) + value(co.as_mut().resume(0))
}

/// The same two resumes for a genawaiter generator, given its `resume_with`.
fn drive_genawaiter(mut resume_with: impl FnMut(u64) -> GeneratorState<u64, u64>, x: u64) -> u64 {
    let value = |s| match s {
        GeneratorState::Yielded(v) | GeneratorState::Complete(v) => v,
    };
    value(resume_with(x)) + value(resume_with(0))
}

fn create(c: &mut Criterion) {
    let mut g = c.benchmark_group("create");
    g.sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .throughput(Throughput::Elements(1));

    // The hand-written twin of `native_once`, boxed and held as a `dyn Coroutine`.
    g.bench_function(Style::Manual.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            let mut co: Handle<u64> = black_box(Box::pin(identity::ManualOnce::default()));
            x = drive_native(co.as_mut(), x) & CARRY;
            x
        });
    });

    // The coroutine's state lives in the caller's frame: creating it is writing a few words.
    g.bench_function(Style::NativePinned.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            let co: Pin<&mut dyn Coroutine<u64, Yield = u64, Return = u64>> =
                pin!(identity::native_once());
            x = drive_native(black_box(co), x) & CARRY;
            x
        });
    });

    // `black_box` on the box keeps the compiler from proving the allocation unused.
    g.bench_function(Style::NativeBoxed.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            let mut co: Handle<u64> = black_box(Box::pin(identity::native_once()));
            x = drive_native(co.as_mut(), x) & CARRY;
            x
        });
    });

    g.bench_function(Style::GenawaiterStack.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            genawaiter::stack::let_gen_using!(generator, identity::genawaiter_stack_once);
            // the macro binds a `&mut Gen` to the generator it pins on the stack
            let h = black_box(generator);
            x = drive_genawaiter(|v| h.resume_with(v), x) & CARRY;
            x
        });
    });

    g.bench_function(Style::GenawaiterRc.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            let mut generator = genawaiter::rc::Gen::new(identity::genawaiter_rc_once);
            let h = black_box(&mut generator);
            x = drive_genawaiter(|v| h.resume_with(v), x) & CARRY;
            x
        });
    });

    g.bench_function(Style::GenawaiterSync.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            let mut generator = genawaiter::sync::Gen::new(identity::genawaiter_sync_once);
            let h = black_box(&mut generator);
            x = drive_genawaiter(|v| h.resume_with(v), x) & CARRY;
            x
        });
    });

    // mmap + mprotect of a stack (the guard page), page faults on first touch, munmap on drop.
    g.bench_function(Style::CorosenseiFresh.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            x = create_fresh(black_box(SMALL_STACK_SIZE), x).expect("a fresh stack") & CARRY;
            x
        });
    });

    // The same coroutine on a stack from a warm pool: no system call.
    g.bench_function(Style::CorosenseiPooled.name(), |b| {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        let mut x = 0u64;
        b.iter(|| {
            x = create_pooled(black_box(&mut pool), x).expect("a pooled stack") & CARRY;
            x
        });
    });

    // Dropped while suspended: the pool recovers the stack by a forced unwind of the coroutine.
    g.bench_function(Style::CorosenseiPooledDropSuspended.name(), |b| {
        let mut pool = StackPool::new(SMALL_STACK_SIZE);
        let mut x = 0u64;
        b.iter(|| {
            x = create_pooled_drop_suspended(black_box(&mut pool), x).expect("a pooled stack")
                & CARRY;
            x
        });
    });

    g.bench_function(Style::Thread.name(), |b| {
        let mut x = 0u64;
        b.iter(|| {
            let input = x;
            x = thread::spawn(move || black_box(input) + 1)
                .join()
                .unwrap_or_default()
                & CARRY;
            x
        });
    });

    g.finish();
}

criterion_group!(benches, create);
criterion_main!(benches);
