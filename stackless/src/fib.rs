//! `fib.py`: infinite Fibonacci `0 1 1 2 ...`; the demo prints the first ten on one line.
//!
//! Easy: the two locals `a, b` live across the `yield`, and the compiler stores them in the
//! coroutine's state for us; `native` and `gen` need no allocation and come out as small as the
//! hand-written [`manual::Fib`], which has to name both fields and its resume
//! point itself. Hard: nothing; but note every flavour wraps on `u64` overflow (after the 94th
//! value), since Python's integers are unbounded and ours are not.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::fib::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "0 1 1 2 3 5 8 13 21 34 \n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::convert::Infallible;
use std::io::{self, Write};
use std::ops::Coroutine;

use crate::flavour::{Flavour, check_available, first_values};
use crate::manual;

/// The flavours this demo exists in.
pub const FLAVOURS: &[Flavour] = &[
    Flavour::Native,
    Flavour::Gen,
    Flavour::Genawaiter,
    Flavour::Manual,
];

/// How many values the demo prints, as `fib.py` does.
const STEPS: usize = 10;

/// Fibonacci as a native `#[coroutine]` closure: yields `0, 1, 1, 2, ...` and never completes.
pub fn native() -> impl Coroutine<Yield = u64, Return = Infallible> + Unpin {
    #[coroutine]
    || {
        let (mut a, mut b) = (0u64, 1u64);
        loop {
            yield a;
            (a, b) = (a.wrapping_add(b), a);
        }
    }
}

/// Fibonacci as a `gen` block: an endless `Iterator`.
pub fn gen_block() -> impl Iterator<Item = u64> {
    gen {
        let (mut a, mut b) = (0u64, 1u64);
        loop {
            yield a;
            (a, b) = (a.wrapping_add(b), a);
        }
    }
}

/// Fibonacci with `genawaiter`.
pub fn genawaiter() -> genawaiter::rc::Gen<u64, (), impl Future<Output = Infallible>> {
    genawaiter::rc::Gen::new(|co| async move {
        let (mut a, mut b) = (0u64, 1u64);
        loop {
            co.yield_(a).await;
            (a, b) = (a.wrapping_add(b), a);
        }
    })
}

/// Writes `fib.py`'s output with the native flavour.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_flavour(Flavour::Native, out)
}

/// Writes `fib.py`'s output with the given flavour (error if not in [`FLAVOURS`]).
pub fn run_flavour(flavour: Flavour, out: &mut impl Write) -> io::Result<()> {
    check_available(flavour, FLAVOURS)?;
    let values = first_values(
        flavour,
        STEPS,
        native,
        gen_block,
        genawaiter,
        manual::Fib::new,
    );
    for n in values {
        write!(out, "{n} ")?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::assert_output;

    const EXPECTED: &str = "0 1 1 2 3 5 8 13 21 34 \n";

    #[test]
    fn every_flavour_prints_the_contract() {
        assert_output(FLAVOURS, run_flavour, EXPECTED);
    }

    #[test]
    fn flavours_agree_far_out() {
        // Same 200 values, wrapping included, from all four.
        let manual: Vec<u64> = manual::Fib::new().take(200).collect();
        for &flavour in FLAVOURS {
            let values = first_values(
                flavour,
                200,
                native,
                gen_block,
                genawaiter,
                manual::Fib::new,
            );
            assert_eq!(values, manual, "flavour {flavour}");
        }
    }
}
