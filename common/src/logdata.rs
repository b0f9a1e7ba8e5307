//! Plain, style-independent pieces of the log-analysis pipeline, written once and shared by every
//! coroutine style: the exact-first-field matcher, a streaming line reader over bytes whose memory
//! does not depend on its input ([`stream_lines`], [`MAX_LINE`]), the per-address [`Counts`], the
//! [`PipelineError`] every pipeline returns, and the plain loop with no coroutines that is the
//! speed limit the coroutine pipelines are measured against. Logs with known counts to test and
//! time them on come from [`generate`].

pub mod generate;

use std::collections::BTreeMap;
use std::io::{self, BufRead};

pub use generate::LogSpec;

/// The three client addresses the article counts in its access log.
pub const ARTICLE_ADDRESSES: [&str; 3] = ["83.149.9.216", "93.114.45.13", "207.241.237.101"];

/// The most bytes of one line that [`stream_lines`] keeps. A longer line is lent cut to its first
/// `MAX_LINE` bytes (without its newline), and the rest of it, up to and including its newline, is
/// read and dropped. That keeps the reader's memory independent of its input: a log with no newline
/// at all (what a crashed writer leaves), or `/dev/zero`, costs the same as a normal one. Counts do
/// not change: only a line's first field is ever looked at, and no client address is anywhere near
/// this long (an IPv6 address is at most 45 characters; real log lines are a few hundred bytes, and
/// Apache refuses request lines over 8 KiB). Only a "first field" of `MAX_LINE` bytes or more would
/// be compared on its first `MAX_LINE` bytes alone.
pub const MAX_LINE: usize = 64 * 1024;

/// One line of the log, newline included (cut to [`MAX_LINE`] bytes if longer), as raw bytes (a log line need not be UTF-8), in the buffer
/// the line reader lends to the stages.
///
/// Boxed so that `Option<Line>`, the stages' resume argument, is one pointer wide (`None` is the null
/// pointer) and is passed in a register. A bare `Option<Vec<u8>>` is 24 bytes, which Rust passes by
/// pointer to a copy: the caller writes that copy with three 8-byte stores and the native coroutine
/// reads it back with a 16-byte load, which the CPU cannot forward from those stores, so every send
/// waited for them to reach the cache (about half the stackless filter's time).
pub type Line = Box<Vec<u8>>;

/// Requests counted per client address.
///
/// ```
/// let mut counts = common::logdata::Counts::new();
/// counts.add("10.0.0.1");
/// counts.add("10.0.0.1");
/// assert_eq!(counts.get("10.0.0.1"), 2);
/// assert_eq!(counts.get("10.0.0.10"), 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(BTreeMap<String, u64>);

impl Counts {
    /// No address counted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one more request from `address`.
    pub fn add(&mut self, address: &str) {
        self.add_n(address, 1);
    }

    /// Counts `n` more requests from `address`.
    pub fn add_n(&mut self, address: &str, n: u64) {
        match self.0.get_mut(address) {
            Some(count) => *count += n,
            None => {
                self.0.insert(address.to_owned(), n);
            }
        }
    }

    /// Requests counted for `address` (0 if none).
    pub fn get(&self, address: &str) -> u64 {
        self.0.get(address).copied().unwrap_or(0)
    }

    /// Every address with at least one request, in byte order, with its count.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u64)> {
        self.0
            .iter()
            .map(|(address, count)| (address.as_str(), *count))
    }

    /// Total requests counted over all addresses.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Why a pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// Reading the log failed.
    #[error("reading the log: {0}")]
    Io(#[from] io::Error),
    /// A stage was sent a value while it was already running: the article's "DAG" hazard (Python
    /// raises `ValueError: generator already executing`). The shared stage sits behind a `RefCell`,
    /// so the second, re-entrant borrow is refused here instead of corrupting its state.
    #[error("re-entrant send: the shared stage is already running")]
    Reentrant,
    /// A stage finished while its upstream still had values to send (or ignored a close).
    #[error("a pipeline stage finished before it was closed")]
    StageEnded,
    /// A worker thread of the threaded pipeline panicked.
    #[error("a pipeline thread panicked")]
    ThreadPanicked,
    /// The threaded pipeline could not start one of its threads.
    #[error("cannot start a pipeline thread: {0}")]
    NoThread(#[source] io::Error),
    /// A stackful stage could not map a stack of its own. Each stage maps one (two memory
    /// mappings with its guard page), and Linux allows a process `vm.max_map_count` mappings
    /// (65,530 by default), so about 32,000 stackful stages at most.
    #[error(
        "cannot map a stack for a stackful stage: {0} (every stage maps a stack of its own, two \
         memory mappings, and the system allows vm.max_map_count of them: give fewer addresses, \
         or use --threaded)"
    )]
    NoStack(#[source] io::Error),
}

/// Whether `b` ends a log line's first field: a space, tab, CR or LF.
fn ends_field(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first field of a log line: its bytes up to the first space, tab, CR or LF.
///
/// ```
/// use common::logdata::first_field;
/// assert_eq!(first_field(b"10.0.0.1 - - [..] \"GET / HTTP/1.1\" 200 1\n"), b"10.0.0.1");
/// assert_eq!(first_field(b"10.0.0.1\r\n"), b"10.0.0.1");
/// ```
pub fn first_field(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .position(|&b| ends_field(b))
        .unwrap_or(line.len());
    &line[..end]
}

/// Whether `line` is a request from `address`: its first field equals the address exactly (the
/// article's `startswith` would also count `10.0.0.10` as `10.0.0.1`). The same answer as
/// `first_field(line) == address.as_bytes()`, found by comparing only the address's length of bytes
/// and the one after. The byte after is tested first: on most lines it is not a field end (the first
/// field is longer or shorter), which settles the answer with one load instead of a `memcmp` call.
///
/// ```
/// use common::logdata::is_from;
/// assert!(is_from(b"10.0.0.1 - - x\n", "10.0.0.1"));
/// assert!(!is_from(b"10.0.0.10 - - x\n", "10.0.0.1"));
/// ```
#[inline]
pub fn is_from(line: &[u8], address: &str) -> bool {
    let address = address.as_bytes();
    line.get(address.len()).is_none_or(|&b| ends_field(b))
        && line.starts_with(address)
        && !address.iter().any(|&b| ends_field(b))
}

/// Streams `reader` one line at a time through `sink`, in constant memory: a single buffer is lent
/// to `sink` with each line (as bytes, newline included) and must be handed back to be reused. This
/// lend-and-return shape is what coroutine stages need: a coroutine's resume argument has one type
/// for its whole life, so it cannot take a fresh borrow of a reused buffer on every resume.
///
/// The buffer never holds more than [`MAX_LINE`] bytes: a longer line is lent cut to that many, and
/// the rest of it is skipped up to its newline, so memory does not grow with the longest line.
///
/// ```
/// use common::logdata::{MAX_LINE, PipelineError, stream_lines};
/// let mut lengths = Vec::new();
/// let log = [&b"a\nb\n"[..], &vec![b'x'; 3 * MAX_LINE], b"\nc"].concat();
/// stream_lines(&log[..], |line| {
///     lengths.push(line.len());
///     Ok::<_, PipelineError>(line)
/// })?;
/// assert_eq!(lengths, [2, 2, MAX_LINE, 1]);
/// # Ok::<(), PipelineError>(())
/// ```
pub fn stream_lines<R, E>(
    mut reader: R,
    mut sink: impl FnMut(Line) -> Result<Line, E>,
) -> Result<(), E>
where
    R: BufRead,
    E: From<io::Error>,
{
    let mut line: Line = Box::new(Vec::with_capacity(512));
    loop {
        // `read_until` without its byte-at-a-time search: memchr finds the newline with SIMD.
        let (done, used) = {
            let available = match reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            // Past `MAX_LINE`, the rest of the line is consumed without being kept.
            let room = MAX_LINE - line.len();
            match memchr::memchr(b'\n', available) {
                Some(end) => {
                    line.extend_from_slice(&available[..(end + 1).min(room)]);
                    (true, end + 1)
                }
                None => {
                    line.extend_from_slice(&available[..available.len().min(room)]);
                    (available.is_empty(), available.len())
                }
            }
        };
        reader.consume(used);
        if done {
            if line.is_empty() {
                return Ok(()); // end of input
            }
            line = sink(line)?;
            line.clear();
        }
    }
}

/// The limit: counts the requests from each address with one plain loop, no coroutines, no
/// threads, over the same line reader and matcher as the pipelines.
///
/// ```
/// use common::logdata::count_plain;
/// let log = b"10.0.0.1 a\n10.0.0.10 b\n10.0.0.1 c\n";
/// let counts = count_plain(&log[..], &["10.0.0.1", "10.0.0.10"])?;
/// assert_eq!((counts.get("10.0.0.1"), counts.get("10.0.0.10")), (2, 1));
/// # Ok::<(), common::logdata::PipelineError>(())
/// ```
pub fn count_plain<R: BufRead>(reader: R, addresses: &[&str]) -> Result<Counts, PipelineError> {
    let addresses = distinct(addresses);
    let mut tally = vec![0u64; addresses.len()];
    stream_lines(reader, |line| {
        for (count, address) in tally.iter_mut().zip(&addresses) {
            if is_from(&line, address) {
                *count += 1;
            }
        }
        Ok::<_, PipelineError>(line)
    })?;
    let mut counts = Counts::new();
    for (address, n) in addresses.iter().zip(tally) {
        if n > 0 {
            counts.add_n(address, n);
        }
    }
    Ok(counts)
}

/// The addresses once each, in their first order (a duplicate filter would count its lines twice).
///
/// ```
/// assert_eq!(common::logdata::distinct(&["a", "b", "a"]), vec!["a", "b"]);
/// ```
pub fn distinct<'a>(addresses: &[&'a str]) -> Vec<&'a str> {
    let mut seen = std::collections::HashSet::new();
    addresses
        .iter()
        .copied()
        .filter(|a| seen.insert(*a))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stages_resume_argument_is_one_register_wide() {
        // Every stage is resumed with an `Option<Line>`; a wider one is passed by pointer to a copy,
        // which stalled every native-coroutine send (see `Line`).
        assert_eq!(size_of::<Option<Line>>(), size_of::<usize>());
    }

    #[test]
    fn all_lines_can_be_listed() -> io::Result<()> {
        let spec = LogSpec::new(3, 50, &[("1.1.1.1", 30), ("1.1.1.10", 20)]);
        let counts =
            count_plain(&spec.to_bytes()?[..], &spec.address_list()).map_err(io::Error::other)?;
        assert_eq!(counts, spec.expected());
        Ok(())
    }

    #[test]
    fn first_field_needs_an_exact_match() {
        for line in [
            &b"a b"[..],
            b"a",
            b"ab c",
            b"a\tb",
            b" a",
            b"",
            b"a\r\n",
            b"a b c",
        ] {
            for address in ["a", "ab", "a b", "", " "] {
                let want = first_field(line) == address.as_bytes();
                assert_eq!(is_from(line, address), want, "{line:?} {address:?}");
            }
        }
        assert!(is_from(b"10.0.0.1", "10.0.0.1"));
        assert!(is_from(b"10.0.0.1\tx", "10.0.0.1"));
        assert!(!is_from(b"10.0.0.10 x", "10.0.0.1"));
        assert!(!is_from(b"x 10.0.0.1 x", "10.0.0.1"));
        assert!(!is_from(b"", "10.0.0.1"));
    }

    #[test]
    fn lines_are_bytes_and_the_last_may_lack_a_newline() -> Result<(), PipelineError> {
        let log = b"10.0.0.1 \xff\xfe not utf-8\n\xc3\x28 - -\n10.0.0.1";
        let mut lines = Vec::new();
        stream_lines(&log[..], |line| {
            lines.push(line.clone());
            Ok::<_, PipelineError>(line)
        })?;
        assert_eq!(lines.len(), 3);
        assert_eq!(count_plain(&log[..], &["10.0.0.1"])?.get("10.0.0.1"), 2);
        Ok(())
    }

    /// Lines around the [`MAX_LINE`] limit, read through buffers small enough that a line spans
    /// many reads: lines up to the limit arrive whole, longer ones cut to it, and the buffer lent
    /// never grows past it.
    #[test]
    fn overlong_lines_are_cut_and_the_buffer_stays_bounded() -> Result<(), PipelineError> {
        let line = |first: &str, len: usize| {
            let mut bytes = first.as_bytes().to_vec();
            bytes.resize(len - 1, b'x');
            bytes.push(b'\n');
            bytes
        };
        let log = [
            line("10.0.0.1 ", MAX_LINE),
            line("10.0.0.1 ", MAX_LINE + 1),
            line("10.0.0.2", 5 * MAX_LINE),
            line("10.0.0.1 ", 20),
            vec![b'y'; 3 * MAX_LINE], // the last line, no newline
        ]
        .concat();
        for capacity in [7, 4096, 1 << 20] {
            let mut seen = Vec::new();
            let reader = io::BufReader::with_capacity(capacity, &log[..]);
            stream_lines(reader, |line| {
                assert!(line.capacity() <= MAX_LINE, "capacity {}", line.capacity());
                seen.push((line.len(), line.last().copied(), line[..8].to_vec()));
                Ok::<_, PipelineError>(line)
            })?;
            let nl = Some(b'\n');
            let x = Some(b'x');
            assert_eq!(
                seen,
                [
                    (MAX_LINE, nl, b"10.0.0.1".to_vec()),
                    (MAX_LINE, x, b"10.0.0.1".to_vec()),
                    (MAX_LINE, x, b"10.0.0.2".to_vec()),
                    (20, nl, b"10.0.0.1".to_vec()),
                    (MAX_LINE, Some(b'y'), b"yyyyyyyy".to_vec()),
                ],
                "buffer of {capacity}"
            );
            let counts = count_plain(
                io::BufReader::with_capacity(capacity, &log[..]),
                &["10.0.0.1", "10.0.0.2", "10.0.0.2x"],
            )?;
            assert_eq!(
                (
                    counts.get("10.0.0.1"),
                    counts.get("10.0.0.2"),
                    counts.get("10.0.0.2x")
                ),
                (3, 0, 0)
            );
        }
        Ok(())
    }
}
