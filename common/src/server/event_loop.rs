//! The mio event loop shared by both coroutine styles: one listener, one [`Connection`] per
//! accepted socket, an idle-timeout sweep, and accept back-off when fds run out.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use slab::Slab;

use super::ServerOptions;
use super::framing::Outcome;
use super::os::{bind_listener, is_resource_exhausted};

/// The listener's token (connections use their slab key, which never gets this large).
const LISTENER: Token = Token(usize::MAX);
/// The token of the waker that [`ShutdownHandle::shutdown`] rings.
const WAKER: Token = Token(usize::MAX - 1);
/// The token of the SIGINT/SIGTERM source.
const SIGNALS: Token = Token(usize::MAX - 2);
/// How long accepting pauses after `accept` failed for lack of fds or memory (unless a
/// connection closes first and frees one).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What a suspended connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The socket has bytes to read (or was closed or reset).
    Readable,
    /// The socket has room to write (or was closed or reset).
    Writable,
}

/// What a connection did when resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// It suspended until the socket is ready for this.
    Wait(Wait),
    /// It finished; its socket is closed once the connection is dropped.
    Done(Outcome),
}

/// One connection in a coroutine style: owns its non-blocking socket and runs until it waits.
pub trait Connection: Sized {
    /// State shared by all connections of a server, e.g. a pool of stacks.
    type Shared: Default;
    /// Starts serving `stream`; the loop resumes it at once, then on readiness events.
    fn start(stream: TcpStream, max_request: usize, shared: &mut Self::Shared) -> io::Result<Self>;
    /// Runs the connection until it waits for readiness or finishes.
    fn resume(&mut self) -> Step;
    /// Disposes of a connection that finished or was cut off (timeout, shutdown), closing its
    /// socket and returning anything reusable to `shared`.
    fn finish(self, shared: &mut Self::Shared);
}

/// Counters of what a server did, returned when it stops.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections accepted.
    pub accepted: u64,
    /// Requests answered in full.
    pub answered: u64,
    /// Connections closed because the request was over the limit.
    pub too_large: u64,
    /// Connections whose client closed before the terminator.
    pub closed_early: u64,
    /// Connections closed at the idle timeout.
    pub timed_out: u64,
    /// Connections ended by an I/O error (reset, broken pipe, ...).
    pub failed: u64,
    /// Connections that could not be started (no memory for a stack, ...).
    pub start_failed: u64,
    /// Times `accept` failed for lack of fds or memory and accepting paused.
    pub accept_paused: u64,
    /// Times accepting paused because `--max-connections` were open.
    pub limit_paused: u64,
    /// Times a connection had to wait for room to write (its reply did not fit the send buffer).
    pub write_waits: u64,
    /// Connections still open at shutdown (closed then).
    pub open_at_shutdown: u64,
}

impl Stats {
    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Answered => self.answered += 1,
            Outcome::TooLarge => self.too_large += 1,
            Outcome::ClosedEarly => self.closed_early += 1,
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }
}

/// Makes a running server stop; cheap to clone and to send to other threads.
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl ShutdownHandle {
    /// Asks the server to stop: it closes every connection and returns from `run_until`.
    pub fn shutdown(&self) -> io::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        self.waker.wake()
    }
}

/// What, besides a [`ShutdownHandle`], stops [`EventLoop::run_until`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Only the handle (tests run servers in threads and must not take over process signals).
    Handle,
    /// SIGINT or SIGTERM too (the command line).
    Signal,
}

/// One accepted socket in the loop.
struct Entry<C> {
    conn: C,
    waiting: Wait,
    last_active: Instant,
}

/// A bound TCP server whose connections are driven by `C`'s coroutines.
pub struct EventLoop<C: Connection> {
    poll: Poll,
    listener: TcpListener,
    addr: SocketAddr,
    handle: ShutdownHandle,
    opts: ServerOptions,
    conns: Slab<Entry<C>>,
    shared: C::Shared,
    stats: Stats,
    /// Connections may be waiting in the listen queue (edge-triggered: no new event will say so).
    accept_pending: bool,
    /// Accepting is paused until then after running out of fds.
    accept_paused_until: Option<Instant>,
    /// Accepting is paused because `max_connections` are open.
    at_limit: bool,
    /// SIGINT/SIGTERM, once [`Self::stop_on_signals`] was called.
    signals: Option<Signals>,
}

impl<C: Connection> EventLoop<C> {
    /// Binds the listener at `opts.addr` (port 0 picks a free port; see [`Self::local_addr`]).
    pub fn bind(opts: &ServerOptions) -> io::Result<Self> {
        let poll = Poll::new()?;
        let listener = bind_listener(opts.addr)?;
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        let addr = listener.local_addr()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(EventLoop {
            poll,
            listener,
            addr,
            handle: ShutdownHandle {
                stop: Arc::new(AtomicBool::new(false)),
                waker,
            },
            opts: opts.clone(),
            conns: Slab::new(),
            shared: C::Shared::default(),
            stats: Stats::default(),
            accept_pending: true,
            accept_paused_until: None,
            at_limit: false,
            signals: None,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle that stops [`Self::run_until`] from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Takes over SIGINT and SIGTERM now (so that a signal arriving before [`Self::run_until`]
    /// starts is not lost, nor kills the process); `run_until(Shutdown::Signal)` then stops on
    /// them. Calling it again does nothing.
    pub fn stop_on_signals(&mut self) -> io::Result<()> {
        if self.signals.is_none() {
            let mut signals = Signals::new([SIGINT, SIGTERM])?;
            self.poll
                .registry()
                .register(&mut signals, SIGNALS, Interest::READABLE)?;
            self.signals = Some(signals);
        }
        Ok(())
    }

    /// Serves until shut down, then closes every connection and returns what happened.
    pub fn run_until(mut self, shutdown: Shutdown) -> io::Result<Stats> {
        if shutdown == Shutdown::Signal {
            self.stop_on_signals()?;
        }
        let mut signals = self.signals.take();
        let mut events = Events::with_capacity(1024);
        let sweep_every =
            (self.opts.idle_timeout / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        let mut stop = false;
        while !stop && !self.handle.stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            self.accept_if_possible(now);
            let mut wake_at = next_sweep;
            if let Some(until) = self.accept_paused_until {
                wake_at = wake_at.min(until);
            }
            match self
                .poll
                .poll(&mut events, Some(wake_at.saturating_duration_since(now)))
            {
                // Events (or the timeout): handle them below.
                Ok(()) => {}
                // A signal arrived while waiting: just look again.
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            let now = Instant::now();
            for event in events.iter() {
                match event.token() {
                    // New connections are waiting: accept after this batch (and keep accepting
                    // until `WouldBlock`, since the event will not repeat).
                    LISTENER => self.accept_pending = true,
                    // `ShutdownHandle::shutdown` rang: the flag is checked by the loop condition.
                    WAKER => {}
                    // SIGINT or SIGTERM: stop after this batch.
                    SIGNALS => {
                        if let Some(signals) = signals.as_mut() {
                            stop |= signals.pending().next().is_some();
                        }
                    }
                    // A connection's socket is ready for something.
                    Token(key) => self.drive(key, event, now),
                }
            }
            if now >= next_sweep {
                self.close_idle(now);
                next_sweep = now + sweep_every;
            }
        }
        // Shutting down: close what is still open.
        for entry in self.conns.drain() {
            self.stats.open_at_shutdown += 1;
            entry.conn.finish(&mut self.shared);
        }
        Ok(self.stats)
    }

    /// Resumes connection `key` if `event` is what it waits for.
    fn drive(&mut self, key: usize, event: &mio::event::Event, now: Instant) {
        let Some(entry) = self.conns.get_mut(key) else {
            // An event for a connection closed earlier in this batch.
            return;
        };
        let ready = event.is_error()
            || match entry.waiting {
                // Bytes to read, or the peer closed its side (the read will say so).
                Wait::Readable => event.is_readable() || event.is_read_closed(),
                // Room to write, or the peer went away (the write will fail).
                Wait::Writable => event.is_writable() || event.is_write_closed(),
            };
        if !ready {
            // E.g. the first writable edge while the connection still waits for its request.
            return;
        }
        entry.last_active = now;
        self.resume(key);
    }

    /// Runs connection `key` until it waits again or finishes.
    fn resume(&mut self, key: usize) {
        let Some(entry) = self.conns.get_mut(key) else {
            return;
        };
        match entry.conn.resume() {
            // Suspended again: remember what for.
            Step::Wait(wait) => {
                if wait == Wait::Writable {
                    self.stats.write_waits += 1;
                }
                entry.waiting = wait;
            }
            // Finished: count it and close the socket.
            Step::Done(outcome) => {
                self.stats.record(outcome);
                self.close(key);
            }
        }
    }

    /// Drops connection `key`, which frees an fd: accepting may go on.
    fn close(&mut self, key: usize) {
        let entry = self.conns.remove(key);
        entry.conn.finish(&mut self.shared);
        self.accept_paused_until = None;
    }

    /// Closes the connections that made no progress for `idle_timeout`.
    fn close_idle(&mut self, now: Instant) {
        let timeout = self.opts.idle_timeout;
        let idle: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, e)| now.saturating_duration_since(e.last_active) >= timeout)
            .map(|(key, _)| key)
            .collect();
        for key in idle {
            self.stats.record(Outcome::TimedOut);
            self.close(key);
        }
    }

    /// Accepts queued connections unless paused.
    fn accept_if_possible(&mut self, now: Instant) {
        if let Some(until) = self.accept_paused_until {
            if now < until {
                return;
            }
            self.accept_paused_until = None;
        }
        while self.accept_pending {
            if self.conns.len() >= self.opts.max_connections {
                // At the limit: leave the rest in the listen queue until a connection closes.
                if !self.at_limit {
                    self.stats.limit_paused += 1;
                    self.at_limit = true;
                }
                return;
            }
            self.at_limit = false;
            match self.listener.accept() {
                // A new client: register it and run its coroutine up to its first wait.
                Ok((stream, _peer)) => self.start(stream, now),
                // The queue is empty: wait for the next listener event.
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.accept_pending = false,
                // Out of fds or kernel memory: keep the queue, retry after a pause or a close.
                Err(e) if is_resource_exhausted(&e) => {
                    self.stats.accept_paused += 1;
                    self.accept_paused_until = Some(now + ACCEPT_BACKOFF);
                    return;
                }
                // The client gave up before we accepted (ECONNABORTED, ...), or a signal
                // interrupted us: go on with the next one.
                Err(_) => {}
            }
        }
    }

    /// Registers a new socket and resumes its connection once.
    fn start(&mut self, mut stream: TcpStream, now: Instant) {
        self.stats.accepted += 1;
        let slot = self.conns.vacant_entry();
        let key = slot.key();
        // Both interests at once: one `epoll_ctl` per connection, edge-triggered.
        if self
            .poll
            .registry()
            .register(
                &mut stream,
                Token(key),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            self.stats.start_failed += 1;
            return;
        }
        let conn = match C::start(stream, self.opts.max_request, &mut self.shared) {
            // Ready to run.
            Ok(conn) => conn,
            // No resources for it (e.g. no memory for a stack).
            Err(_) => {
                // The stream was dropped inside `start`; closing it removed it from epoll.
                self.stats.start_failed += 1;
                return;
            }
        };
        slot.insert(Entry {
            conn,
            waiting: Wait::Readable,
            last_active: now,
        });
        // The request is often already there: do not wait for an event to read it.
        self.resume(key);
    }
}
