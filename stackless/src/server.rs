//! The article's selector-driven TCP server with stackless coroutines: each connection is a
//! native `#[coroutine]` closure that yields what it waits for ([`Wait::Readable`] or
//! [`Wait::Writable`]) to the mio event loop in [`common::server`].
//!
//! Easy here: a suspended connection is only the few variables live across a `yield` (a socket,
//! a request buffer, a write position), about a hundred bytes, so 10,000 idle clients cost little.
//! Hard here: every wait must be a `yield` in the coroutine's own body, so the I/O cannot hide in
//! helper functions as blocking code would (compare `stackful::server`, which reuses
//! [`serve_blocking`](common::server::serve_blocking) unchanged); and a local buffer that is
//! alive across a `yield` is stored in the coroutine, which is why reading happens in [`fill`].

use std::io::{self, ErrorKind, Write};
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::rc::Rc;

use mio::net::TcpStream;

use common::server::{Connection, EventLoop, Fill, Outcome, RequestBuffer, Step, Wait, fill};

/// The stackless server: `Server::bind(&opts)?.run_until(shutdown)`.
///
/// A server is not `Send` (its coroutines are not), so it is bound and run in the thread that
/// serves; the test harness `common::server::scenarios::Running` does that:
///
/// ```
/// use stackless::server::NativeConnection;
/// use common::server::ServerOptions;
/// use common::server::scenarios::{Running, exchange};
///
/// let server = Running::start::<NativeConnection>(&ServerOptions::default())?; // 127.0.0.1:0
/// assert_eq!(exchange(server.addr, b"doc\n\n")?, b"Hello doc");
/// let stats = server.stop()?;
/// assert_eq!(stats.answered, 1);
/// # Ok::<(), anyhow::Error>(())
/// ```
pub type Server = EventLoop<NativeConnection>;

/// One connection as a boxed native coroutine.
pub struct NativeConnection {
    coroutine: Pin<Box<dyn Coroutine<Yield = Wait, Return = Outcome>>>,
}

impl Connection for NativeConnection {
    type Shared = ();

    fn start(stream: Rc<TcpStream>, max_request: usize, _: &mut ()) -> io::Result<Self> {
        Ok(NativeConnection {
            coroutine: Box::pin(connection(stream, max_request)),
        })
    }

    fn resume(&mut self) -> Step {
        match self.coroutine.as_mut().resume(()) {
            // The coroutine yielded what it waits for.
            CoroutineState::Yielded(wait) => Step::Wait(wait),
            // It returned: the connection is over.
            CoroutineState::Complete(outcome) => Step::Done(outcome),
        }
    }

    fn finish(self, _: &mut ()) {
        // Dropping the coroutine drops its share of the socket; the loop closes it.
    }
}

/// The coroutine serving one connection: read until `\n\n`, write `Hello ` + the request, return.
/// The socket is non-blocking; each `yield` hands the loop what the coroutine waits for.
pub fn connection(
    stream: Rc<TcpStream>,
    max_request: usize,
) -> impl Coroutine<Yield = Wait, Return = Outcome> {
    #[coroutine]
    move || {
        let mut request = RequestBuffer::new(max_request);
        loop {
            match fill(|buf| io::Read::read(&mut &*stream, buf), &mut request) {
                // Drained the socket without a full request: wait for more bytes.
                Ok(Fill::WouldBlock) => yield Wait::Readable,
                // The whole request is here.
                Ok(Fill::Complete) => break,
                // Over the limit: close without answering.
                Ok(Fill::TooLarge) => return Outcome::TooLarge,
                // The client closed or half-closed before the terminator.
                Ok(Fill::Eof) => return Outcome::ClosedEarly,
                // Reset or another error.
                Err(e) => return Outcome::from_error(&e),
            }
        }
        let reply = request.into_reply();
        let mut written = 0;
        while written < reply.len() {
            match (&*stream).write(&reply[written..]) {
                // The peer cannot take more bytes.
                Ok(0) => return Outcome::Failed(ErrorKind::WriteZero),
                // A partial or full write: go on with the rest.
                Ok(n) => written += n,
                // The send buffer is full: wait until it drains.
                Err(e) if e.kind() == ErrorKind::WouldBlock => yield Wait::Writable,
                // A signal interrupted the call: try again.
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // Reset, broken pipe, ...
                Err(e) => return Outcome::from_error(&e),
            }
        }
        Outcome::Answered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suspended_connection_is_small() -> io::Result<()> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let _client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let (accepted, _) = listener.accept()?;
        accepted.set_nonblocking(true)?;
        let mut co = Box::pin(connection(Rc::new(TcpStream::from_std(accepted)), 100));
        // Nothing was sent: the coroutine reads, gets WouldBlock and waits.
        assert_eq!(
            co.as_mut().resume(()),
            CoroutineState::Yielded(Wait::Readable)
        );
        // Its whole saved state: the socket, the (empty) request buffer, the write position...
        // but not the 2 KiB read buffer, which lives only inside `fill` (112 bytes in release and
        // 128 unoptimised with rustc 1.97 nightly).
        let size = std::mem::size_of_val(&*co);
        println!("a suspended connection coroutine takes {size} bytes");
        assert!(size <= 256, "suspended connection takes {size} bytes");
        Ok(())
    }
}
