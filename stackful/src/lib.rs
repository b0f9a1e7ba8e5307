//! The article's demos written with stackful coroutines (`corosensei`): each coroutine runs on a
//! stack of its own and may suspend from any depth of ordinary function calls.

pub mod flavour;

pub mod chain;
pub mod counter;
pub mod fib;
pub mod pipeline;
pub mod say;
pub mod scheduler;
pub mod send;
pub mod server;
pub mod stacks;
pub mod tree;

#[cfg(test)]
mod test_support;
