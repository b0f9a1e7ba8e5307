//! Which stackless style a demo runs in, chosen on the command line with `--flavour NAME`.
//!
//! Every demo in this crate exists in several *flavours*: the same program written with native
//! `#[coroutine]` closures, with `gen` blocks, with the `genawaiter` crate, or as a hand-written
//! state machine. Examples parse the flavour with [`flavour_from_args`]; an unknown flavour, or one
//! the demo lacks, is a usage error (exit code 2).
//!
//! ```
//! use stackless::flavour::{parse_flavour_args, Flavour};
//!
//! let available = [Flavour::Native, Flavour::Genawaiter];
//! assert_eq!(parse_flavour_args(Vec::<String>::new(), &available), Ok(Flavour::Native));
//! let args = ["--flavour", "genawaiter"].map(String::from);
//! assert_eq!(parse_flavour_args(args, &available), Ok(Flavour::Genawaiter));
//! let args = ["--flavour=manual"].map(String::from);
//! assert!(parse_flavour_args(args, &available).is_err());
//! ```

use std::fmt;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::str::FromStr;

use genawaiter::GeneratorState;

/// One way of writing a stackless coroutine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Native `#[coroutine]` closures driven through `std::ops::Coroutine` (nightly).
    Native,
    /// `gen` blocks, which are `Iterator`s (nightly).
    Gen,
    /// The `genawaiter` crate: coroutines built on `async`/`await` (stable).
    Genawaiter,
    /// A hand-written state machine (an `enum` and a `match`), the baseline.
    Manual,
}

impl Flavour {
    /// Every flavour, in the order they are documented.
    pub const ALL: [Flavour; 4] = [
        Flavour::Native,
        Flavour::Gen,
        Flavour::Genawaiter,
        Flavour::Manual,
    ];

    /// The name used on the command line (`native`, `gen`, `genawaiter`, `manual`).
    pub fn name(self) -> &'static str {
        match self {
            Flavour::Native => "native",
            Flavour::Gen => "gen",
            Flavour::Genawaiter => "genawaiter",
            Flavour::Manual => "manual",
        }
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a name that is not a flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFlavour(pub String);

impl fmt::Display for UnknownFlavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown flavour `{}` (expected one of: {})",
            self.0,
            names(&Flavour::ALL, ", ")
        )
    }
}

impl std::error::Error for UnknownFlavour {}

impl FromStr for Flavour {
    type Err = UnknownFlavour;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Flavour::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFlavour(s.to_owned()))
    }
}

/// The error of a demo that does not exist in the flavour asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlavourUnavailable {
    /// The flavour asked for.
    pub flavour: Flavour,
    /// The flavours the demo has.
    pub available: Vec<Flavour>,
}

impl fmt::Display for FlavourUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this demo has no `{}` flavour (available: {})",
            self.flavour,
            names(&self.available, ", ")
        )
    }
}

impl std::error::Error for FlavourUnavailable {}

impl From<FlavourUnavailable> for std::io::Error {
    fn from(e: FlavourUnavailable) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
    }
}

/// Fails with [`FlavourUnavailable`] unless `flavour` is one of `available`.
///
/// Demos call this at the top of their `run_flavour` so that asking a demo for a flavour it lacks
/// is an error, never a silent fallback.
pub fn check_available(flavour: Flavour, available: &[Flavour]) -> Result<(), FlavourUnavailable> {
    if available.contains(&flavour) {
        Ok(())
    } else {
        Err(FlavourUnavailable {
            flavour,
            available: available.to_vec(),
        })
    }
}

/// The flavours' command-line names joined by `sep` (`", "` in messages, `"|"` in the usage line).
fn names(flavours: &[Flavour], sep: &str) -> String {
    flavours
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(sep)
}

/// A command-line usage error while choosing a flavour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Parses `[--flavour NAME | --flavour=NAME]` from `args` (program name already removed).
///
/// No flag means [`Flavour::Native`]. An unknown flavour, a flavour not in `available`, a missing
/// value, a repeated flag, or any other argument is a [`UsageError`].
pub fn parse_flavour_args<I>(args: I, available: &[Flavour]) -> Result<Flavour, UsageError>
where
    I: IntoIterator<Item = String>,
{
    let mut chosen: Option<Flavour> = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let value = if arg == "--flavour" {
            args.next()
                .ok_or_else(|| UsageError("`--flavour` needs a value".to_owned()))?
        } else if let Some(value) = arg.strip_prefix("--flavour=") {
            value.to_owned()
        } else {
            return Err(UsageError(format!("unexpected argument `{arg}`")));
        };
        if chosen.is_some() {
            return Err(UsageError("`--flavour` given more than once".to_owned()));
        }
        let flavour: Flavour = value
            .parse()
            .map_err(|e: UnknownFlavour| UsageError(e.to_string()))?;
        check_available(flavour, available).map_err(|e| UsageError(e.to_string()))?;
        chosen = Some(flavour);
    }
    let flavour = chosen.unwrap_or(Flavour::Native);
    check_available(flavour, available).map_err(|e| UsageError(e.to_string()))?;
    Ok(flavour)
}

/// Reads the flavour from the process's command line for an example; on a usage error prints the
/// message and a usage line to stderr and exits with code 2.
pub fn flavour_from_args(available: &[Flavour]) -> Flavour {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_else(|| "example".to_owned());
    match parse_flavour_args(args, available) {
        Ok(flavour) => flavour,
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("usage: {program} [--flavour {}]", names(available, "|"));
            std::process::exit(2);
        }
    }
}

/// The values a one-way demo (`counter`, `fib`, `say`) yields in `flavour`, at most `n` of them.
///
/// The demo passes the constructor of each flavour; only the one for `flavour` is called. Each
/// flavour is driven its own way (`Coroutine::resume`, `gen`'s `Iterator::next`, `genawaiter`'s
/// `resume`, the hand-written machine's `Iterator::next`), and driving stops early when the
/// coroutine completes: a native coroutine or a `genawaiter` one is never resumed after
/// `Complete` (that panics). Fewer than `n` values means the coroutine was exhausted.
pub(crate) fn first_values<T, N, G, F, M>(
    flavour: Flavour,
    n: usize,
    native: impl FnOnce() -> N,
    gen_block: impl FnOnce() -> G,
    genawaiter: impl FnOnce() -> genawaiter::rc::Gen<T, (), F>,
    manual: impl FnOnce() -> M,
) -> Vec<T>
where
    N: Coroutine<Yield = T> + Unpin,
    G: Iterator<Item = T>,
    F: Future,
    M: Iterator<Item = T>,
{
    let mut values = Vec::with_capacity(n);
    match flavour {
        Flavour::Native => {
            let mut co = native();
            while values.len() < n {
                match Pin::new(&mut co).resume(()) {
                    CoroutineState::Yielded(v) => values.push(v),
                    CoroutineState::Complete(_) => break,
                }
            }
        }
        Flavour::Gen => values.extend(gen_block().take(n)),
        Flavour::Genawaiter => {
            let mut co = genawaiter();
            while values.len() < n {
                match co.resume() {
                    GeneratorState::Yielded(v) => values.push(v),
                    GeneratorState::Complete(_) => break,
                }
            }
        }
        Flavour::Manual => values.extend(manual().take(n)),
    }
    values
}

/// Test helper for the demo modules: runs every flavour in `available` and compares its output
/// with `expected`; checks that every other flavour is refused with an error.
#[cfg(test)]
pub(crate) fn assert_output(
    available: &[Flavour],
    run_flavour: impl Fn(Flavour, &mut Vec<u8>) -> std::io::Result<()>,
    expected: &str,
) {
    for flavour in Flavour::ALL {
        let mut out = Vec::new();
        let result = run_flavour(flavour, &mut out);
        if available.contains(&flavour) {
            assert!(result.is_ok(), "{flavour}: {result:?}");
            assert_eq!(String::from_utf8_lossy(&out), expected, "flavour {flavour}");
        } else {
            let err = result.expect_err("an unavailable flavour must be refused");
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{flavour}");
            assert!(out.is_empty(), "{flavour} wrote output before refusing");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], available: &[Flavour]) -> Result<Flavour, UsageError> {
        parse_flavour_args(args.iter().map(|s| s.to_string()), available)
    }

    #[test]
    fn names_round_trip() {
        for f in Flavour::ALL {
            assert_eq!(f.name().parse::<Flavour>(), Ok(f));
        }
        assert!("Native".parse::<Flavour>().is_err());
    }

    #[test]
    fn default_is_native() {
        assert_eq!(parse(&[], &Flavour::ALL), Ok(Flavour::Native));
    }

    #[test]
    fn both_spellings() {
        assert_eq!(
            parse(&["--flavour", "gen"], &Flavour::ALL),
            Ok(Flavour::Gen)
        );
        assert_eq!(
            parse(&["--flavour=manual"], &Flavour::ALL),
            Ok(Flavour::Manual)
        );
    }

    #[test]
    fn usage_errors() {
        let all = &Flavour::ALL;
        let e = parse(&["--flavour", "green"], all).expect_err("green is no flavour");
        assert!(e.0.contains("unknown flavour `green`"), "{e}");
        assert!(parse(&["--flavour"], all).is_err());
        assert!(parse(&["--flavor", "gen"], all).is_err());
        assert!(parse(&["--flavour", "gen", "--flavour", "gen"], all).is_err());
        let e = parse(&["--flavour", "gen"], &[Flavour::Native]).expect_err("gen is not available");
        assert!(e.0.contains("no `gen` flavour"), "{e}");
        // A demo without a native flavour needs the flag.
        assert!(parse(&[], &[Flavour::Gen]).is_err());
    }
}
