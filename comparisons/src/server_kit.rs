//! The baselines the coroutine servers of `stackless::server` and `stackful::server` are measured
//! against, and the load generator that measures them: the `server-threads`, `server-tokio`,
//! `loadgen` and `serverbench` binaries are thin wrappers around these modules. They speak the
//! same protocol and take the same options, through `common::server`.

pub mod load;
pub mod threads;
pub mod tokio_server;
