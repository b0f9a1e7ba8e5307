//! What the two coroutine crates share that is not a coroutine: the article's expected outputs
//! ([`contracts`]), the tree the traversals walk ([`tree`]), the log data and line reader of the
//! pipeline ([`logdata`]) with its command line and threaded version ([`pipeline`]), the
//! scheduler's style-independent kernel ([`kernel`]), the server's event loop, framing and command
//! line ([`server`]), a counting allocator for tests and measurements ([`alloc_count`]), and the
//! command line every demo example takes, with the table of the flavours each demo exists in
//! ([`demo`]), and the CPU placement ([`affinity`]) and pipe round trip ([`pingpong`]) the
//! comparison and the benchmarks time threads and processes with.
//!
//! `stackless` and `stackful` stand side by side on this crate and not on each other, so each demo
//! module of theirs holds only what its coroutine style makes of the program. Test harnesses that
//! both crates run on their own code (`server::scenarios`, `pipeline::checks`, and `processes`,
//! which runs the checks that need a real process), and the exit-code checks of every program
//! (`exit_checks`), are compiled only with the `test-support` feature, which the crates enable for
//! their tests alone.
// `cfg(sanitize = "address")`: the process checks measure memory only without AddressSanitizer.
#![cfg_attr(any(test, feature = "test-support"), feature(cfg_sanitize))]

pub mod affinity;
pub mod alloc_count;
pub mod contracts;
pub mod demo;
#[cfg(any(test, feature = "test-support"))]
pub mod exit_checks;
pub mod kernel;
pub mod logdata;
pub mod pingpong;
pub mod pipeline;
#[cfg(any(test, feature = "test-support"))]
pub mod processes;
pub mod send;
pub mod server;
pub mod style;
pub mod tree;
