//! Fixtures of the pipeline benchmark (`benches/pipeline.rs`) and of the `pipeline_ratio` and
//! `pipeline_profile` examples: a generated log ([`log`]), the pipelines and floors run on it
//! ([`work`]), the project's Python copy of the article's pipeline run on the same log
//! ([`python`]), and the side-by-side ratio report ([`ratio`]).
//!
//! Two measurements. [`Input::Memory`]: the lines are already in memory (Rust reads them from a
//! byte slice through the same line reader; Python reads them with the article's `readlines()`
//! before its clock starts), so the figure is the pipeline's own cost; the targets are checked on
//! this one. [`Input::File`]: end to end as the `pipeline` example runs (open the file, stream it
//! through a 64 KiB `BufReader`, count; Python streams it too), where reading the file (a kernel
//! copy per 64 KiB) is part of every style's cost.

pub mod log;
pub mod python;
pub mod ratio;
pub mod work;

pub use log::{Input, LogFile, bench_spec};
pub use python::{PYTHON_PIPELINE, PythonRun, run_python};
pub use ratio::ratio_report;
pub use work::{Floor, Pipeline, Work};
