//! `counter.py`: an infinite counter; the demo prints its first three values.
//!
//! Easy here in every stackless flavour: the only state across a `yield` is one integer, so the
//! compiler's state machine is as small as the hand-written [`manual::Counter`]
//! and needs no allocation (`native`, `gen`); `genawaiter` boxes its future and shares an `Rc`.
//! Hard: nothing yet, apart from naming the type: a native coroutine that never returns has
//! `Return = Infallible`, and callers must still match the `Complete` case away.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::counter::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "0\n1\n2\n");
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

/// How many values the demo prints, as `counter.py` does.
const STEPS: usize = 3;

/// The counter as a native `#[coroutine]` closure: yields `0, 1, 2, ...` and never completes.
pub fn native() -> impl Coroutine<Yield = u64, Return = Infallible> + Unpin {
    #[coroutine]
    || {
        let mut i = 0;
        loop {
            yield i;
            i += 1;
        }
    }
}

/// The counter as a `gen` block: an endless `Iterator`.
pub fn gen_block() -> impl Iterator<Item = u64> {
    gen {
        let mut i = 0;
        loop {
            yield i;
            i += 1;
        }
    }
}

/// The counter with `genawaiter` (an `async` block that yields through its `Co` handle).
pub fn genawaiter() -> genawaiter::rc::Gen<u64, (), impl Future<Output = Infallible>> {
    genawaiter::rc::Gen::new(|co| async move {
        let mut i = 0;
        loop {
            co.yield_(i).await;
            i += 1;
        }
    })
}

/// Writes `counter.py`'s output with the native flavour.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_flavour(Flavour::Native, out)
}

/// Writes `counter.py`'s output with the given flavour (error if not in [`FLAVOURS`]).
pub fn run_flavour(flavour: Flavour, out: &mut impl Write) -> io::Result<()> {
    check_available(flavour, FLAVOURS)?;
    let values = first_values(
        flavour,
        STEPS,
        native,
        gen_block,
        genawaiter,
        manual::Counter::new,
    );
    for i in values {
        writeln!(out, "{i}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::assert_output;

    const EXPECTED: &str = "0\n1\n2\n";

    #[test]
    fn every_flavour_prints_the_contract() {
        assert_output(FLAVOURS, run_flavour, EXPECTED);
    }

    #[test]
    fn run_is_native() {
        let mut out = Vec::new();
        assert!(run(&mut out).is_ok());
        assert_eq!(String::from_utf8_lossy(&out), EXPECTED);
    }

    #[test]
    fn native_state_is_as_small_as_manual() {
        // Measured, not assumed: the compiler-built state machine vs the hand-written one.
        assert!(std::mem::size_of_val(&native()) <= std::mem::size_of::<manual::Counter>());
    }
}
