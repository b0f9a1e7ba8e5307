//! The tokio baseline: one task per connection on tokio's current-thread or multi-thread
//! runtime, reading with `readable` + `try_read` through the same framing as the other servers,
//! with the same request deadline (the whole exchange in a `timeout`) and the same clean close
//! after the reply (shut down the write side, [`drain`] for at most [`CLOSE_LINGER`]). It does not
//! evict slow requests when full: a new client waits for a permit (at the latest the deadline).

use std::io::{self, ErrorKind};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use common::server::{
    CLOSE_LINGER, Drain, Fill, Outcome, RequestBuffer, ServerOptions, bind_listener, drain, fill,
    is_resource_exhausted, raise_fd_limit,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Semaphore;
use tokio::time::timeout;

/// Which tokio runtime runs the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Runtime {
    /// Everything on the calling thread.
    Current,
    /// A worker thread per core, with work stealing.
    Multi,
}

/// Builds the runtime, binds, prints `listening on IP:PORT`, serves until SIGINT/SIGTERM.
pub fn run(opts: &ServerOptions, runtime: Runtime) -> anyhow::Result<()> {
    if let Err(e) = raise_fd_limit() {
        crate::progress!("server-tokio: could not raise the open-file limit: {e}");
    }
    let rt = match runtime {
        Runtime::Current => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Runtime::Multi => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .context("building the tokio runtime")?;
    rt.block_on(serve(opts.clone()))
}

async fn serve(opts: ServerOptions) -> anyhow::Result<()> {
    let listener = bind_listener(opts.addr)
        .and_then(|l| {
            l.set_nonblocking(true)?;
            TcpListener::from_std(l)
        })
        .with_context(|| format!("cannot listen on {}", opts.addr))?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing signal handlers")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing signal handlers")?;
    super::announce(listener.local_addr())?;
    let slots = Arc::new(Semaphore::new(opts.max_connections));
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.context("semaphore closed")?,
            _ = sigint.recv() => return Ok(()),
            _ = sigterm.recv() => return Ok(()),
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                // A client: serve it in a task of its own.
                Ok((mut stream, _)) => {
                    let (max_request, idle) = (opts.max_request, opts.idle_timeout);
                    let deadline = opts.request_timeout;
                    tokio::spawn(async move {
                        let served = timeout(deadline, handle(&stream, max_request, idle)).await;
                        if served == Ok(Outcome::Answered) {
                            close_cleanly(&mut stream).await;
                        }
                        drop(permit);
                    });
                }
                // Out of fds (EMFILE, ENFILE) or memory: back off instead of spinning.
                Err(e) if is_resource_exhausted(&e) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                // The client left before we accepted it.
                Err(_) => {}
            },
            _ = sigint.recv() => return Ok(()),
            _ = sigterm.recv() => return Ok(()),
        }
    }
}

/// After the reply: shuts down the write side and drops what the client still sends until it
/// closes, for at most [`CLOSE_LINGER`], so that the client reads the reply and end of stream.
async fn close_cleanly(stream: &mut TcpStream) {
    if stream.shutdown().await.is_err() {
        return;
    }
    let mut drained = 0;
    let _ = timeout(CLOSE_LINGER, async {
        while stream.readable().await.is_ok() {
            if drain(|buf| stream.try_read(buf), &mut drained) != Drain::WouldBlock {
                return;
            }
        }
    })
    .await;
}

/// Serves one connection: read until `\n\n` (each wait bounded by the idle timeout), reply.
async fn handle(stream: &TcpStream, max_request: usize, idle: Duration) -> Outcome {
    let mut request = RequestBuffer::new(max_request);
    loop {
        match timeout(idle, stream.readable()).await {
            // Silent for too long.
            Err(_) => return Outcome::TimedOut,
            Ok(Err(e)) => return Outcome::from_error(&e),
            Ok(Ok(())) => {}
        }
        match fill(|buf| stream.try_read(buf), &mut request) {
            // A spurious wake-up or a partial request: wait again.
            Ok(Fill::WouldBlock) => {}
            // The whole request is here.
            Ok(Fill::Complete) => break,
            // Over the limit: close unanswered.
            Ok(Fill::TooLarge) => return Outcome::TooLarge,
            // The client closed before the terminator.
            Ok(Fill::Eof) => return Outcome::ClosedEarly,
            Err(e) => return Outcome::from_error(&e),
        }
    }
    let reply = request.into_reply();
    let mut written = 0;
    while written < reply.len() {
        match timeout(idle, stream.writable()).await {
            Err(_) => return Outcome::TimedOut,
            Ok(Err(e)) => return Outcome::from_error(&e),
            Ok(Ok(())) => {}
        }
        match stream.try_write(&reply[written..]) {
            // The peer cannot take more bytes.
            Ok(0) => return Outcome::Failed(ErrorKind::WriteZero),
            // Partly or fully written: go on.
            Ok(n) => written += n,
            // A spurious wake-up: wait again.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Outcome::from_error(&e),
        }
    }
    Outcome::Answered
}
