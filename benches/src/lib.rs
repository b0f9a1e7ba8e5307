//! Criterion benchmarks that run every coroutine style side by side on identical work
//! (`cargo bench`); this library holds the fixtures they share.
#![feature(coroutines, coroutine_trait, gen_blocks)]

pub mod cli;
pub mod create;
pub mod identity;
pub mod pipeline;
pub mod report;
pub mod scheduler;
pub mod sequence;
