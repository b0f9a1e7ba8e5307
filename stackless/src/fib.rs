//! `fib.py`: infinite Fibonacci `0 1 1 2 ...`; the demo prints the first ten on one line.
//!
//! Easy: the two locals `a, b` live across the `yield`, and the compiler stores them in the
//! coroutine's state for us; `native` and `gen` need no allocation and come out as small as the
//! hand-written [`manual::Fib`](crate::manual::Fib), which has to name both fields and its
//! resume point itself. Hard: nothing; but note every flavour wraps on `u64` overflow (after the 94th
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
use std::ops::{Coroutine, CoroutineState};

use crate::flavour::Resume;

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

/// Writes `fib.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(native(), out)
}

/// Writes `fib.py`'s output with `co`, a Fibonacci coroutine of any flavour.
pub fn run_with(mut co: impl Resume<Yield = u64>, out: &mut impl Write) -> io::Result<()> {
    for _ in 0..STEPS {
        match co.resume(()) {
            CoroutineState::Yielded(n) => write!(out, "{n} ")?,
            CoroutineState::Complete(_) => break, // an iterator could end; Fibonacci does not
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::{Genawaiter, Iter};
    use crate::manual;
    use common::contracts::FIB;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, FIB);
    }

    #[test]
    fn flavours_agree_far_out() {
        let mut native = native();
        let mut gen_block = Iter(gen_block());
        let mut genawaiter = Genawaiter(genawaiter());
        for (i, want) in manual::Fib::new().take(200).enumerate() {
            assert_eq!(
                native.resume(()),
                CoroutineState::Yielded(want),
                "native {i}"
            );
            assert_eq!(
                gen_block.resume(()),
                CoroutineState::Yielded(want),
                "gen {i}"
            );
            let genawaiter = genawaiter.resume(());
            assert_eq!(genawaiter, CoroutineState::Yielded(want), "genawaiter {i}");
        }
    }
}
