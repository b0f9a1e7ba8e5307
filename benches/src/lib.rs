//! Criterion benchmarks that run every coroutine style side by side on identical work
//! (`cargo bench`); this library holds the fixtures they share.

pub mod pipeline;
