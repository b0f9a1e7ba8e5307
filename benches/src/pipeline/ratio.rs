//! The side-by-side ratio report of `pipeline_ratio`: every pipeline, the floors and Python timed
//! in interleaved rounds on one log, as time per line, lines per second and ratios against the
//! targets.

use std::io::Write;
use std::time::{Duration, Instant};

use super::log::{Input, LogFile};
use super::python::run_python;
use common::style::Style;

use super::work::{Floor, Pipeline, Work};

/// Times `run` `runs` times and returns the median.
fn median_time(
    runs: usize,
    mut run: impl FnMut() -> Result<Duration, String>,
) -> Result<Duration, String> {
    let mut times = (0..runs.max(1))
        .map(|_| run())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(&mut times))
}

/// The median of `times` (not empty).
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One timed run of `work`, its result checked after the clock stopped.
fn time(work: Work, log: &LogFile, input: Input, addresses: &[&str]) -> Result<Duration, String> {
    let start = Instant::now();
    let outcome = match work {
        Work::Floor(floor) => {
            let lines = std::hint::black_box(floor.run(std::hint::black_box(&log.bytes)));
            (start.elapsed(), lines.map(|lines| lines == log.spec.lines))
        }
        Work::Pipeline(pipeline) => {
            let counts =
                std::hint::black_box(pipeline.run(log, input, std::hint::black_box(addresses)));
            (start.elapsed(), counts.map(|c| c == log.spec.expected()))
        }
    };
    match outcome {
        (elapsed, Ok(true)) => Ok(elapsed),
        (_, Ok(false)) => Err(format!("{} gave a wrong result", work.name())),
        (_, Err(e)) => Err(format!("{}: {e}", work.name())),
    }
}

/// Measures every pipeline and Python on one generated log of `lines` lines, side by side in one
/// run (medians of `runs` rounds, each round running every pipeline once in turn, so that a change
/// in the machine's load or clock speed falls on every style alike; `runs.min(5)` runs for Python),
/// for each [`Input`], and writes the time per line, the lines per second and the ratios against
/// the targets (the coroutine pipelines within 1.5x of the plain loop, and 50x faster than Python)
/// to `out`. In memory it also times the [`Floor`]s and works out what the 50x-over-Python goal
/// would need per line.
pub fn ratio_report(lines: u64, runs: usize, out: &mut impl Write) -> Result<(), String> {
    let log = LogFile::generate(lines).map_err(|e| format!("generating the log: {e}"))?;
    let mut say =
        |text: String| writeln!(out, "{text}").map_err(|e| format!("writing the report: {e}"));
    say(format!(
        "pipeline: {lines} generated lines, {} bytes ({:.1} bytes a line); medians of {runs} \
         interleaved rounds ({} runs for Python)",
        log.bytes.len(),
        log.bytes.len() as f64 / lines as f64,
        runs.min(5)
    ))?;
    for input in Input::ALL {
        say(format!("-- lines {}", input.name()))?;
        for line in measure(&log, input, runs)? {
            say(line)?;
        }
    }
    Ok(())
}

/// One [`Input`]'s part of [`ratio_report`], as report lines.
fn measure(log: &LogFile, input: Input, runs: usize) -> Result<Vec<String>, String> {
    let addresses = log.spec.address_list();
    let check = input == Input::Memory; // the targets are about the pipelines' own cost
    let floors: &[Floor] = if check { &Floor::ALL } else { &[] };
    let works: Vec<Work> = floors
        .iter()
        .map(|&f| Work::Floor(f))
        .chain(Pipeline::ALL.map(Work::Pipeline))
        .collect();
    let mut times = vec![Vec::with_capacity(runs); works.len()];
    for _ in 0..runs.max(1) {
        for (work, times) in works.iter().zip(&mut times) {
            times.push(time(*work, log, input, &addresses)?);
        }
    }
    let medians: Vec<(Work, Duration)> = works
        .iter()
        .zip(&mut times)
        .map(|(&work, times)| (work, median(times)))
        .collect();
    let lines = log.spec.lines as f64;
    let bytes = log.bytes.len() as f64;
    let ns_per_line = |t: Duration| t.as_secs_f64() * 1e9 / lines;
    let per_second = |t: Duration| lines / t.as_secs_f64();
    let gb_per_second = |t: Duration| bytes / t.as_secs_f64() / 1e9;
    let plain = medians
        .iter()
        .find(|(work, _)| matches!(work, Work::Pipeline(Pipeline::Plain)))
        .map(|&(_, t)| t)
        .ok_or("the plain loop was not measured")?;
    let mut report = Vec::new();
    for &(work, time) in &medians {
        let line = match work {
            Work::Floor(floor) => format!(
                "{:<10} {:>7.1} ns/line {:>6.2} GB/s  floor: {}",
                floor.name(),
                ns_per_line(time),
                gb_per_second(time),
                floor.what()
            ),
            Work::Pipeline(pipeline) => {
                let ratio = time.as_secs_f64() / plain.as_secs_f64();
                let verdict = match pipeline {
                    Pipeline::Stackless | Pipeline::Stackful if check => format!(
                        " (target <= 1.5x: {})",
                        if ratio <= 1.5 { "met" } else { "NOT met" }
                    ),
                    _ => String::new(),
                };
                format!(
                    "{:<10} {:>7.1} ns/line {:>12.0} lines/s  {:>5.2}x the plain loop's time{verdict}",
                    pipeline.name(),
                    ns_per_line(time),
                    per_second(time),
                    ratio
                )
            }
        };
        report.push(line);
    }
    let python = median_time(runs.min(5), || match run_python(log, input)? {
        Some(run) => Ok(run.elapsed),
        None => Err("python3 not found: Python comparison skipped".to_owned()),
    });
    let python = match python {
        Ok(python) => python,
        Err(why) => {
            report.push(why);
            return Ok(report);
        }
    };
    report.push(format!(
        "{:<10} {:>7.1} ns/line {:>12.0} lines/s  (self-timed, start-up excluded)",
        Style::Python.name(),
        ns_per_line(python),
        per_second(python)
    ));
    for &(work, time) in &medians {
        let Work::Pipeline(pipeline) = work else {
            continue;
        };
        let speedup = python.as_secs_f64() / time.as_secs_f64();
        let verdict = match pipeline {
            Pipeline::Stackless | Pipeline::Stackful if check => format!(
                " (target >= 50x: {})",
                if speedup >= 50.0 { "met" } else { "NOT met" }
            ),
            _ => String::new(),
        };
        report.push(format!(
            "{} is {speedup:.1}x faster than Python{verdict}",
            pipeline.name()
        ));
    }
    if let Some(&(_, scan)) = medians
        .iter()
        .find(|(work, _)| matches!(work, Work::Floor(Floor::Scan)))
    {
        let needed = python / 50;
        report.push(format!(
            "50x Python needs <= {:.1} ns/line ({:.1} GB/s over these lines): {:.1}x the plain \
             loop's speed; the scan floor, which only finds the lines, takes {:.1} ns/line \
             ({:.1} GB/s), {}",
            ns_per_line(needed),
            gb_per_second(needed),
            plain.as_secs_f64() / needed.as_secs_f64(),
            ns_per_line(scan),
            gb_per_second(scan),
            if scan <= needed {
                format!(
                    "leaving {:.1} ns/line for everything else",
                    ns_per_line(needed - scan)
                )
            } else {
                "already more than that: out of reach for any line-by-line count".to_owned()
            }
        ));
    }
    Ok(report)
}
