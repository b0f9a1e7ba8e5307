//! The article's demos written with Rust's stackless coroutines: native `#[coroutine]` closures,
//! `gen` blocks, `genawaiter` (stable semantics), and hand-written state machines as the baseline.
#![feature(coroutines, coroutine_trait, gen_blocks, stmt_expr_attributes)]
pub mod server;
pub mod server_common;
