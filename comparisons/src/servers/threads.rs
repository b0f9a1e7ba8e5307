//! The thread-per-connection baseline: `std::net` blocking sockets, one OS thread per client,
//! the same [`serve_blocking`] handler the stackful server runs inside its coroutines, with the
//! same request deadline (each read and write waits at most until it) and the same clean close
//! after the reply ([`close_blocking`]). It does not evict slow requests when full: a new client
//! waits in the listen queue until a thread's connection ends (at the latest at the deadline).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Context;
use common::server::{
    Outcome, ServerOptions, bind_listener, close_blocking, is_resource_exhausted, raise_fd_limit,
    serve_blocking,
};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Counts open connections against `--max-connections`.
struct Slots {
    open: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    /// Waits for a free slot and takes it.
    fn take(&self, max: usize) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while *open >= max {
            open = self.freed.wait(open).unwrap_or_else(|e| e.into_inner());
        }
        *open += 1;
    }

    /// Gives a slot back.
    fn give(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.freed.notify_one();
    }
}

/// Binds, prints `listening on IP:PORT`, serves until SIGINT/SIGTERM.
pub fn run(opts: &ServerOptions) -> anyhow::Result<()> {
    if let Err(e) = raise_fd_limit() {
        crate::progress!("server-threads: could not raise the open-file limit: {e}");
    }
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    let listener =
        bind_listener(opts.addr).with_context(|| format!("cannot listen on {}", opts.addr))?;
    super::announce(listener.local_addr())?;
    let opts = opts.clone();
    thread::spawn(move || accept_loop(&listener, &opts));
    // The accept thread runs until the process exits, right after the first signal.
    let _ = signals.forever().next();
    Ok(())
}

fn accept_loop(listener: &TcpListener, opts: &ServerOptions) {
    let slots = Arc::new(Slots {
        open: Mutex::new(0),
        freed: Condvar::new(),
    });
    loop {
        slots.take(opts.max_connections);
        match listener.accept() {
            // A client: serve it on a thread of its own.
            Ok((stream, _)) => {
                let (slots2, opts2) = (slots.clone(), opts.clone());
                let spawned = thread::Builder::new().spawn(move || {
                    serve(&stream, &opts2);
                    slots2.give();
                });
                if spawned.is_err() {
                    // No thread for it: the stream was dropped with the closure (closed).
                    slots.give();
                }
            }
            // Out of fds (EMFILE, ENFILE) or memory: back off instead of spinning.
            Err(e) if is_resource_exhausted(&e) => {
                slots.give();
                thread::sleep(Duration::from_millis(100));
            }
            // The client left before we accepted it, or a signal interrupted us.
            Err(_) => slots.give(),
        }
    }
}

fn serve(stream: &TcpStream, opts: &ServerOptions) {
    let deadlined = Deadlined {
        stream,
        idle: opts.idle_timeout,
        until: Instant::now() + opts.request_timeout,
    };
    if serve_blocking(deadlined, opts.max_request) == Outcome::Answered {
        close_blocking(stream);
    }
}

/// A blocking socket whose every read and write waits at most the idle timeout and never past
/// the request deadline (then it fails with `TimedOut`).
struct Deadlined<'a> {
    stream: &'a TcpStream,
    idle: Duration,
    until: Instant,
}

impl Deadlined<'_> {
    /// How long the next call may wait.
    fn patience(&self) -> io::Result<Duration> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        Ok(left.min(self.idle))
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stream.set_read_timeout(Some(self.patience()?))?;
        (&mut &*self.stream).read(buf)
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.set_write_timeout(Some(self.patience()?))?;
        (&mut &*self.stream).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
