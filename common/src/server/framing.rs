//! The protocol: a client sends bytes ending in `\n\n`; the server answers `Hello ` followed by
//! the bytes before the terminator, then closes. The terminator may arrive split across reads.

use std::io::{self, ErrorKind, Read, Write};

/// The end of a request.
pub const TERMINATOR: &[u8] = b"\n\n";
/// What every reply starts with.
pub const GREETING: &[u8] = b"Hello ";
/// How many bytes one `read` asks for. Small on purpose: the stackful server reads into a buffer on
/// the coroutine's own (small) stack, and a request is usually a few bytes.
pub const READ_CHUNK: usize = 2048;

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
/// costs only the struct itself.
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
            self.buf.extend_from_slice(GREETING);
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
