//! The flavour of the stackful demos, and the table of the demos the examples run.
//!
//! The stackless crate writes each demo in several flavours; this crate writes each in one,
//! `corosensei`: a coroutine on a stack of its own. The examples still take `--flavour` (with
//! that one value, the default), so that a command line for one crate's example reads as the
//! same command for the other's, differing only in the crate and the flavour's name, and
//! `--help` of each shows which flavours that crate has (see [`common::demo`]).
//!
//! ```
//! use stackful::flavour::{COUNTER, Flavour};
//!
//! let mut out = Vec::new();
//! COUNTER.run(Flavour::Corosensei, &mut out)?;
//! assert_eq!(out, b"0\n1\n2\n");
//! COUNTER.cli(["counter", "--flavour", "corosensei"], &mut out)?; // what the example runs
//! assert_eq!(out, b"0\n1\n2\n0\n1\n2\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use clap::ValueEnum;
pub use common::demo::Demo;
use common::style::Style;

use crate::{chain, counter, fib, say, scheduler, send, tree};

/// The one way this crate writes a coroutine (`--flavour corosensei`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Flavour {
    /// A `corosensei` coroutine on a stack of its own, suspending from any call depth.
    Corosensei,
}

impl Flavour {
    /// The flavour among the styles the project measures: benchmarks and reports name it so.
    pub fn style(self) -> Style {
        match self {
            Flavour::Corosensei => Style::Corosensei,
        }
    }
}

impl common::demo::Flavour for Flavour {
    const STYLE: &'static str = "with a stackful coroutine";

    /// Its style's name, [`Style::name`].
    fn name(self) -> &'static str {
        self.style().name()
    }
}

/// `counter.py`.
pub static COUNTER: Demo<Flavour> = Demo {
    name: "counter",
    runs: &[(Flavour::Corosensei, |mut out| counter::run(&mut out))],
};

/// `fib.py`.
pub static FIB: Demo<Flavour> = Demo {
    name: "fib",
    runs: &[(Flavour::Corosensei, |mut out| fib::run(&mut out))],
};

/// `say.py`.
pub static SAY: Demo<Flavour> = Demo {
    name: "say",
    runs: &[(Flavour::Corosensei, |mut out| say::run(&mut out))],
};

/// `send.py`.
pub static SEND: Demo<Flavour> = Demo {
    name: "send",
    runs: &[(Flavour::Corosensei, |mut out| send::run(&mut out))],
};

/// `chain.py`.
pub static CHAIN: Demo<Flavour> = Demo {
    name: "chain",
    runs: &[(Flavour::Corosensei, |mut out| chain::run(&mut out))],
};

/// `tree.py`.
pub static TREE: Demo<Flavour> = Demo {
    name: "tree",
    runs: &[(Flavour::Corosensei, |mut out| tree::run(&mut out))],
};

/// `scheduler.py`.
pub static SCHEDULER: Demo<Flavour> = Demo {
    name: "scheduler",
    runs: &[(Flavour::Corosensei, |mut out| scheduler::run(&mut out))],
};

/// Every demo with a printed contract, in the article's order.
pub static DEMOS: [&Demo<Flavour>; 7] = [&COUNTER, &FIB, &SAY, &SEND, &CHAIN, &TREE, &SCHEDULER];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_prints_the_contract_and_the_examples_parse_their_flavour() {
        common::demo::check_demos(&DEMOS);
        // A stackless flavour is not one of this crate's.
        let native = COUNTER.cli(["counter", "--flavour", "native"], &mut Vec::new());
        assert_eq!(native.map_err(|e| e.exit_code()).err(), Some(2));
    }
}
