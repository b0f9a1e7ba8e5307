//! `scheduler`: tasks × steps (10 × 1,000, 1,000 × 100, 10,000 × 10, 100,000 × 1) run round-robin
//! through the article's trap-style scheduler of each crate, task creation included. The heap a
//! run grows is kept for the next (`keep_freed_memory`), as the stackful tasks' stack pool is.

use std::time::Duration;

use benches::scheduler::WORKLOADS;
use common::style::Style;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group};

/// Criterion's minimum: the first run of 100,000 stackful tasks maps 100,000 stacks (the warm-up
/// does it; the pool keeps them for the measured runs).
const SAMPLES: usize = 10;
/// Warm-up per benchmark.
const WARM_UP: Duration = Duration::from_secs(1);
/// Measurement per benchmark: 10 samples of the slowest run fit in it.
const MEASUREMENT: Duration = Duration::from_secs(4);

fn scheduler(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    g.sample_size(SAMPLES)
        .warm_up_time(WARM_UP)
        .measurement_time(MEASUREMENT);
    for (tasks, steps) in WORKLOADS {
        let id = format!("{tasks}x{steps}");
        g.throughput(Throughput::Elements((tasks * steps) as u64));
        g.bench_with_input(
            BenchmarkId::new(Style::Stackless.name(), &id),
            &(tasks, steps),
            |b, &(t, s)| {
                b.iter(|| stackless::scheduler::run_workload(t, s));
            },
        );
        g.bench_with_input(
            BenchmarkId::new(Style::StacklessGenawaiter.name(), &id),
            &(tasks, steps),
            |b, &(t, s)| b.iter(|| stackless::scheduler::genawaiter::run_workload(t, s)),
        );
        g.bench_with_input(
            BenchmarkId::new(Style::Stackful.name(), &id),
            &(tasks, steps),
            |b, &(t, s)| {
                b.iter(|| stackful::scheduler::run_workload(t, s));
            },
        );
    }
    g.finish();
}

criterion_group!(benches, scheduler);

fn main() {
    if !benches::scheduler::keep_freed_memory() {
        eprintln!(
            "scheduler: glibc refused to keep freed memory; the stackless runs of many tasks pay page faults the stackful ones do not"
        );
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
