//! The mio event loop shared by both coroutine styles: one listener, one [`Connection`] per
//! accepted socket, a sweep that closes connections idle too long or not done within the request
//! deadline, eviction of the slowest incomplete request when the table is full and a client
//! waits, a clean close after each reply, and accept back-off when fds run out.
//!
//! Against slow clients: the idle timeout resets on every byte, so it alone lets a client that
//! sends one byte every few seconds hold its slot for as long as it likes. The request deadline
//! (`--request-timeout`) does not reset: a connection must be done that long after its accept.
//! And when all `--max-connections` slots are taken while a new client waits in the listen queue,
//! the connection that has waited longest on an incomplete request (for at least
//! [`EVICTION_AGE`]) is closed to make room, so trickling clients cannot lock others out even
//! for the length of the deadline. Those connections are kept in a list in accept order (linked
//! through the slab), so finding the oldest costs O(1) however full the table is.
//!
//! The clean close: once a connection has answered, the loop takes its socket back (the loop and
//! the coroutine share it through an `Rc`), shuts down the write side so the client reads the
//! reply and then end of stream, and reads and drops what the client still sends
//! ([`drain`](super::drain)) until the client closes, for at most
//! [`CLOSE_LINGER`](super::CLOSE_LINGER). Closing with unread bytes would send a reset instead.

use std::io::{self, ErrorKind};
use std::net::{Shutdown as Half, SocketAddr};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use slab::Slab;

use super::ServerOptions;
use super::framing::{CLOSE_LINGER, Drain, Outcome, drain};
use super::os::{bind_listener, is_resource_exhausted, release_free_memory};

/// The listener's token (connections use their slab key, which never gets this large).
const LISTENER: Token = Token(usize::MAX);
/// The token of the waker that [`ShutdownHandle::shutdown`] rings.
const WAKER: Token = Token(usize::MAX - 1);
/// The token of the SIGINT/SIGTERM source.
const SIGNALS: Token = Token(usize::MAX - 2);
/// How long accepting pauses after `accept` failed for lack of fds or memory (unless a
/// connection closes first and frees one).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
/// How long a connection must have waited on its incomplete request before it may be evicted to
/// make room for a new client (or the request timeout, if shorter). A client that sends its
/// request right after connecting is never this slow, so a burst of normal clients at the limit
/// queues as before instead of evicting one another.
pub const EVICTION_AGE: Duration = Duration::from_secs(1);
/// Open connections from which a drop to a quarter counts as the end of a flood, after which the
/// loop gives the freed memory back to the system (see [`release_free_memory`]).
const FLOOD: usize = 256;

/// What a suspended connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The socket has bytes to read (or was closed or reset): more of the request. A connection
    /// waiting for this before its first [`Wait::Writable`] is an incomplete request, which the
    /// loop may evict when the table is full.
    Readable,
    /// The socket has room to write (or was closed or reset): the rest of the reply.
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

/// One connection in a coroutine style: shares its non-blocking socket with the loop and runs
/// until it waits.
pub trait Connection: Sized {
    /// State shared by all connections of a server, e.g. a pool of stacks.
    type Shared: Default;
    /// Starts serving `stream`; the loop resumes it at once, then on readiness events. The loop
    /// keeps a second `Rc` of the socket, to close it cleanly once the connection is done: a
    /// connection must not keep its `Rc` past [`Connection::finish`].
    fn start(
        stream: Rc<TcpStream>,
        max_request: usize,
        shared: &mut Self::Shared,
    ) -> io::Result<Self>;
    /// Runs the connection until it waits for readiness or finishes.
    fn resume(&mut self) -> Step;
    /// Disposes of a connection that finished or was cut off (timeout, shutdown), closing its
    /// socket and returning anything reusable to `shared`.
    fn finish(self, shared: &mut Self::Shared);
    /// Gives memory kept in `shared` for reuse (idle stacks, ...) back to the system. The loop
    /// calls it once a flood of connections has gone, before it trims the heap. Nothing by default.
    fn release_memory(shared: &mut Self::Shared) {
        let _ = shared;
    }
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
    /// Connections closed because they were not done within the request timeout.
    pub too_slow: u64,
    /// Incomplete requests closed to make room for a waiting client when the table was full.
    pub evicted: u64,
    /// Answered connections whose client neither closed nor stopped sending within the linger
    /// after the reply (closed anyway; the others ended with the client's end of stream).
    pub linger_cut: u64,
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
    /// Times a flood of connections had gone and the memory it freed was given back.
    pub memory_released: u64,
    /// Connections still being served at shutdown (closed then); answered connections waiting
    /// for their client's end of stream are not counted.
    pub open_at_shutdown: u64,
}

impl Stats {
    fn record(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Answered => self.answered += 1,
            Outcome::TooLarge => self.too_large += 1,
            Outcome::ClosedEarly => self.closed_early += 1,
            Outcome::TimedOut => self.timed_out += 1,
            Outcome::TooSlow => self.too_slow += 1,
            Outcome::Evicted => self.evicted += 1,
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

/// Where a connection stands, as far as the loop can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading its request: on the list of incomplete requests, which may be evicted.
    Request,
    /// Writing its reply (it waited for room to write at least once).
    Reply,
    /// Answered: the connection is finished, the loop drains the socket until the client closes
    /// or `until`.
    Closing {
        /// When the loop stops waiting for the client's end of stream.
        until: Instant,
        /// Bytes read and dropped since the reply.
        drained: usize,
    },
}

/// One accepted socket in the loop.
struct Entry<C> {
    /// `None` once the connection finished and the loop only closes the socket.
    conn: Option<C>,
    stream: Rc<TcpStream>,
    waiting: Wait,
    last_active: Instant,
    accepted: Instant,
    phase: Phase,
    /// Neighbours on the list of incomplete requests (in accept order), while in `Phase::Request`.
    older: Option<usize>,
    newer: Option<usize>,
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
    /// The oldest and newest connection still reading its request (a list linked through the
    /// entries' `older`/`newer`).
    oldest_request: Option<usize>,
    newest_request: Option<usize>,
    /// The most connections open since the table was last empty.
    open_peak: usize,
    /// How many were open when memory was last given back, during the current flood.
    released_at: Option<usize>,
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
            oldest_request: None,
            newest_request: None,
            open_peak: 0,
            released_at: None,
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
        let shortest = self
            .opts
            .idle_timeout
            .min(self.opts.request_timeout)
            .min(CLOSE_LINGER);
        let sweep_every = (shortest / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
        let mut next_sweep = Instant::now() + sweep_every;
        let mut stop = false;
        while !stop && !self.handle.stop.load(Ordering::SeqCst) {
            let now = Instant::now();
            self.accept_if_possible(now);
            let mut wake_at = next_sweep;
            if let Some(until) = self.accept_paused_until {
                wake_at = wake_at.min(until);
            }
            if let Some(evictable) = self.next_eviction(now) {
                wake_at = wake_at.min(evictable);
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
                self.sweep(now);
                next_sweep = now + sweep_every;
            }
            // After every batch, so the memory of a flood's connections goes back as soon as
            // they have closed, not at the next sweep.
            self.release_memory_after_flood();
        }
        // Shutting down: close what is still open.
        let keys: Vec<usize> = self.conns.iter().map(|(key, _)| key).collect();
        for key in keys {
            if self.conns[key].conn.is_some() {
                self.stats.open_at_shutdown += 1;
            }
            self.close(key);
        }
        Ok(self.stats)
    }

    /// Resumes connection `key` (or drains it, once answered) if `event` is what it waits for.
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
        if matches!(entry.phase, Phase::Closing { .. }) {
            self.drain_closing(key);
        } else {
            self.resume(key, now);
        }
    }

    /// Runs connection `key` until it waits again or finishes.
    fn resume(&mut self, key: usize, now: Instant) {
        let Some(conn) = self.conns.get_mut(key).and_then(|e| e.conn.as_mut()) else {
            return;
        };
        match conn.resume() {
            // Suspended again: remember what for.
            Step::Wait(wait) => {
                if wait == Wait::Writable {
                    self.stats.write_waits += 1;
                    self.unlist_request(key); // now in `Phase::Reply`
                }
                self.conns[key].waiting = wait;
            }
            // Answered: close cleanly, letting the client read the reply to its end.
            Step::Done(Outcome::Answered) => {
                self.stats.record(Outcome::Answered);
                self.start_closing(key, now);
            }
            // Finished otherwise: count it and close the socket.
            Step::Done(outcome) => {
                self.stats.record(outcome);
                self.close(key);
            }
        }
    }

    /// The connection `key` answered: disposes of it, shuts down the socket's write side and
    /// drains what the client still sends until it closes (now, or on later readable events).
    fn start_closing(&mut self, key: usize, now: Instant) {
        self.unlist_request(key);
        let entry = &mut self.conns[key];
        if let Some(conn) = entry.conn.take() {
            conn.finish(&mut self.shared);
        }
        if entry.stream.shutdown(Half::Write).is_err() {
            // Reset already: nothing left to be clean about.
            self.close(key);
            return;
        }
        entry.phase = Phase::Closing {
            until: now + CLOSE_LINGER,
            drained: 0,
        };
        entry.waiting = Wait::Readable;
        self.drain_closing(key);
    }

    /// Reads and drops what the client of answered connection `key` sends; closes it once the
    /// client closed or sent too much.
    fn drain_closing(&mut self, key: usize) {
        let entry = &mut self.conns[key];
        let Phase::Closing { drained, .. } = &mut entry.phase else {
            return;
        };
        let stream = &entry.stream;
        match drain(|buf| io::Read::read(&mut &**stream, buf), drained) {
            // The client may still close within the linger: wait for it.
            Drain::WouldBlock => {}
            // The client closed: a clean end.
            Drain::Closed => self.close(key),
            // A client that keeps sending: close anyway.
            Drain::OverLimit => {
                self.stats.linger_cut += 1;
                self.close(key);
            }
        }
    }

    /// Closes connection `key`, which frees an fd: accepting may go on.
    fn close(&mut self, key: usize) {
        self.unlist_request(key);
        let entry = self.conns.remove(key);
        if let Some(conn) = entry.conn {
            conn.finish(&mut self.shared);
        }
        // Dropping the loop's `Rc`, the last one, closes the socket.
        drop(entry.stream);
        self.accept_paused_until = None;
    }

    /// Closes the connections idle for `idle_timeout`, those not done `request_timeout` after
    /// their accept, and the answered ones whose client did not close within the linger.
    fn sweep(&mut self, now: Instant) {
        let (idle, deadline) = (self.opts.idle_timeout, self.opts.request_timeout);
        let expired: Vec<(usize, Option<Outcome>)> = self
            .conns
            .iter()
            .filter_map(|(key, e)| match e.phase {
                Phase::Closing { until, .. } => (now >= until).then_some((key, None)),
                _ if now.saturating_duration_since(e.accepted) >= deadline => {
                    Some((key, Some(Outcome::TooSlow)))
                }
                _ if now.saturating_duration_since(e.last_active) >= idle => {
                    Some((key, Some(Outcome::TimedOut)))
                }
                _ => None,
            })
            .collect();
        for (key, outcome) in expired {
            match outcome {
                Some(outcome) => self.stats.record(outcome),
                None => self.stats.linger_cut += 1,
            }
            self.close(key);
        }
    }

    /// Once a flood of connections is going (at least [`FLOOD`] were open, now a quarter or fewer),
    /// gives the memory they freed back to the system, and again each time the open connections
    /// halve, until none is left; so the server's resident size returns to what its open
    /// connections need, with a handful of releases per flood and none in normal service.
    fn release_memory_after_flood(&mut self) {
        let open = self.conns.len();
        let going = self.open_peak >= FLOOD && open <= self.open_peak / 4;
        if going && self.released_at.is_none_or(|last| open <= last / 2) {
            self.conns.shrink_to_fit();
            C::release_memory(&mut self.shared);
            release_free_memory();
            self.stats.memory_released += 1;
            self.released_at = Some(open);
        }
        if open == 0 {
            self.open_peak = 0;
            self.released_at = None;
        }
    }

    /// How long a request must have waited before it may be evicted.
    fn eviction_age(&self) -> Duration {
        EVICTION_AGE.min(self.opts.request_timeout)
    }

    /// When the oldest incomplete request may be evicted, if accepting waits for a free slot.
    fn next_eviction(&self, now: Instant) -> Option<Instant> {
        // Only while accepting waits for a slot (not while it is paused for want of fds).
        if !(self.at_limit && self.accept_pending) || self.accept_paused_until.is_some() {
            return None;
        }
        let oldest = self.conns.get(self.oldest_request?)?;
        Some((oldest.accepted + self.eviction_age()).max(now))
    }

    /// The incomplete request that has waited longest, if it waited at least the eviction age.
    fn evictable(&self, now: Instant) -> Option<usize> {
        let key = self.oldest_request?;
        let waited = now.saturating_duration_since(self.conns.get(key)?.accepted);
        (waited >= self.eviction_age()).then_some(key)
    }

    /// Accepts queued connections unless paused. At the connection limit, a waiting client takes
    /// the slot of the incomplete request that has waited longest, if it waited long enough.
    fn accept_if_possible(&mut self, now: Instant) {
        if let Some(until) = self.accept_paused_until {
            if now < until {
                return;
            }
            self.accept_paused_until = None;
        }
        while self.accept_pending {
            let evict = if self.conns.len() >= self.opts.max_connections {
                match self.evictable(now) {
                    // Accept first: evict only if a client really is waiting.
                    Some(key) => Some(key),
                    // At the limit: leave the rest in the listen queue until a connection closes
                    // or an incomplete request has waited long enough to be evicted.
                    None => {
                        if !self.at_limit {
                            self.stats.limit_paused += 1;
                            self.at_limit = true;
                        }
                        return;
                    }
                }
            } else {
                None
            };
            self.at_limit = false;
            match self.listener.accept() {
                // A new client: make room if needed, register it and run its coroutine up to
                // its first wait.
                Ok((stream, _peer)) => {
                    if let Some(key) = evict {
                        self.stats.record(Outcome::Evicted);
                        self.close(key);
                    }
                    self.start(stream, now);
                }
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
        let stream = Rc::new(stream);
        let conn = match C::start(Rc::clone(&stream), self.opts.max_request, &mut self.shared) {
            // Ready to run.
            Ok(conn) => conn,
            // No resources for it (e.g. no memory for a stack).
            Err(_) => {
                // Dropping the last `Rc` closes the socket, which removes it from epoll.
                self.stats.start_failed += 1;
                return;
            }
        };
        slot.insert(Entry {
            conn: Some(conn),
            stream,
            waiting: Wait::Readable,
            last_active: now,
            accepted: now,
            phase: Phase::Request,
            older: self.newest_request,
            newer: None,
        });
        match self.newest_request {
            Some(newest) => self.conns[newest].newer = Some(key),
            None => self.oldest_request = Some(key),
        }
        self.newest_request = Some(key);
        self.open_peak = self.open_peak.max(self.conns.len());
        // The request is often already there: do not wait for an event to read it.
        self.resume(key, now);
    }

    /// Takes connection `key` off the list of incomplete requests (if it is on it).
    fn unlist_request(&mut self, key: usize) {
        let Some(entry) = self.conns.get_mut(key) else {
            return;
        };
        if entry.phase != Phase::Request {
            return;
        }
        entry.phase = Phase::Reply;
        let (older, newer) = (entry.older.take(), entry.newer.take());
        match older {
            Some(older) => self.conns[older].newer = newer,
            None => self.oldest_request = newer,
        }
        match newer {
            Some(newer) => self.conns[newer].older = older,
            None => self.newest_request = older,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the list of incomplete requests, walked both ways, holds exactly `keys` in order.
    fn listed<C: Connection>(server: &EventLoop<C>) -> Vec<usize> {
        let mut forward = Vec::new();
        let mut next = server.oldest_request;
        while let Some(key) = next {
            forward.push(key);
            next = server.conns[key].newer;
        }
        let mut backward = Vec::new();
        let mut next = server.newest_request;
        while let Some(key) = next {
            backward.push(key);
            next = server.conns[key].older;
        }
        backward.reverse();
        assert_eq!(forward, backward, "the two directions disagree");
        forward
    }

    /// A connection that does nothing: waits for its request forever.
    struct Idle;

    impl Connection for Idle {
        type Shared = ();
        fn start(_: Rc<TcpStream>, _: usize, _: &mut ()) -> io::Result<Self> {
            Ok(Idle)
        }
        fn resume(&mut self) -> Step {
            Step::Wait(Wait::Readable)
        }
        fn finish(self, _: &mut ()) {}
    }

    #[test]
    fn the_incomplete_requests_stay_listed_in_accept_order() -> io::Result<()> {
        let mut server = EventLoop::<Idle>::bind(&ServerOptions::default())?;
        let clients: Vec<_> = (0..6)
            .map(|_| std::net::TcpStream::connect(server.local_addr()))
            .collect::<io::Result<_>>()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.conns.len() < clients.len() && Instant::now() < deadline {
            server.accept_pending = true;
            server.accept_if_possible(Instant::now());
        }
        let keys = listed(&server);
        assert_eq!(keys.len(), 6);
        // Off the list from the middle, the oldest end and the newest end.
        server.unlist_request(keys[2]);
        server.close(keys[0]);
        server.unlist_request(keys[5]);
        assert_eq!(listed(&server), [keys[1], keys[3], keys[4]]);
        assert_eq!(
            server.evictable(Instant::now() + EVICTION_AGE),
            Some(keys[1])
        );
        assert_eq!(server.evictable(Instant::now()), None, "too young to evict");
        for key in [keys[1], keys[3], keys[4]] {
            server.close(key);
        }
        assert_eq!(listed(&server), Vec::<usize>::new());
        Ok(())
    }
}
