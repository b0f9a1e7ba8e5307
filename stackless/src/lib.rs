//! The article's demos written with Rust's stackless coroutines: native `#[coroutine]` closures,
//! `gen` blocks, `genawaiter` (stable semantics), and hand-written state machines as the baseline.
#![feature(coroutines, coroutine_trait, gen_blocks)]

pub mod flavour;
pub mod manual;
pub mod yield_from;

pub mod chain;
pub mod counter;
pub mod fib;
pub mod say;
pub mod scheduler;
pub mod send;
pub mod tree;

pub mod pipeline;

pub mod server;
