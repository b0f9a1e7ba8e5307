//! Lines per second of the log-analysis pipeline: stackless, stackful, threaded, the plain loop
//! (the limit) and the project's Python copy of the article's pipeline, all on one generated log,
//! as `BenchmarkId::new(style, lines)`: group `pipeline` with the lines in memory (the measurement
//! the targets are checked on), group `pipeline_file` streaming them from the file as the
//! `pipeline` example does.
//! The printed ratios come from `cargo run --release -p benches --example pipeline_ratio`.

use std::hint::black_box;
use std::time::Duration;

use benches::pipeline::{Input, LogFile, Pipeline, run_python};
use common::style::Style;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const LINES: u64 = 200_000;

fn pipeline(c: &mut Criterion) {
    let log = match LogFile::generate(LINES) {
        Ok(log) => log,
        Err(e) => {
            eprintln!("pipeline bench: cannot generate the log: {e}");
            return;
        }
    };
    for (input, name) in [(Input::Memory, "pipeline"), (Input::File, "pipeline_file")] {
        group(c, &log, input, name);
    }
}

fn group(c: &mut Criterion, log: &LogFile, input: Input, name: &str) {
    let addresses = log.spec.address_list();
    let expected = log.spec.expected();
    let mut group = c.benchmark_group(name);
    group
        .throughput(Throughput::Elements(LINES))
        .sample_size(10);
    for pipeline in Pipeline::ALL {
        match pipeline.run(log, input, &addresses) {
            Ok(counts) if counts == expected => {}
            other => {
                eprintln!(
                    "{name} bench: {} counted {other:?}, expected {expected:?}; not measured",
                    pipeline.name()
                );
                continue;
            }
        }
        group.bench_with_input(BenchmarkId::new(pipeline.name(), LINES), log, |b, log| {
            b.iter(|| pipeline.run(black_box(log), input, black_box(&addresses)))
        });
    }
    match run_python(log, input) {
        Ok(Some(_)) => {
            group.bench_with_input(
                BenchmarkId::new(Style::Python.name(), LINES),
                log,
                |b, log| {
                    // Python times itself (start-up excluded); a failed run stops the measurement loudly.
                    b.iter_custom(|iters| {
                        (0..iters)
                            .map(|_| match run_python(log, input) {
                                Ok(Some(run)) => run.elapsed,
                                other => panic!("python run failed: {other:?}"),
                            })
                            .sum::<Duration>()
                    })
                },
            );
        }
        Ok(None) => eprintln!("{name} bench: python3 not found, Python reference skipped"),
        Err(e) => eprintln!("{name} bench: Python reference skipped: {e}"),
    }
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
