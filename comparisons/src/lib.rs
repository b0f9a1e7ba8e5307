//! Measures every row of the article's table (process, OS thread, green thread, goroutine, stackful
//! and stackless coroutines) on this machine and writes the comparison report.
//!
//! Every row is measured by one [`rows`] module (or, for the goroutine and the Python generator, by a
//! program the crate ships and runs with [`external`]) that returns raw [`samples::Samples`]; the
//! [`classify`] functions turn the experiments' evidence into yes/no answers, [`report`] builds the
//! JSON and markdown, and [`chart`] draws the SVG charts.
//! [`server_kit`] holds the baseline servers and the load generator behind the `server-threads`,
//! `server-tokio`, `loadgen` and `serverbench` binaries.
#![feature(coroutines, coroutine_trait, stmt_expr_attributes)]

pub mod chart;
pub mod classify;
pub mod external;
pub mod kind;
pub mod machine;
pub mod params;
pub mod procfs;
pub mod report;
pub mod rows;
pub mod run;
pub mod samples;
pub mod server_kit;
pub mod stats;
pub mod sys;
pub mod work;
