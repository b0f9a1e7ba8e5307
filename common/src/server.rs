//! The parts of the event-loop TCP server that do not depend on the coroutine style, written once
//! and used by `stackless::server`, `stackful::server` and the baselines in `comparisons`: the
//! command line, the protocol framing (a request ends with `\n\n`, the reply is `Hello ` + the
//! request, and the clean close after it), the mio event loop that owns the listener, the idle
//! timeout, the request deadline, eviction of slow requests when the table is full and accept
//! back-off, and a few Linux helpers (raising the fd limit, counting open fds).
//!
//! A coroutine style plugs in by implementing [`Connection`]: the loop hands it a freshly accepted
//! non-blocking stream, resumes it whenever the socket became ready for what it waits for
//! ([`Wait`]), and drops it once it is done ([`Step::Done`]), idle too long, too slow, or evicted;
//! after an answer the loop closes the socket cleanly itself. The
//! robustness scenarios every server must pass (`scenarios`) are compiled with the `test-support`
//! feature.

mod cli;
mod event_loop;
mod framing;
mod os;
#[cfg(any(test, feature = "test-support"))]
pub mod scenarios;

pub use cli::{ServerOptions, serve_cli, serve_with};
pub use event_loop::{
    Connection, EVICTION_AGE, EventLoop, Shutdown, ShutdownHandle, Stats, Step, Wait,
};
pub use framing::{
    CLOSE_DRAIN_LIMIT, CLOSE_LINGER, Drain, Fill, GREETING, Outcome, Progress, READ_CHUNK,
    RequestBuffer, TERMINATOR, close_blocking, drain, fill, serve_blocking,
};
pub use os::{
    LISTEN_BACKLOG, bind_listener, is_resource_exhausted, open_fd_count, raise_fd_limit,
    release_free_memory,
};
