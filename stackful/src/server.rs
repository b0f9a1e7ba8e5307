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
pub type Server = EventLoop<StackfulConnection>;

/// Usable stack per connection (plus one guard page, so an overflow faults instead of
/// corrupting memory). The handler needs about 3 KiB in release builds and less than 8 KiB
/// unoptimised (measured by `stack_high_water_mark` in the tests: corosensei's entry frame,
/// `serve_blocking` with its 2 KiB read buffer, `read`/`write` and the allocator for the reply);
/// 16 KiB leaves room for the allocator's slow paths. An idle connection touches only the top
/// one or two pages, so its resident cost stays far under the 20 KiB target.
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
            Some(stack) => Ok(stack),
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
        Ok(StackfulConnection { coroutine: connection(stream, max_request, stack) })
    }

    fn resume(&mut self) -> Step {
        match self.coroutine.resume(()) {
            CoroutineResult::Yield(wait) => Step::Wait(wait),
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
        serve_blocking(Suspending { stream: &stream, yielder }, max_request)
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
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.yielder.suspend(Wait::Readable)
                }
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
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.yielder.suspend(Wait::Writable)
                }
                // Written (maybe partly) or a real error: `write_all` loops over partial writes.
                result => return result,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
