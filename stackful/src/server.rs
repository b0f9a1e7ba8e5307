//! The article's selector-driven TCP server with stackful coroutines: each connection is a
//! `corosensei` coroutine running the ordinary blocking-style handler
//! [`serve_blocking`] over a socket wrapper that, instead of blocking, suspends the whole
//! coroutine stack when the socket would block, telling the mio event loop in
//! [`common::server`] what it waits for.
//!
//! Easy here: the connection code is the same code a thread-per-connection server runs
//! (`serve_blocking`, `write_all` and all); suspension happens deep inside `Read::read`.
//! Hard here: each suspended connection keeps a stack of its own. Its size is chosen below
//! ([`STACK_SIZE`]); only the pages the handler touches become resident memory.

use std::io::{self, ErrorKind, Read, Write};
use std::rc::Rc;

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use mio::net::TcpStream;

use common::server::{Connection, EventLoop, Outcome, Step, Wait, serve_blocking};

use crate::stacks::StackPool;

/// The stackful server: `Server::bind(&opts)?.run_until(shutdown)`.
///
/// A server is not `Send` (its coroutines are not), so it is bound and run in the thread that
/// serves; the test harness `common::server::scenarios::Running` does that:
///
/// ```
/// use stackful::server::StackfulConnection;
/// use common::server::ServerOptions;
/// use common::server::scenarios::{Running, exchange};
///
/// let server = Running::start::<StackfulConnection>(&ServerOptions::default())?; // 127.0.0.1:0
/// assert_eq!(exchange(server.addr, b"doc\n\n")?, b"Hello doc");
/// let stats = server.stop()?;
/// assert_eq!(stats.answered, 1);
/// # Ok::<(), anyhow::Error>(())
/// ```
pub type Server = EventLoop<StackfulConnection>;

/// Usable stack per connection (plus one guard page, so an overflow faults instead of
/// corrupting memory). The test `the_handler_fits_its_stack_with_room_to_spare` paints a stack,
/// serves a request on it and finds the lowest byte written: about 2.6–2.9 KiB in release builds
/// and 4.1–4.4 KiB unoptimised (corosensei's entry frame, `serve_blocking` with its 2 KiB read
/// buffer, `read`/`write` and the allocator growing the request). 8 KiB would do; 16 KiB leaves
/// room for the allocator's and the kernel interface's slow paths at no resident cost, because
/// only touched pages become resident: an idle connection uses the top page (4 KiB) of its stack.
pub const STACK_SIZE: usize = 16 * 1024;

/// Most finished stacks kept for reuse (each `mmap` + `mprotect` + `munmap` saved per connection).
const POOL_LIMIT: usize = 1024;

/// The server's pool of [`STACK_SIZE`] stacks, reused by new connections
/// ([`StackPool`], the pool the scheduler demo uses too).
pub struct ServerStacks(pub StackPool);

impl Default for ServerStacks {
    fn default() -> Self {
        ServerStacks(StackPool::with_max_idle(STACK_SIZE, POOL_LIMIT))
    }
}

/// One connection as a coroutine on its own stack.
pub struct StackfulConnection {
    coroutine: Coroutine<(), Wait, Outcome, DefaultStack>,
}

impl Connection for StackfulConnection {
    type Shared = ServerStacks;

    fn start(
        stream: Rc<TcpStream>,
        max_request: usize,
        pool: &mut ServerStacks,
    ) -> io::Result<Self> {
        let stack = pool.0.get()?;
        Ok(StackfulConnection {
            coroutine: connection(stream, max_request, stack),
        })
    }

    fn resume(&mut self) -> Step {
        match self.coroutine.resume(()) {
            // Suspended (deep inside `read` or `write`) until the socket is ready for this.
            CoroutineResult::Yield(wait) => Step::Wait(wait),
            // `serve_blocking` returned: the connection is over.
            CoroutineResult::Return(outcome) => Step::Done(outcome),
        }
    }

    fn finish(self, pool: &mut ServerStacks) {
        // Cut off while suspended (timeout, shutdown), it is unwound first, dropping its share of
        // the socket; the loop closes it.
        pool.0.recycle(self.coroutine);
    }

    fn release_memory(pool: &mut ServerStacks) {
        // After a flood the pool may hold up to `POOL_LIMIT` stacks with their touched pages.
        pool.0.release_idle();
    }
}

/// The coroutine serving one connection on `stack`: [`serve_blocking`] over a [`Suspending`]
/// view of the non-blocking socket.
pub fn connection(
    stream: Rc<TcpStream>,
    max_request: usize,
    stack: DefaultStack,
) -> Coroutine<(), Wait, Outcome, DefaultStack> {
    Coroutine::with_stack(stack, move |yielder: &Yielder<(), Wait>, ()| {
        serve_blocking(
            Suspending {
                stream: &stream,
                yielder,
            },
            max_request,
        )
    })
}

/// A non-blocking socket that looks blocking from inside a coroutine: where a read or write
/// would block, it suspends the coroutine until the loop sees the socket ready, then retries.
pub struct Suspending<'a> {
    stream: &'a TcpStream,
    yielder: &'a Yielder<(), Wait>,
}

impl Read for Suspending<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                // Nothing to read yet: suspend until readable, then try again.
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.yielder.suspend(Wait::Readable),
                // Bytes, end of stream or a real error: as a blocking read would return.
                result => return result,
            }
        }
    }
}

impl Write for Suspending<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match self.stream.write(buf) {
                // The send buffer is full: suspend until writable, then try again.
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.yielder.suspend(Wait::Writable),
                // Written (maybe partly) or a real error: `write_all` loops over partial writes.
                result => return result,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Runs one whole request (of `request_len` bytes) through a connection on a painted stack and
    /// returns how many bytes of the stack it touched.
    fn stack_high_water_mark(request_len: usize) -> io::Result<usize> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let (accepted, _) = listener.accept()?;
        accepted.set_nonblocking(true)?;
        let mut reply = Vec::new();
        let used = crate::stacks::measure_stack_use(STACK_SIZE, |stack| {
            let mut co = connection(Rc::new(TcpStream::from_std(accepted)), 1 << 20, stack);
            // Suspend once on an empty socket, like an idle connection, then get the request.
            assert!(matches!(
                co.resume(()),
                CoroutineResult::Yield(Wait::Readable)
            ));
            let mut request = vec![b'x'; request_len];
            request.extend_from_slice(b"\n\n");
            client.write_all(&request).unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            let outcome = loop {
                match co.resume(()) {
                    // Waiting for the socket: poll again shortly.
                    CoroutineResult::Yield(_) => std::thread::sleep(Duration::from_millis(1)),
                    // Served.
                    CoroutineResult::Return(outcome) => break outcome,
                }
                assert!(Instant::now() < deadline, "connection never finished");
            };
            assert_eq!(outcome, Outcome::Answered);
            co.into_stack()
        })?;
        client.read_to_end(&mut reply)?;
        assert_eq!(reply.len(), request_len + 6);
        Ok(used)
    }

    #[test]
    fn the_handler_fits_its_stack_with_room_to_spare() -> io::Result<()> {
        for len in [5, 100_000] {
            let used = stack_high_water_mark(len)?;
            println!("request of {len} bytes: {used} of {STACK_SIZE} stack bytes touched");
            // Touched at all (the paint check works), and at most half of the stack.
            assert!(
                used > 0 && used <= STACK_SIZE / 2,
                "{used} bytes of stack touched"
            );
        }
        Ok(())
    }
}
