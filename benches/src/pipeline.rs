//! Fixtures of the pipeline benchmark (`benches/pipeline.rs`) and of the `pipeline_ratio` example:
//! a generated log, the pipeline styles run on it, the project's Python copy of the article's
//! pipeline run on the same log, and the side-by-side ratio report.
//!
//! Two measurements. [`Input::Memory`]: the lines are already in memory (Rust reads them from a
//! byte slice through the same line reader; Python reads them with the article's `readlines()`
//! before its clock starts), so the figure is the pipeline's own cost; the targets are
//! checked on this one. [`Input::File`]: end to end as the `pipeline` example runs (open the file,
//! stream it through a 64 KiB `BufReader`, count; Python streams it too), where reading the file
//! (a kernel copy per 64 KiB) is part of every style's cost.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::logdata::{ARTICLE_ADDRESSES, Counts, LogSpec, PipelineError};

/// The project's Python copy of the article's pipeline (`benches/pipeline.py`).
pub const PYTHON_PIPELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/pipeline.py");

/// A generated access log, in memory and in a temporary file (removed on drop).
#[derive(Debug)]
pub struct LogFile {
    /// Where the log is.
    pub path: PathBuf,
    /// The same log in memory.
    pub bytes: Vec<u8>,
    /// How it was generated (and so what each pipeline must count).
    pub spec: LogSpec,
}

/// Where a pipeline reads the log from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Lines already in memory.
    Memory,
    /// Streamed from the file, as the `pipeline` example does.
    File,
}

impl Input {
    /// Both inputs, the measurement first.
    pub const ALL: [Input; 2] = [Input::Memory, Input::File];

    /// Its name in reports and benchmark group names.
    pub fn name(self) -> &'static str {
        match self {
            Input::Memory => "in memory",
            Input::File => "from the file",
        }
    }
}

/// The benchmark's log recipe: `lines` lines (seed 2015) in which each of the article's three
/// addresses starts 1% of the lines.
pub fn bench_spec(lines: u64) -> LogSpec {
    let each = lines / 100;
    let addresses: Vec<(&str, u64)> = ARTICLE_ADDRESSES.iter().map(|&a| (a, each)).collect();
    LogSpec::new(2015, lines, &addresses)
}

impl LogFile {
    /// Writes a log of `lines` lines (seed 2015) in which each of the article's three addresses
    /// starts 1% of the lines, to a fresh temporary file.
    pub fn generate(lines: u64) -> io::Result<Self> {
        let spec = bench_spec(lines);
        let bytes = spec.to_bytes()?;
        let path = std::env::temp_dir().join(format!(
            "coroutine-lab-pipeline-bench-{}-{lines}.log",
            std::process::id()
        ));
        let written = std::fs::write(&path, &bytes);
        let log = Self { path, bytes, spec };
        written.map(|()| log) // on error, the drop removes the partial file
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A way to run the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `stackless::pipeline::count`: native `#[coroutine]` stages.
    Stackless,
    /// `stackful::pipeline::count`: `corosensei` stages.
    Stackful,
    /// `common::pipeline::threaded::count`: a thread per stage, bounded channels.
    Threaded,
    /// `common::logdata::count_plain`: one loop, no coroutines (the limit).
    Plain,
}

impl Style {
    /// Every style, the limit first.
    pub const ALL: [Style; 4] = [
        Style::Plain,
        Style::Stackless,
        Style::Stackful,
        Style::Threaded,
    ];

    /// Its name in benchmark ids and reports.
    pub fn name(self) -> &'static str {
        match self {
            Style::Stackless => "stackless",
            Style::Stackful => "stackful",
            Style::Threaded => "threaded",
            Style::Plain => "plain",
        }
    }

    /// Counts `addresses` in `log`, read from `input`.
    pub fn run(
        self,
        log: &LogFile,
        input: Input,
        addresses: &[&str],
    ) -> Result<Counts, PipelineError> {
        match input {
            Input::Memory => self.count(&log.bytes[..], addresses),
            Input::File => self.count(
                BufReader::with_capacity(64 * 1024, File::open(&log.path)?),
                addresses,
            ),
        }
    }

    /// Counts `addresses` in the lines of `reader`.
    pub fn count<R: BufRead>(self, reader: R, addresses: &[&str]) -> Result<Counts, PipelineError> {
        match self {
            Style::Stackless => stackless::pipeline::count(reader, addresses),
            Style::Stackful => stackful::pipeline::count(reader, addresses),
            Style::Threaded => common::pipeline::threaded::count(reader, addresses),
            Style::Plain => common::logdata::count_plain(reader, addresses),
        }
    }
}

/// Work under every style, over the same bytes: what any line-by-line count must at least do. The
/// gap between a floor and the plain loop is what the matcher and the loop cost; the floor itself
/// is what no pipeline style can go under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// Count the newlines with `memchr`'s vectorised count (`memchr_iter(..).count()`, which
    /// compares whole SIMD vectors and never stops at a line): every byte looked at once and no
    /// per-line work at all, so the speed of the one pass over the bytes that finding the lines
    /// needs, in cache or from memory.
    Scan,
    /// The shared line reader alone: `stream_lines` over the bytes, each line copied into the lent
    /// buffer, handed to a sink that only counts it.
    Read,
}

impl Floor {
    /// Both floors, the lower first.
    pub const ALL: [Floor; 2] = [Floor::Scan, Floor::Read];

    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Floor::Scan => "scan",
            Floor::Read => "read",
        }
    }

    /// What it measures, for reports.
    pub fn what(self) -> &'static str {
        match self {
            Floor::Scan => "memchr's vectorised newline count, no per-line work",
            Floor::Read => "the shared line reader, lines handed to a sink that only counts",
        }
    }

    /// Does the floor's work over `bytes` and returns the number of lines it found.
    pub fn run(self, bytes: &[u8]) -> Result<u64, PipelineError> {
        match self {
            Floor::Scan => {
                let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
                Ok(newlines + u64::from(bytes.last().is_some_and(|&b| b != b'\n')))
            }
            Floor::Read => {
                let mut lines = 0u64;
                common::logdata::stream_lines(bytes, |line| {
                    lines += 1;
                    Ok::<_, PipelineError>(line)
                })?;
                Ok(lines)
            }
        }
    }
}

/// One run of the Python pipeline, as it timed itself.
#[derive(Debug, Clone, Copy)]
pub struct PythonRun {
    /// Time from opening the log to closing the flow (interpreter start-up excluded).
    pub elapsed: Duration,
    /// Lines it sent through the flow.
    pub lines: u64,
}

/// Runs `benches/pipeline.py` on the log (with `--in-memory` for [`Input::Memory`]); `Ok(None)` if
/// `python3` cannot be started.
pub fn run_python(log: &LogFile, input: Input) -> Result<Option<PythonRun>, String> {
    let mut python = Command::new("python3");
    python.arg(PYTHON_PIPELINE);
    if input == Input::Memory {
        python.arg("--in-memory");
    }
    let output = match python.arg(&log.path).args(log.spec.address_list()).output() {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("starting python3: {e}")),
    };
    if !output.status.success() {
        return Err(format!(
            "python3 {PYTHON_PIPELINE} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut fields = stdout.split_whitespace().map(str::parse::<u64>);
    let (Some(Ok(ns)), Some(Ok(lines))) = (fields.next(), fields.next()) else {
        return Err(format!(
            "unexpected output from {PYTHON_PIPELINE}: {stdout:?}"
        ));
    };
    if lines != log.spec.lines {
        return Err(format!(
            "Python processed {lines} lines, the log has {}",
            log.spec.lines
        ));
    }
    Ok(Some(PythonRun {
        elapsed: Duration::from_nanos(ns),
        lines,
    }))
}

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

/// Something [`measure`] times: a floor (in memory only) or a pipeline style.
#[derive(Debug, Clone, Copy)]
enum Work {
    Floor(Floor),
    Style(Style),
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::Floor(floor) => floor.name(),
            Work::Style(style) => style.name(),
        }
    }

    /// One timed run, its result checked.
    fn time(self, log: &LogFile, input: Input, addresses: &[&str]) -> Result<Duration, String> {
        let start = Instant::now();
        let outcome = match self {
            Work::Floor(floor) => {
                let lines = std::hint::black_box(floor.run(std::hint::black_box(&log.bytes)));
                (start.elapsed(), lines.map(|lines| lines == log.spec.lines))
            }
            Work::Style(style) => {
                let counts =
                    std::hint::black_box(style.run(log, input, std::hint::black_box(addresses)));
                (start.elapsed(), counts.map(|c| c == log.spec.expected()))
            }
        };
        match outcome {
            (elapsed, Ok(true)) => Ok(elapsed),
            (_, Ok(false)) => Err(format!("{} gave a wrong result", self.name())),
            (_, Err(e)) => Err(format!("{}: {e}", self.name())),
        }
    }
}

/// Measures every style and Python on one generated log of `lines` lines, side by side in one run
/// (medians of `runs` rounds, each round running every style once in turn, so that a change in
/// the machine's load or clock speed falls on every style alike; `runs.min(5)` runs for Python),
/// for each [`Input`], and writes the time per line, the lines per second and the ratios against
/// the targets to `out`. In memory it also times the [`Floor`]s and works out what the
/// issue's 50x-over-Python target would need per line.
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
        .chain(Style::ALL.map(Work::Style))
        .collect();
    let mut times = vec![Vec::with_capacity(runs); works.len()];
    for _ in 0..runs.max(1) {
        for (work, times) in works.iter().zip(&mut times) {
            times.push(work.time(log, input, &addresses)?);
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
        .find(|(work, _)| matches!(work, Work::Style(Style::Plain)))
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
            Work::Style(style) => {
                let ratio = time.as_secs_f64() / plain.as_secs_f64();
                let verdict = match style {
                    Style::Stackless | Style::Stackful if check => format!(
                        " (target <= 1.5x: {})",
                        if ratio <= 1.5 { "met" } else { "NOT met" }
                    ),
                    _ => String::new(),
                };
                format!(
                    "{:<10} {:>7.1} ns/line {:>12.0} lines/s  {:>5.2}x the plain loop's time{verdict}",
                    style.name(),
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
        "python",
        ns_per_line(python),
        per_second(python)
    ));
    for &(work, time) in &medians {
        let Work::Style(style) = work else { continue };
        let speedup = python.as_secs_f64() / time.as_secs_f64();
        let verdict = match style {
            Style::Stackless | Style::Stackful if check => format!(
                " (target >= 50x: {})",
                if speedup >= 50.0 { "met" } else { "NOT met" }
            ),
            _ => String::new(),
        };
        report.push(format!(
            "{} is {speedup:.1}x faster than Python{verdict}",
            style.name()
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
