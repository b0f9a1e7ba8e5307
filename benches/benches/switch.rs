//! `switch`: the cost of one resume/suspend round trip of an identity coroutine, for every style
//! side by side, with an OS-thread ping-pong for scale.
//!
//! Every subject is resumed the way a scheduler resumes it: through a handle the compiler cannot
//! see through (a `Pin<Box<dyn Coroutine>>` for the native coroutine and the hand-written state
//! machine alike, a `&mut dyn Iterator` for the `gen` block, the genawaiter and corosensei handles
//! behind `black_box`), and each output, plus one, is the next input, so no resume can be folded
//! away or overlapped with the next. `scripts/switch-asm.sh` prints the generated loops.
#![feature(coroutine_trait)]

use std::cell::Cell;
use std::hint::black_box;
use std::ops::CoroutineState;
use std::time::Duration;

use benches::identity::{self, Handle};
use common::affinity;
use common::pingpong::ThreadEcho;
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

/// What a genawaiter identity producer yielded.
fn yielded(s: GeneratorState<u64, ()>) -> u64 {
    match s {
        GeneratorState::Yielded(y) => y,
        GeneratorState::Complete(()) => unreachable!("the identity producers never return"),
    }
}

/// One resume through a handle: what it yields.
fn resume(h: &mut Handle<()>, x: u64) -> u64 {
    match h.as_mut().resume(x) {
        CoroutineState::Yielded(y) => y,
        CoroutineState::Complete(()) => unreachable!("the identity coroutines never return"),
    }
}

fn switch(c: &mut Criterion) {
    let mut g = c.benchmark_group("switch");
    g.sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT)
        .throughput(Throughput::Elements(1));

    g.bench_function(Style::Manual.name(), |b| {
        let mut co: Handle<()> = Box::pin(identity::ManualIdentity::default());
        let h = black_box(&mut co);
        let mut x = 0u64;
        b.iter(|| {
            x = resume(h, x).wrapping_add(1);
            x
        });
    });

    g.bench_function(Style::Native.name(), |b| {
        let mut co: Handle<()> = Box::pin(identity::native());
        let h = black_box(&mut co);
        let mut x = 0u64;
        b.iter(|| {
            x = resume(h, x).wrapping_add(1);
            x
        });
    });

    g.bench_function(Style::Gen.name(), |b| {
        let input = Cell::new(0);
        let mut it = identity::gen_block(&input);
        let h: &mut dyn Iterator<Item = u64> = black_box(&mut it);
        let mut x = 0u64;
        b.iter(|| {
            input.set(x);
            x = h.next().unwrap_or_default().wrapping_add(1);
            x
        });
    });

    g.bench_function(Style::GenawaiterStack.name(), |b| {
        genawaiter::stack::let_gen_using!(generator, identity::genawaiter_stack);
        // the macro binds a `&mut Gen` to the generator it pins on the stack
        let h = black_box(generator);
        // The first resume only starts the producer.
        h.resume_with(0);
        let mut x = 0u64;
        b.iter(|| {
            x = yielded(h.resume_with(x)).wrapping_add(1);
            x
        });
    });

    g.bench_function(Style::GenawaiterRc.name(), |b| {
        let mut generator = genawaiter::rc::Gen::new(identity::genawaiter_rc);
        let h = black_box(&mut generator);
        h.resume_with(0);
        let mut x = 0u64;
        b.iter(|| {
            x = yielded(h.resume_with(x)).wrapping_add(1);
            x
        });
    });

    g.bench_function(Style::GenawaiterSync.name(), |b| {
        let mut generator = genawaiter::sync::Gen::new(identity::genawaiter_sync);
        let h = black_box(&mut generator);
        h.resume_with(0);
        let mut x = 0u64;
        b.iter(|| {
            x = yielded(h.resume_with(x)).wrapping_add(1);
            x
        });
    });

    g.bench_function(Style::Corosensei.name(), |b| {
        let mut co = identity::corosensei();
        let h = black_box(&mut co);
        let mut x = 0u64;
        b.iter(|| {
            x = match h.resume(x) {
                CoroutineResult::Yield(y) => y.wrapping_add(1),
                CoroutineResult::Return(()) => unreachable!("the coroutine never returns"),
            };
            x
        });
    });

    // The comparison's thread round trip (a pipe ping-pong), with both threads pinned to one CPU:
    // the context switch itself, not a wake-up across cores.
    g.bench_function(Style::Thread.name(), |b| {
        let cpu = affinity::allowed_cpus()
            .ok()
            .and_then(|c| c.first().copied());
        let _pin = cpu.and_then(|c| affinity::pin_current_thread(c).ok());
        let mut echo = ThreadEcho::spawn(cpu).expect("an echo thread");
        let mut x = 0u32;
        b.iter(|| {
            x = echo.round_trip(x).map_or(0, |r| r.value);
            x
        });
    });

    g.finish();
}

criterion_group!(benches, switch);
criterion_main!(benches);
