//! Plain, style-independent pieces of the log-analysis pipeline, written once and shared by every
//! coroutine style: a deterministic generator of Apache combined-format log lines with known counts,
//! the exact-first-field matcher, a streaming line reader over bytes, the per-address [`Counts`],
//! the [`PipelineError`] every pipeline returns, and the plain loop with no coroutines that is the
//! speed limit the coroutine pipelines are measured against.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

/// The three client addresses the article counts in its access log.
pub const ARTICLE_ADDRESSES: [&str; 3] = ["83.149.9.216", "93.114.45.13", "207.241.237.101"];

/// One line of the log, newline included, as raw bytes (a log line need not be UTF-8), in the buffer
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
/// let mut counts = stackless::logdata::Counts::new();
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
}

/// Whether `b` ends a log line's first field: a space, tab, CR or LF.
fn ends_field(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// The first field of a log line: its bytes up to the first space, tab, CR or LF.
///
/// ```
/// use stackless::logdata::first_field;
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
/// use stackless::logdata::is_from;
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
/// ```
/// use stackless::logdata::{PipelineError, stream_lines};
/// let mut n = 0;
/// stream_lines(&b"a\nb\nc"[..], |line| {
///     n += 1;
///     Ok::<_, PipelineError>(line)
/// })?;
/// assert_eq!(n, 3);
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
            match memchr::memchr(b'\n', available) {
                Some(end) => {
                    line.extend_from_slice(&available[..=end]);
                    (true, end + 1)
                }
                None => {
                    line.extend_from_slice(available);
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
/// use stackless::logdata::count_plain;
/// let log = b"10.0.0.1 a\n10.0.0.10 b\n10.0.0.1 c\n";
/// let counts = count_plain(&log[..], &["10.0.0.1", "10.0.0.10"])?;
/// assert_eq!((counts.get("10.0.0.1"), counts.get("10.0.0.10")), (2, 1));
/// # Ok::<(), stackless::logdata::PipelineError>(())
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
/// assert_eq!(stackless::logdata::distinct(&["a", "b", "a"]), vec!["a", "b"]);
/// ```
pub fn distinct<'a>(addresses: &[&'a str]) -> Vec<&'a str> {
    let mut seen = std::collections::HashSet::new();
    addresses
        .iter()
        .copied()
        .filter(|a| seen.insert(*a))
        .collect()
}

/// A small, fast, deterministic pseudo-random generator (SplitMix64): the same seed gives the same
/// log on every machine.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`); the tiny modulo bias does not matter for test data.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A recipe for a deterministic Apache combined-format access log: `lines` lines from seed `seed`,
/// in which each listed address is the first field of exactly its count of lines. Every other line
/// comes from an address that is not listed, often one that a listed address is a prefix of (the
/// trap for `startswith`), and listed addresses also appear inside request paths and referrers,
/// where an exact-first-field match must not count them.
///
/// ```
/// use stackless::logdata::{LogSpec, count_plain};
/// let spec = LogSpec::new(7, 1_000, &[("10.0.0.1", 40), ("10.0.0.10", 3)]);
/// let log = spec.to_bytes()?;
/// assert_eq!(log.iter().filter(|&&b| b == b'\n').count(), 1_000);
/// assert_eq!(count_plain(&log[..], &["10.0.0.1", "10.0.0.10"])?, spec.expected());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSpec {
    /// Seed of the pseudo-random generator.
    pub seed: u64,
    /// Number of lines in the log.
    pub lines: u64,
    /// The listed addresses and how many lines each is the first field of.
    pub addresses: Vec<(String, u64)>,
}

const METHODS: [&str; 3] = ["GET", "GET", "POST"];
const PATHS: [&str; 6] = [
    "/index.html",
    "/presentations/logstash-monitorama-2013/images/kibana-search.png",
    "/blog/geekery/xvfb-firefox.html",
    "/reset.css",
    "/favicon.ico",
    "/articles/dynamic-dns-with-dhcp/",
];
const STATUSES: [&str; 4] = ["200", "200", "304", "404"];
const AGENTS: [&str; 3] = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.107 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36",
    "Tiny Tiny RSS/1.11 (http://tt-rss.org/)",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl LogSpec {
    /// A log of `lines` lines from `seed` where each `(address, count)` starts exactly `count` lines.
    pub fn new(seed: u64, lines: u64, addresses: &[(&str, u64)]) -> Self {
        Self {
            seed,
            lines,
            addresses: addresses.iter().map(|&(a, n)| (a.to_owned(), n)).collect(),
        }
    }

    /// The counts a correct pipeline must find for the listed addresses.
    pub fn expected(&self) -> Counts {
        let mut counts = Counts::new();
        for (address, n) in &self.addresses {
            if *n > 0 {
                counts.add_n(address, *n);
            }
        }
        counts
    }

    /// The listed addresses, in the order given.
    pub fn address_list(&self) -> Vec<&str> {
        self.addresses.iter().map(|(a, _)| a.as_str()).collect()
    }

    /// Writes the log to `out`, streaming (memory does not grow with `lines`).
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] if the counts add up to more than `lines`, or if a
    /// listed address is empty or contains whitespace (it could never be a first field).
    pub fn write_to(&self, mut out: impl Write) -> io::Result<()> {
        let listed: u64 = self.addresses.iter().map(|(_, n)| n).sum();
        if listed > self.lines {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "the listed counts add up to {listed}, more than {} lines",
                    self.lines
                ),
            ));
        }
        if let Some((bad, _)) = self
            .addresses
            .iter()
            .find(|(a, _)| a.is_empty() || a.bytes().any(|b| b.is_ascii_whitespace()))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("address {bad:?} is empty or contains whitespace"),
            ));
        }
        let names: Vec<&str> = self.address_list();
        let mut remaining: Vec<u64> = self.addresses.iter().map(|(_, n)| *n).collect();
        let mut listed_left = listed;
        let mut rng = SplitMix64(self.seed);
        let mut filler = String::new();
        for position in 0..self.lines {
            // Selection sampling: each listed address gets exactly its count of lines, spread at
            // random, without holding the whole log in memory.
            let mut pick = rng.below(self.lines - position);
            let mut client: Option<&str> = None;
            if pick < listed_left {
                for (i, left) in remaining.iter_mut().enumerate() {
                    if pick < *left {
                        *left -= 1;
                        listed_left -= 1;
                        client = Some(names[i]);
                        break;
                    }
                    pick -= *left;
                }
            }
            let client = match client {
                Some(address) => address,
                None => {
                    self.filler_address(&mut rng, &names, &mut filler);
                    filler.as_str()
                }
            };
            self.write_line(&mut out, &mut rng, client, &names, position)?;
        }
        out.flush()
    }

    /// The whole log in memory (for small test logs).
    pub fn to_bytes(&self) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.write_to(&mut bytes)?;
        Ok(bytes)
    }

    /// An address that is not listed: half the time a listed address with one more digit (so a
    /// listed address is its prefix), otherwise a random IPv4 address.
    fn filler_address(&self, rng: &mut SplitMix64, names: &[&str], out: &mut String) {
        use std::fmt::Write as _;
        loop {
            out.clear();
            if !names.is_empty() && rng.below(2) == 0 {
                let _ = write!(out, "{}{}", rng.pick(names), rng.below(10));
            } else {
                let _ = write!(
                    out,
                    "{}.{}.{}.{}",
                    1 + rng.below(254),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254)
                );
            }
            if !names.contains(&out.as_str()) {
                return;
            }
        }
    }

    fn write_line(
        &self,
        out: &mut impl Write,
        rng: &mut SplitMix64,
        client: &str,
        names: &[&str],
        position: u64,
    ) -> io::Result<()> {
        let day = 1 + position / 86_400 % 28;
        let month = MONTHS[(position / (86_400 * 28) % 12) as usize];
        let (h, m, s) = (position / 3600 % 24, position / 60 % 60, position % 60);
        let method = rng.pick(&METHODS);
        let status = rng.pick(&STATUSES);
        let size = rng.below(250_000);
        let agent = rng.pick(&AGENTS);
        write!(
            out,
            "{client} - - [{day:02}/{month}/2015:{h:02}:{m:02}:{s:02} +0000] \"{method} "
        )?;
        // A listed address inside the path or the referrer must not be counted.
        if !names.is_empty() && rng.below(8) == 0 {
            write!(out, "/whois/{}", rng.pick(names))?;
        } else {
            out.write_all(rng.pick(&PATHS).as_bytes())?;
        }
        write!(out, " HTTP/1.1\" {status} {size} ")?;
        if !names.is_empty() && rng.below(8) == 0 {
            write!(out, "\"http://{}/\"", rng.pick(names))?;
        } else {
            out.write_all(b"\"-\"")?;
        }
        writeln!(out, " \"{agent}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_is_deterministic_and_exact() -> Result<(), Box<dyn std::error::Error>> {
        let spec = LogSpec::new(
            42,
            5_000,
            &[("83.149.9.216", 23), ("93.114.45.13", 6), ("9.9.9.9", 0)],
        );
        let a = spec.to_bytes()?;
        assert_eq!(a, spec.to_bytes()?, "same seed, same log");
        assert_ne!(
            a,
            LogSpec {
                seed: 43,
                ..spec.clone()
            }
            .to_bytes()?,
            "another seed, another log"
        );
        assert_eq!(a.iter().filter(|&&b| b == b'\n').count(), 5_000);
        let counts = count_plain(&a[..], &spec.address_list())?;
        assert_eq!(counts, spec.expected());
        assert_eq!(counts.get("9.9.9.9"), 0);
        // The generated lines trap `startswith`: it finds more than the exact counts.
        let prefixed = a
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"83.149.9.216"))
            .count();
        assert!(prefixed > 23, "no prefix trap generated ({prefixed})");
        Ok(())
    }

    #[test]
    fn generator_rejects_impossible_counts() {
        let err = LogSpec::new(1, 10, &[("1.1.1.1", 11)]).to_bytes();
        assert!(matches!(err, Err(e) if e.kind() == io::ErrorKind::InvalidInput));
        let err = LogSpec::new(1, 10, &[("1.1.1.1 ", 1)]).to_bytes();
        assert!(matches!(err, Err(e) if e.kind() == io::ErrorKind::InvalidInput));
    }

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
}
