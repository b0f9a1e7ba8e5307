//! The server comparison, apart from the article's table: the event-loop servers of
//! `stackless::server` and `stackful::server` measured against two baselines that speak the same
//! protocol and take the same options (through `common::server`).
//!
//! - [`threads`]: one OS thread per connection (the `server-threads` binary);
//! - [`tokio_server`]: one tokio task per connection (the `server-tokio` binary);
//! - [`load`]: the load generator that measures them (the `loadgen` binary);
//! - [`mod@bench`]: every server side by side in one run, requests/s and memory per idle connection
//!   (the `serverbench` binary).
//!
//! The binaries are thin: each parses its command line and calls one of these modules.

use std::io::{self, Write};
use std::net::SocketAddr;

use anyhow::Context;

pub mod bench;
pub mod load;
pub mod threads;
pub mod tokio_server;

/// Prints `listening on IP:PORT` for the listener at `addr` and flushes it: the first line of
/// every server, which whoever started it reads to learn the port.
pub fn announce(addr: io::Result<SocketAddr>) -> anyhow::Result<()> {
    let addr = addr.context("reading the listening address")?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {addr}")
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")
}
