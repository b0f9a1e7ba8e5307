//! The command line of every demo example in both coroutine crates, and the table that says which
//! flavours each demo exists in.
//!
//! Each crate lists its demos as [`Demo`] values (`stackless::flavour::COUNTER`,
//! `stackful::flavour::COUNTER`, ...): the article's program, and for each flavour it is written in
//! the function that prints it that way. An example is then one line, `COUNTER.main()`, and takes
//!
//! ```text
//! NAME [--flavour FLAVOUR]
//! ```
//!
//! `--flavour` offers exactly the demo's flavours (its first is the default), so a flavour the demo
//! lacks is refused where the command line is parsed, like a misspelt one: clap's message, exit
//! code 2. `--help` lists the flavours with what each one is, exit code 0. An error writing the
//! output exits with 1. Nothing is printed with `println!`, so a closed stdout or stderr is an
//! error, not a panic.
//!
//! ```
//! use clap::ValueEnum;
//! use common::demo::{Demo, Flavour};
//!
//! #[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
//! enum Way {
//!     /// Loudly.
//!     Loud,
//!     /// Quietly.
//!     Quiet,
//! }
//!
//! impl Flavour for Way {
//!     const STYLE: &'static str = "in some way";
//!     fn name(self) -> &'static str {
//!         match self {
//!             Way::Loud => "loud",
//!             Way::Quiet => "quiet",
//!         }
//!     }
//! }
//!
//! static HELLO: Demo<Way> = Demo {
//!     name: "hello",
//!     runs: &[(Way::Loud, |out| writeln!(out, "HELLO"))],
//! };
//!
//! let mut out = Vec::new();
//! HELLO.cli(["hello"], &mut out)?;
//! assert_eq!(out, b"HELLO\n");
//! let refused = HELLO.cli(["hello", "--flavour", "quiet"], &mut Vec::new());
//! assert_eq!(refused.map_err(|e| e.exit_code()), Err(2)); // `hello` has no quiet flavour
//! # Ok::<(), common::demo::DemoError>(())
//! ```

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

/// The flavours of one coroutine crate: the ways its demos are written. A clap [`ValueEnum`]
/// (derive it; each variant's doc comment is its line in `--help`).
pub trait Flavour: ValueEnum + Copy + PartialEq + fmt::Debug + Send + Sync + 'static {
    /// How the crate writes its coroutines, for the end of `--help`'s first line ("with stackless
    /// coroutines").
    const STYLE: &'static str;

    /// The flavour's name on the command line, which must be the name its [`ValueEnum`] gives it
    /// (`check_demos` checks that); the crates take it from [`crate::style::Style::name`].
    fn name(self) -> &'static str;
}

/// A function that writes a demo's output in one flavour.
pub type Run = fn(&mut dyn Write) -> io::Result<()>;

/// One of the article's programs as a crate's example runs it.
pub struct Demo<F: 'static> {
    /// The article's program (`counter` for `counter.py`), which is also the example's name.
    pub name: &'static str,
    /// The flavours the demo exists in, the default first, each with the function that prints
    /// the demo in it.
    pub runs: &'static [(F, Run)],
}

/// The example's arguments: `--flavour` is narrowed to the demo's flavours by [`Demo::command`].
#[derive(Debug, Parser)]
struct Args<F: Flavour> {
    /// Which way of writing the coroutine to run.
    #[arg(long, value_enum)]
    flavour: F,
}

/// Why a demo's command failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Bad arguments, or `--help` (which clap reports the same way).
    #[error("{0}")]
    Usage(#[from] clap::Error),
    /// Writing the output failed.
    #[error("error: {demo} ({flavour}): writing the output: {source}")]
    Output {
        /// The demo's name.
        demo: &'static str,
        /// The flavour it ran in.
        flavour: &'static str,
        /// What the writer said.
        source: io::Error,
    },
}

impl DemoError {
    /// The process exit code: 0 for `--help`, 2 for a usage error, 1 for an output error.
    pub fn exit_code(&self) -> u8 {
        match self {
            DemoError::Usage(e) if !e.use_stderr() => 0,
            DemoError::Usage(_) => 2,
            DemoError::Output { .. } => 1,
        }
    }
}

impl<F: Flavour> Demo<F> {
    /// The flavours the demo exists in, the default first.
    pub fn flavours(&self) -> impl Iterator<Item = F> + '_ {
        self.runs.iter().map(|&(flavour, _)| flavour)
    }

    /// The article's output for this demo, from [`crate::contracts::PRINTED`], if it has one.
    pub fn contract(&self) -> Option<&'static str> {
        crate::contracts::PRINTED
            .iter()
            .find(|(name, _)| *name == self.name)
            .map(|&(_, contract)| contract)
    }

    /// Writes the demo's output in `flavour` to `out`.
    ///
    /// # Errors
    /// The writer's error, or [`io::ErrorKind::InvalidInput`] if the demo lacks `flavour`.
    pub fn run(&self, flavour: F, out: &mut dyn Write) -> io::Result<()> {
        let Some((_, run)) = self.runs.iter().find(|(f, _)| *f == flavour) else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} has no `{}` flavour", self.name, flavour.name()),
            ));
        };
        run(out)
    }

    /// The example's command line: `NAME [--flavour FLAVOUR]`, offering the demo's flavours.
    pub fn command(&self) -> clap::Command {
        let offered: Vec<_> = self
            .flavours()
            .filter_map(|f| f.to_possible_value())
            .collect();
        let default = self.runs.first().map(|&(flavour, _)| flavour.name());
        Args::<F>::command()
            .name(self.name)
            .bin_name(self.name)
            .about(format!(
                "Prints the output of the article's `{}.py` {}.",
                self.name,
                F::STYLE
            ))
            .mut_arg("flavour", |arg| {
                arg.value_parser(
                    PossibleValuesParser::new(offered)
                        .try_map(|name: String| F::from_str(&name, false)),
                )
                .default_value(default)
                .required(false)
            })
    }

    /// Parses `args` (program name first), runs the demo in the chosen flavour into `out` and
    /// flushes it: what the example does, minus printing the error.
    ///
    /// # Errors
    /// [`DemoError::Usage`] for bad arguments or `--help`, [`DemoError::Output`] if writing fails.
    pub fn cli<I, T>(&self, args: I, out: &mut dyn Write) -> Result<(), DemoError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let matches = self.command().try_get_matches_from(args)?;
        let Args { flavour } = Args::<F>::from_arg_matches(&matches)?;
        self.run(flavour, out)
            .and_then(|()| out.flush())
            .map_err(|source| DemoError::Output {
                demo: self.name,
                flavour: flavour.name(),
                source,
            })
    }

    /// The whole example: [`Demo::cli`] on the process's arguments and stdout; prints an error
    /// (help to stdout, errors to stderr, ignoring a closed stream) and returns the exit code.
    pub fn main(&self) -> ExitCode {
        let result = self.cli(std::env::args_os(), &mut io::stdout().lock());
        let Err(error) = result else {
            return ExitCode::SUCCESS;
        };
        match &error {
            DemoError::Usage(usage) => {
                let _ = usage.print(); // clap's format: help to stdout, errors to stderr
            }
            DemoError::Output { .. } => {
                let _ = writeln!(io::stderr(), "{error}");
            }
        }
        ExitCode::from(error.exit_code())
    }
}

/// Test helper for the demo modules: runs a demo's `run` into a buffer and checks that it wrote
/// exactly `contract`.
///
/// # Panics
/// If `run` fails or writes anything else.
#[cfg(feature = "test-support")]
pub fn assert_prints(run: impl FnOnce(&mut Vec<u8>) -> io::Result<()>, contract: &str) {
    let mut out = Vec::new();
    run(&mut out).expect("the demo runs");
    assert_eq!(String::from_utf8_lossy(&out), contract);
}

/// Test helper for a crate's demo table: every flavour of every demo prints the demo's contract,
/// and each example's command line offers exactly the demo's flavours (the first by default,
/// every other flavour of the crate and an unknown one refused with exit code 2), takes nothing
/// else, and answers `--help` with exit code 0.
///
/// # Panics
/// On the first demo that does not.
#[cfg(feature = "test-support")]
pub fn check_demos<F: Flavour>(demos: &[&Demo<F>]) {
    for demo in demos {
        let name = demo.name;
        let contract = demo.contract().expect("a demo with a contract");
        let output = |args: &[&str]| {
            let mut out = Vec::new();
            let argv = std::iter::once(name).chain(args.iter().copied());
            let result = demo.cli(argv, &mut out).map_err(|e| e.exit_code());
            (result, String::from_utf8_lossy(&out).into_owned())
        };
        assert_eq!(output(&[]), (Ok(()), contract.to_owned()), "{name}");
        for &flavour in F::value_variants() {
            let (result, out) = output(&["--flavour", flavour.name()]);
            if demo.flavours().any(|f| f == flavour) {
                assert_eq!(
                    (result, out.as_str()),
                    (Ok(()), contract),
                    "{name} {flavour:?}"
                );
            } else {
                assert_eq!((result, out.as_str()), (Err(2), ""), "{name} {flavour:?}");
            }
        }
        for bad in [&["--flavour", "green"][..], &["--flavour"], &["extra"]] {
            assert_eq!(output(bad), (Err(2), String::new()), "{name} {bad:?}");
        }
        let help = demo
            .cli([name, "--help"], &mut Vec::new())
            .expect_err("help");
        assert_eq!(help.exit_code(), 0, "{name}");
        let default = demo.flavours().next().map(F::name).unwrap_or_default();
        assert!(
            help.to_string().contains(&format!("[default: {default}]")),
            "{help}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
    enum Taste {
        /// Like sugar.
        Sweet,
        /// Like lemons.
        Sour,
        /// Like coffee.
        Bitter,
    }

    impl Flavour for Taste {
        const STYLE: &'static str = "to taste";
        fn name(self) -> &'static str {
            match self {
                Taste::Sweet => "sweet",
                Taste::Sour => "sour",
                Taste::Bitter => "bitter",
            }
        }
    }

    static SAY: Demo<Taste> = Demo {
        name: "say",
        runs: &[
            (Taste::Sour, |out| writeln!(out, "sour")),
            (Taste::Sweet, |out| writeln!(out, "sweet")),
        ],
    };

    fn cli(args: &[&str]) -> (Result<(), DemoError>, String) {
        let mut out = Vec::new();
        let result = SAY.cli(std::iter::once("say").chain(args.iter().copied()), &mut out);
        (result, String::from_utf8(out).unwrap())
    }

    fn usage_error(args: &[&str]) -> String {
        let (result, out) = cli(args);
        let error = result.expect_err("a usage error");
        assert_eq!(error.exit_code(), 2, "{args:?}: {error}");
        assert_eq!(out, "", "{args:?} printed");
        error.to_string()
    }

    #[test]
    fn the_first_flavour_is_the_default_and_each_runs_its_own_function() {
        assert_eq!(cli(&[]).1, "sour\n");
        assert_eq!(cli(&["--flavour", "sweet"]).1, "sweet\n");
        assert_eq!(cli(&["--flavour=sour"]).1, "sour\n");
        cli(&[]).0.unwrap();
    }

    #[test]
    fn a_flavour_the_demo_lacks_is_refused_like_an_unknown_one() {
        let lacking = usage_error(&["--flavour", "bitter"]);
        assert!(lacking.contains("invalid value 'bitter'"), "{lacking}");
        assert!(
            lacking.contains("[possible values: sour, sweet]"),
            "{lacking}"
        );
        let unknown = usage_error(&["--flavour", "salty"]);
        assert!(unknown.contains("invalid value 'salty'"), "{unknown}");
        usage_error(&["--flavour"]);
        usage_error(&["--flavor", "sweet"]);
        usage_error(&["--flavour", "sweet", "--flavour", "sour"]);
        usage_error(&["extra"]);
    }

    #[test]
    fn help_lists_the_demos_flavours_only() {
        let (result, out) = cli(&["--help"]);
        let error = result.expect_err("help is reported as an error");
        assert_eq!((error.exit_code(), out.as_str()), (0, ""));
        let help = error.to_string();
        assert!(help.contains("Prints the output of the article's `say.py` to taste."));
        assert!(help.contains("Usage: say [OPTIONS]"), "{help}");
        assert!(
            help.contains("sour") && help.contains("Like lemons"),
            "{help}"
        );
        assert!(help.contains("[default: sour]"), "{help}");
        assert!(!help.contains("bitter"), "{help}");
    }

    #[test]
    fn an_output_error_exits_1() {
        let mut full = [0u8; 2];
        let error = SAY
            .cli(["say"], &mut &mut full[..])
            .expect_err("no room for the output");
        assert_eq!(error.exit_code(), 1);
        assert!(
            error
                .to_string()
                .starts_with("error: say (sour): writing the output")
        );
    }

    #[test]
    fn run_refuses_a_flavour_the_demo_lacks() {
        let error = SAY.run(Taste::Bitter, &mut Vec::new()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(
            SAY.flavours().collect::<Vec<_>>(),
            [Taste::Sour, Taste::Sweet]
        );
        assert_eq!(SAY.contract(), Some(crate::contracts::SAY));
    }
}
