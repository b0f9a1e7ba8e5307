//! What runs over the log: the [`Pipeline`]s (one per style), the [`Floor`]s under every style,
//! and [`Work`], either of them, as `pipeline_profile` takes it on its command line.

use std::fs::File;
use std::io::{BufRead, BufReader};

use clap::builder::PossibleValue;
use common::logdata::{Counts, PipelineError};
use common::style::Style;

use super::log::{Input, LogFile};

/// A way to run the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pipeline {
    /// `stackless::pipeline::count`: native `#[coroutine]` stages.
    Stackless,
    /// `stackful::pipeline::count`: `corosensei` stages.
    Stackful,
    /// `common::pipeline::threaded::count`: a thread per stage, bounded channels.
    Threaded,
    /// `common::logdata::count_plain`: one loop, no coroutines (the limit).
    Plain,
}

impl Pipeline {
    /// Every pipeline, the limit first.
    pub const ALL: [Pipeline; 4] = [
        Pipeline::Plain,
        Pipeline::Stackless,
        Pipeline::Stackful,
        Pipeline::Threaded,
    ];

    /// Its style: its benchmark id and its name in reports.
    pub fn style(self) -> Style {
        match self {
            Pipeline::Stackless => Style::Stackless,
            Pipeline::Stackful => Style::Stackful,
            Pipeline::Threaded => Style::Threaded,
            Pipeline::Plain => Style::Plain,
        }
    }

    /// Its style's name.
    pub fn name(self) -> &'static str {
        self.style().name()
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
            Pipeline::Stackless => stackless::pipeline::count(reader, addresses),
            Pipeline::Stackful => stackful::pipeline::count(reader, addresses),
            Pipeline::Threaded => common::pipeline::threaded::count(reader, addresses),
            Pipeline::Plain => common::logdata::count_plain(reader, addresses),
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

/// Something timed over the log: a floor (in memory only) or a pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// A floor.
    Floor(Floor),
    /// A pipeline.
    Pipeline(Pipeline),
}

impl Work {
    /// The pipelines, then the floors: every name `pipeline_profile` takes.
    pub const ALL: [Work; 6] = [
        Work::Pipeline(Pipeline::Plain),
        Work::Pipeline(Pipeline::Stackless),
        Work::Pipeline(Pipeline::Stackful),
        Work::Pipeline(Pipeline::Threaded),
        Work::Floor(Floor::Scan),
        Work::Floor(Floor::Read),
    ];

    /// Its name in reports and on command lines.
    pub fn name(self) -> &'static str {
        match self {
            Work::Floor(floor) => floor.name(),
            Work::Pipeline(pipeline) => pipeline.name(),
        }
    }
}

/// Command lines take a work by its [`Work::name`].
impl clap::ValueEnum for Work {
    fn value_variants<'a>() -> &'a [Self] {
        &Work::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            Work::Floor(floor) => floor.what(),
            Work::Pipeline(pipeline) => pipeline.style().about(),
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pipeline_and_floor_is_right_on_a_small_log() {
        let log = LogFile::generate(2_000).expect("a temporary log");
        let addresses = log.spec.address_list();
        for pipeline in Pipeline::ALL {
            for input in Input::ALL {
                let counts = pipeline
                    .run(&log, input, &addresses)
                    .expect("the pipeline runs");
                assert_eq!(
                    counts,
                    log.spec.expected(),
                    "{} {}",
                    pipeline.name(),
                    input.name()
                );
            }
        }
        for floor in Floor::ALL {
            let lines = floor.run(&log.bytes).expect("the floor runs");
            assert_eq!(lines, log.spec.lines, "{}", floor.name());
        }
    }

    #[test]
    fn work_names_are_unique() {
        for (i, work) in Work::ALL.iter().enumerate() {
            assert!(Work::ALL[..i].iter().all(|w| w.name() != work.name()));
        }
    }
}
