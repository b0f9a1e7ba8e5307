//! The protocol: a client sends bytes ending in `\n\n`; the server answers `Hello ` followed by
//! the bytes before the terminator, then closes. The terminator may arrive split across reads.
//!
//! Closing cleanly: bytes the client sent after the terminator are not part of the request, but a
//! socket closed with unread bytes in it sends a reset, which makes the client's read of the reply
//! fail (and some stacks then drop reply bytes not yet read). So after the reply a server shuts
//! down its write side (the client reads the reply, then end of stream) and reads and drops what
//! the client still sends, for at most [`CLOSE_LINGER`] and [`CLOSE_DRAIN_LIMIT`] bytes, until the
//! client closes too ([`drain`], [`close_blocking`]).

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::{Duration, Instant};

/// The end of a request.
pub const TERMINATOR: &[u8] = b"\n\n";
/// What every reply starts with.
pub const GREETING: &[u8] = b"Hello ";
/// How many bytes one `read` asks for. Small on purpose: the stackful server reads into a buffer on
/// the coroutine's own (small) stack, and a request is usually a few bytes.
pub const READ_CHUNK: usize = 2048;
/// The longest a server waits, after its reply, for the client to close its side.
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);
/// The most bytes a server reads and drops after its reply before closing anyway.
pub const CLOSE_DRAIN_LIMIT: usize = 1 << 20;

/// Where a request stands after some bytes were added to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// No terminator yet: read more.
    NeedMore,
    /// The terminator arrived: the reply is ready.
    Complete,
    /// The request (terminator included) would exceed the limit.
    TooLarge,
}

/// How one connection ended; counted in [`Stats`](crate::server::Stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The request was answered in full.
    Answered,
    /// The request grew over `--max-request` bytes and the connection was closed.
    TooLarge,
    /// The client closed (or half-closed) its side before sending the terminator.
    ClosedEarly,
    /// The client stayed silent longer than `--idle-timeout`.
    TimedOut,
    /// The request and its reply were not done within `--request-timeout` of the accept, however
    /// steadily the client trickled bytes.
    TooSlow,
    /// The connection table was full and a new client was waiting: this connection, the one that
    /// had waited longest on an incomplete request, was closed to make room.
    Evicted,
    /// An I/O error such as a reset ended the connection.
    Failed(ErrorKind),
}

impl Outcome {
    /// The outcome of a connection ended by the I/O error `error`.
    pub fn from_error(error: &io::Error) -> Self {
        match error.kind() {
            // A blocking socket with a timeout reports a silent peer this way.
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Outcome::TimedOut,
            kind => Outcome::Failed(kind),
        }
    }
}

/// The bytes of one request as they arrive, kept with the reply's greeting in front so that the
/// reply needs no copy. Allocates nothing until the first byte arrives, so an idle connection
/// costs only the struct itself, and grows with what arrived (at most doubling, and never past
/// the greeting plus the limit), so a client that trickles a few bytes pins a few bytes.
#[derive(Debug)]
pub struct RequestBuffer {
    /// `GREETING` followed by the request bytes received so far (empty before the first byte).
    buf: Vec<u8>,
    /// Request bytes (after the greeting) already searched for the terminator.
    scanned: usize,
    /// The limit on request bytes, terminator included.
    max_request: usize,
}

impl RequestBuffer {
    /// An empty request that may grow to `max_request` bytes, terminator included.
    pub fn new(max_request: usize) -> Self {
        RequestBuffer {
            buf: Vec::new(),
            scanned: 0,
            max_request,
        }
    }

    /// The request bytes received so far (before the terminator, once complete).
    pub fn request(&self) -> &[u8] {
        self.buf.get(GREETING.len()..).unwrap_or_default()
    }

    /// Adds received bytes and says whether the request is complete.
    ///
    /// ```
    /// use common::server::{Progress, RequestBuffer};
    /// let mut request = RequestBuffer::new(100);
    /// assert_eq!(request.push(b"world\n"), Progress::NeedMore);
    /// assert_eq!(request.push(b"\n"), Progress::Complete);
    /// assert_eq!(request.into_reply(), b"Hello world");
    /// ```
    pub fn push(&mut self, bytes: &[u8]) -> Progress {
        if self.buf.is_empty() {
            self.buf.reserve_exact(GREETING.len() + bytes.len());
            self.buf.extend_from_slice(GREETING);
        }
        // Keep at most the limit (plus one byte, which says "too large"): what is past it is
        // never looked at, so it is not stored either.
        let room = (GREETING.len() + self.max_request + 1).saturating_sub(self.buf.len());
        let bytes = &bytes[..bytes.len().min(room)];
        let wanted = self.buf.len() + bytes.len();
        if wanted > self.buf.capacity() {
            // Double, as `Vec` would, but never past the largest request.
            let cap = wanted
                .max(2 * self.buf.capacity())
                .min(GREETING.len() + self.max_request + 1);
            self.buf.reserve_exact(cap - self.buf.len());
        }
        self.buf.extend_from_slice(bytes);
        let received = self.buf.len() - GREETING.len();
        // Look again at the last byte already scanned: it may be the first half of the terminator.
        let from = GREETING.len() + self.scanned.saturating_sub(TERMINATOR.len() - 1);
        let found = self.buf[from..]
            .windows(TERMINATOR.len())
            .position(|w| w == TERMINATOR);
        self.scanned = received;
        match found {
            Some(at) => {
                let end = from + at;
                if end - GREETING.len() + TERMINATOR.len() > self.max_request {
                    return Progress::TooLarge;
                }
                // Bytes after the terminator are not part of the request.
                self.buf.truncate(end);
                Progress::Complete
            }
            // Even one more byte would make it too large.
            None if received >= self.max_request => Progress::TooLarge,
            None => Progress::NeedMore,
        }
    }

    /// The reply: `Hello ` followed by the request (call after [`Progress::Complete`]).
    pub fn into_reply(mut self) -> Vec<u8> {
        if self.buf.is_empty() {
            self.buf.extend_from_slice(GREETING);
        }
        self.buf
    }
}

/// What [`fill`] saw when it stopped reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// The socket has no more bytes for now; wait until it is readable.
    WouldBlock,
    /// The request is complete.
    Complete,
    /// The request is over the limit.
    TooLarge,
    /// The peer closed its side before the terminator.
    Eof,
}

/// Reads from a non-blocking source with `read` until the request is complete or the source
/// would block (as edge-triggered readiness requires). The read buffer lives on the caller's stack
/// only for the duration of this call, so a stackless coroutine that calls this keeps no buffer in
/// its saved state.
pub fn fill(
    mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    request: &mut RequestBuffer,
) -> io::Result<Fill> {
    let mut chunk = [0u8; READ_CHUNK];
    loop {
        match read(&mut chunk) {
            // End of stream: the client closed or half-closed without finishing its request.
            Ok(0) => return Ok(Fill::Eof),
            // Some bytes: add them and stop once the request is complete or too large.
            Ok(n) => match request.push(&chunk[..n]) {
                Progress::NeedMore => {}
                Progress::Complete => return Ok(Fill::Complete),
                Progress::TooLarge => return Ok(Fill::TooLarge),
            },
            // Drained: the caller waits for the next readable event.
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(Fill::WouldBlock),
            // A signal interrupted the call: try again.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Anything else (reset, ...) ends the connection.
            Err(e) => return Err(e),
        }
    }
}

/// What [`drain`] saw when it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Nothing more to read for now: wait until readable (or the linger ends).
    WouldBlock,
    /// The client closed its side, or the connection failed: close now.
    Closed,
    /// The client sent [`CLOSE_DRAIN_LIMIT`] bytes after its request: close now anyway.
    OverLimit,
}

/// After the reply (and the write side shut down), reads and drops what the client still sends,
/// from a non-blocking source, until it would block, ends, or `drained` (the bytes dropped so far
/// on this connection) reaches [`CLOSE_DRAIN_LIMIT`].
///
/// ```
/// use common::server::{Drain, drain};
/// let mut trailing = &b"more bytes after the request"[..];
/// let mut drained = 0;
/// assert_eq!(drain(|buf| std::io::Read::read(&mut trailing, buf), &mut drained), Drain::Closed);
/// assert_eq!(drained, 28);
/// ```
pub fn drain(mut read: impl FnMut(&mut [u8]) -> io::Result<usize>, drained: &mut usize) -> Drain {
    let mut chunk = [0u8; 4 * READ_CHUNK];
    loop {
        if *drained >= CLOSE_DRAIN_LIMIT {
            return Drain::OverLimit;
        }
        match read(&mut chunk) {
            // End of stream: the client is done too.
            Ok(0) => return Drain::Closed,
            // More bytes after the request: drop them.
            Ok(n) => *drained += n,
            // Nothing more for now.
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Drain::WouldBlock,
            // A signal interrupted the call: try again.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Reset or another error: nothing left to be clean about.
            Err(_) => return Drain::Closed,
        }
    }
}

/// Closes a blocking socket cleanly after its reply: shuts down the write side, then reads and
/// drops what the client still sends until it closes, for at most [`CLOSE_LINGER`] and
/// [`CLOSE_DRAIN_LIMIT`] bytes (changes the socket's read timeout). Used by the
/// thread-per-connection baseline; the event loop does the same with [`drain`].
pub fn close_blocking(stream: &std::net::TcpStream) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return; // already reset
    }
    let until = Instant::now() + CLOSE_LINGER;
    let mut drained = 0;
    let mut chunk = [0u8; 4 * READ_CHUNK];
    while drained < CLOSE_DRAIN_LIMIT {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match (&mut &*stream).read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => drained += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Serves one connection with ordinary blocking-style I/O: read until `\n\n`, write the reply.
///
/// Used as is by the thread-per-connection baseline (a blocking socket with timeouts) and by the
/// stackful server, whose stream suspends the coroutine instead of blocking: the same code runs
/// in both, which is what stackful coroutines make easy.
pub fn serve_blocking(mut stream: impl Read + Write, max_request: usize) -> Outcome {
    let mut request = RequestBuffer::new(max_request);
    let mut chunk = [0u8; READ_CHUNK];
    loop {
        match stream.read(&mut chunk) {
            // The client closed before the terminator.
            Ok(0) => return Outcome::ClosedEarly,
            // Some bytes: stop reading once complete or too large.
            Ok(n) => match request.push(&chunk[..n]) {
                Progress::NeedMore => {}
                Progress::Complete => break,
                Progress::TooLarge => return Outcome::TooLarge,
            },
            // A signal interrupted the call: try again.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // Reset, timeout, ...: the connection is over.
            Err(e) => return Outcome::from_error(&e),
        }
    }
    match stream.write_all(&request.into_reply()) {
        Ok(()) => Outcome::Answered,
        Err(e) => Outcome::from_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(max: usize, parts: &[&[u8]]) -> (Progress, RequestBuffer) {
        let mut request = RequestBuffer::new(max);
        let mut last = Progress::NeedMore;
        for part in parts {
            last = request.push(part);
            if last != Progress::NeedMore {
                break;
            }
        }
        (last, request)
    }

    #[test]
    fn terminator_split_across_pushes() {
        let (p, r) = feed(100, &[b"ab", b"c\n", b"\n"]);
        assert_eq!(p, Progress::Complete);
        assert_eq!(r.into_reply(), b"Hello abc");
    }

    #[test]
    fn byte_by_byte() {
        let bytes = b"x\ny\n\n";
        let parts: Vec<&[u8]> = bytes.chunks(1).collect();
        let (p, r) = feed(100, &parts);
        assert_eq!(p, Progress::Complete);
        assert_eq!(r.request(), b"x\ny");
    }

    #[test]
    fn bytes_after_terminator_are_dropped() {
        let (p, r) = feed(100, &[b"a\n\nrest\n\n"]);
        assert_eq!(p, Progress::Complete);
        assert_eq!(r.into_reply(), b"Hello a");
    }

    #[test]
    fn empty_request() {
        let (p, r) = feed(100, &[b"\n\n"]);
        assert_eq!(p, Progress::Complete);
        assert_eq!(r.into_reply(), b"Hello ");
    }

    #[test]
    fn limit_counts_the_terminator() {
        assert_eq!(feed(5, &[b"abc\n\n"]).0, Progress::Complete);
        assert_eq!(feed(4, &[b"abc\n\n"]).0, Progress::TooLarge);
        assert_eq!(feed(4, &[b"abcd"]).0, Progress::TooLarge);
        assert_eq!(feed(4, &[b"abc"]).0, Progress::NeedMore);
    }

    #[test]
    fn binary_bytes_are_just_bytes() {
        let (p, r) = feed(100, &[&[0, 255, 13, 10], b"\n"]);
        assert_eq!(p, Progress::Complete);
        assert_eq!(r.request(), &[0, 255, 13]);
    }

    #[test]
    fn idle_request_allocates_nothing() {
        assert_eq!(RequestBuffer::new(10).buf.capacity(), 0);
    }

    #[test]
    fn the_buffer_grows_with_what_arrived_and_never_past_the_limit() {
        let max = 65536;
        let mut request = RequestBuffer::new(max);
        assert_eq!(request.push(b"a"), Progress::NeedMore);
        assert!(request.buf.capacity() <= 2 * (GREETING.len() + 1));
        let mut sent = 1;
        while sent < 40_000 {
            assert_eq!(request.push(&[b'b'; 7]), Progress::NeedMore);
            sent += 7;
            let cap = request.buf.capacity();
            assert!(cap <= 2 * (GREETING.len() + sent), "{cap} for {sent} bytes");
        }
        // A flood far past the limit keeps no more than the limit.
        assert_eq!(request.push(&vec![b'c'; 1 << 20]), Progress::TooLarge);
        assert!(request.buf.capacity() <= GREETING.len() + max + 1);
        // The limit itself still fits.
        let mut exact = RequestBuffer::new(max);
        let body = vec![b'd'; max - 2];
        assert_eq!(
            exact.push(&[&body[..], b"\n\n"].concat()),
            Progress::Complete
        );
        assert_eq!(exact.request().len(), max - 2);
    }

    #[test]
    fn drain_stops_at_its_limit() {
        let mut endless = std::io::repeat(b'x');
        let mut drained = 0;
        assert_eq!(drain(|b| endless.read(b), &mut drained), Drain::OverLimit);
        assert!((CLOSE_DRAIN_LIMIT..CLOSE_DRAIN_LIMIT + 4 * READ_CHUNK).contains(&drained));
        let mut nothing_yet = |_: &mut [u8]| Err(io::Error::from(ErrorKind::WouldBlock));
        let mut none = 0;
        assert_eq!(drain(&mut nothing_yet, &mut none), Drain::WouldBlock);
        assert_eq!(none, 0);
    }

    #[test]
    fn serve_blocking_over_a_cursor_pair() {
        struct Pipe(std::io::Cursor<Vec<u8>>, Vec<u8>);
        impl Read for Pipe {
            fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
                self.0.read(b)
            }
        }
        impl Write for Pipe {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.1.write(b)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut pipe = Pipe(std::io::Cursor::new(b"you\n\n".to_vec()), Vec::new());
        assert_eq!(serve_blocking(&mut pipe, 100), Outcome::Answered);
        assert_eq!(pipe.1, b"Hello you");
        let mut early = Pipe(std::io::Cursor::new(b"you\n".to_vec()), Vec::new());
        assert_eq!(serve_blocking(&mut early, 100), Outcome::ClosedEarly);
        assert!(early.1.is_empty());
    }
}
