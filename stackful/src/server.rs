//! The article's selector-driven TCP server with stackful coroutines: each connection is a
//! `corosensei` coroutine running the ordinary blocking-style handler
//! [`serve_blocking`] over a socket wrapper that, instead of blocking, suspends the whole
//! coroutine stack when the socket would block, telling the mio event loop in
//! [`stackless::server_common`] what it waits for.
//!
//! Easy here: the connection code is the same code a thread-per-connection server runs
//! (`serve_blocking`, `write_all` and all); suspension happens deep inside `Read::read`.
//! Hard here: each suspended connection keeps a stack of its own. Its size is chosen below
//! ([`STACK_SIZE`]); only the pages the handler touches become resident memory.

use std::io::{self, ErrorKind, Read, Write};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use mio::net::TcpStream;

use stackless::server_common::{Connection, EventLoop, Outcome, Step, Wait, serve_blocking};

/// The stackful server: `Server::bind(&opts)?.run_until(shutdown)`.
///
/// A server is not `Send` (its coroutines are not), so it is bound and run in the thread that
/// serves; [`scenarios::Running`](stackless::server_common::scenarios::Running) does that:
///
/// ```
/// use stackful::server::StackfulConnection;
/// use stackless::server_common::ServerOptions;
/// use stackless::server_common::scenarios::{Running, exchange};
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
/// serves a request on it and finds the lowest byte written: about 2.7–3 KiB in release builds
/// and 4.1–4.4 KiB unoptimised (corosensei's entry frame, `serve_blocking` with its 2 KiB read
/// buffer, `read`/`write` and the allocator growing the request). 8 KiB would do; 16 KiB leaves
/// room for the allocator's and the kernel interface's slow paths at no resident cost, because
/// only touched pages become resident: an idle connection uses the top page (4 KiB) of its stack.
pub const STACK_SIZE: usize = 16 * 1024;

/// Most finished stacks kept for reuse (each `mmap` + `mprotect` + `munmap` saved per connection).
const POOL_LIMIT: usize = 1024;

/// Stacks of finished connections, reused by new ones.
#[derive(Default)]
pub struct StackPool {
    free: Vec<DefaultStack>,
}

impl StackPool {
    fn take(&mut self) -> io::Result<DefaultStack> {
        match self.free.pop() {
            // A stack of a finished connection: no system call.
            Some(stack) => Ok(stack),
            // None free: map a new one (plus its guard page).
            None => DefaultStack::new(STACK_SIZE),
        }
    }

    fn give(&mut self, stack: DefaultStack) {
        if self.free.len() < POOL_LIMIT {
            self.free.push(stack);
        }
    }
}

/// One connection as a coroutine on its own stack.
pub struct StackfulConnection {
    coroutine: Coroutine<(), Wait, Outcome, DefaultStack>,
}

impl Connection for StackfulConnection {
    type Shared = StackPool;

    fn start(stream: TcpStream, max_request: usize, pool: &mut StackPool) -> io::Result<Self> {
        let stack = pool.take()?;
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

    fn finish(mut self, pool: &mut StackPool) {
        if !self.coroutine.done() {
            // Cut off while suspended (timeout, shutdown): unwind its stack, dropping the socket.
            self.coroutine.force_unwind();
        }
        pool.give(self.coroutine.into_stack());
    }
}

/// The coroutine serving one connection on `stack`: [`serve_blocking`] over a [`Suspending`]
/// view of the non-blocking socket.
pub fn connection(
    stream: TcpStream,
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
    use corosensei::stack::Stack;
    use std::time::{Duration, Instant};

    const PAINT: u8 = 0xA5;

    /// The lowest address of the `STACK_SIZE` bytes below the base (`limit()` includes the guard).
    fn usable_low(stack: &DefaultStack) -> usize {
        stack.base().get() - STACK_SIZE
    }

    /// Bytes of `stack` below its base that no longer hold the paint.
    fn touched(stack: &DefaultStack) -> usize {
        let low = usable_low(stack);
        // SAFETY: DefaultStack keeps [low, base) mapped readable and writable for its whole life
        // (its guard page lies below `low`), and no coroutine runs on it now (it was just created
        // or taken back with `into_stack`).
        let bytes = unsafe { std::slice::from_raw_parts(low as *const u8, STACK_SIZE) };
        bytes
            .iter()
            .position(|&b| b != PAINT)
            .map_or(0, |low| bytes.len() - low)
    }

    /// Runs one whole request (of `request_len` bytes) through a connection on a painted stack and
    /// returns how many bytes of the stack it touched.
    fn stack_high_water_mark(request_len: usize) -> io::Result<usize> {
        let stack = DefaultStack::new(STACK_SIZE)?;
        // SAFETY: as in `touched`: the mapping is ours, writable and unused.
        unsafe { std::ptr::write_bytes(usable_low(&stack) as *mut u8, PAINT, STACK_SIZE) };
        assert_eq!(touched(&stack), 0);

        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let (accepted, _) = listener.accept()?;
        accepted.set_nonblocking(true)?;
        let mut co = connection(TcpStream::from_std(accepted), 1 << 20, stack);
        // Suspend once on an empty socket, like an idle connection, then get the request.
        assert!(matches!(
            co.resume(()),
            CoroutineResult::Yield(Wait::Readable)
        ));
        let mut request = vec![b'x'; request_len];
        request.extend_from_slice(b"\n\n");
        client.write_all(&request)?;
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
        let mut reply = Vec::new();
        client.read_to_end(&mut reply)?;
        assert_eq!(reply.len(), request_len + 6);
        Ok(touched(&co.into_stack()))
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
