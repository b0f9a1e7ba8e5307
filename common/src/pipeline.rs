//! The log pipeline's parts that no coroutine style needs: the `pipeline` command line ([`cli`]),
//! the version with threads and channels that `--threaded` runs ([`threaded`]), and, for tests, the
//! checks every pipeline must pass (`checks`, behind the `test-support` feature). The coroutine
//! pipelines themselves are `stackless::pipeline` and `stackful::pipeline`.

#[cfg(any(test, feature = "test-support"))]
pub mod checks;
pub mod cli;
pub mod threaded;
