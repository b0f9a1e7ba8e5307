//! A deterministic generator of Apache combined-format access logs with known counts: the test
//! and benchmark input of every pipeline (the article's real log is not committed).

use std::io::{self, Write};

use super::Counts;

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
/// use common::logdata::{LogSpec, count_plain};
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
    use crate::logdata::count_plain;

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
}
