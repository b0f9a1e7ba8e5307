//! Two comparisons, measured on this machine.
//!
//! **The article's table** (the `comparisons` binary): every row of it (process, OS thread, green
//! thread, goroutine, stackful and stackless coroutines, Python generator), each cell measured.
//! Every row is measured by one [`rows`] module (or, for the goroutine and the Python generator,
//! by a program the crate ships and runs with [`external`]) that returns raw
//! [`samples::Samples`]; [`run`] measures the chosen [`kind`]s of row with the [`params`] of the
//! run. Round trips are timed with [`timing`] (repetitions and a histogram) with their ends placed
//! by [`placement`]; [`noise`] records what else the machine did meanwhile and [`procfs`] reads
//! the kernel's accounting. The scaling curves ([`scaling`]) time a [`ring`] of N live units of
//! every row, from one to a million, within a memory budget and the system's limits. The [`classify`] functions turn the experiments' repeated evidence
//! into yes/no answers (or "uncertain") checked against the article's [`claims`], [`report`]
//! builds the JSON and markdown, [`chart`] draws the SVG charts and [`output`] writes them all.
//!
//! **The server comparison** ([`servers`], the `serverbench`, `loadgen`, `server-threads` and
//! `server-tokio` binaries): the event-loop servers of `stackless` and `stackful` against a
//! thread-per-connection and a tokio baseline.
//!
//! [`compare`] puts the JSON of runs on several machines side by side. [`cli`] holds what every
//! binary of the crate does alike: exit codes and messages.
#![feature(coroutines, coroutine_trait, stmt_expr_attributes)]

pub mod cli;

// The article's table.
pub mod chart;
pub mod claims;
pub mod classify;
pub mod compare;
pub mod external;
pub mod kind;
pub mod machine;
pub mod noise;
pub mod output;
pub mod params;
pub mod placement;
pub mod procfs;
pub mod report;
pub mod ring;
pub mod rows;
pub mod run;
pub mod samples;
pub mod scaling;
pub mod stats;
pub mod sys;
pub mod timing;
pub mod work;

// The server comparison.
pub mod servers;
