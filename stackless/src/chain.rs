//! `chain.py`: `g` runs `g1` then `g2` by delegation (`yield from`); the demo prints `list(g())`.
//!
//! Easy: delegation to a *fixed* set of sub-coroutines. Native coroutines delegate with
//! [`yield_from!`](crate::yield_from!), which also hands back the sub-coroutine's return value
//! (here: how many values it yielded) and forwards resume values; the sub-coroutines are stored
//! inline in `g`'s state, so nothing is allocated. `gen` blocks delegate by looping over the inner
//! iterator (there is no `yield from`, and a `gen` block returns nothing). `genawaiter` delegates
//! by `await`ing an `async fn` that yields through the same `Co` handle, close to the stackful
//! style. Hard: nothing here; see [`tree`](crate::tree) for delegation whose depth is not known
//! at compile time.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::chain::run(&mut out)?;
//! assert_eq!(
//!     String::from_utf8_lossy(&out),
//!     "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]\n"
//! );
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Borrowing a coroutine's own locals across `yield`
//!
//! Looping over a list the coroutine owns borrows its own state across each `yield`. A `gen`
//! block (or a non-`static` native coroutine) refuses it (error E0626):
//!
//! ```compile_fail,E0626
//! #![feature(gen_blocks)]
//! let g = gen {
//!     let items = vec![0u64, 1, 2];
//!     for i in &items {
//!         yield *i;
//!     }
//! };
//! assert_eq!(g.collect::<Vec<_>>(), [0, 1, 2]);
//! ```
//!
//! A `static` native coroutine allows it, at the price of being immovable once started: it must
//! be pinned (here in a `Box`) before it is resumed.
//!
//! ```
//! #![feature(coroutines, coroutine_trait, stmt_expr_attributes)]
//! use std::ops::{Coroutine, CoroutineState};
//!
//! let mut co = Box::pin(
//!     #[coroutine]
//!     static || {
//!         let items = vec![0u64, 1, 2];
//!         for i in &items {
//!             yield *i;
//!         }
//!     },
//! );
//! let mut seen = Vec::new();
//! while let CoroutineState::Yielded(i) = co.as_mut().resume(()) {
//!     seen.push(i);
//! }
//! assert_eq!(seen, [0, 1, 2]);
//! ```

use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};

use genawaiter::rc::Co;

use crate::flavour::Resume;
use crate::yield_from;

/// `g1`: yields `0..10` and returns how many values it yielded.
pub fn g1() -> impl Coroutine<Yield = u64, Return = u64> + Unpin {
    #[coroutine]
    || {
        for i in 0..10 {
            yield i;
        }
        10
    }
}

/// `g2`: yields `10..20` and returns how many values it yielded.
pub fn g2() -> impl Coroutine<Yield = u64, Return = u64> + Unpin {
    #[coroutine]
    || {
        for i in 10..20 {
            yield i;
        }
        10
    }
}

/// `g` as a native coroutine: `yield_from!(g1())`, then `yield_from!(g2())`; returns the total
/// count the two returned (20).
pub fn native() -> impl Coroutine<Yield = u64, Return = u64> + Unpin {
    #[coroutine]
    || {
        let first = yield_from!(g1());
        let second = yield_from!(g2());
        first + second
    }
}

/// `g` as a `gen` block that loops over `g1` and `g2` written as `gen` blocks.
pub fn gen_block() -> impl Iterator<Item = u64> {
    let g1 = || gen {
        for i in 0..10 {
            yield i;
        }
    };
    let g2 = || gen {
        for i in 10..20 {
            yield i;
        }
    };
    gen move {
        for i in g1() {
            yield i;
        }
        for i in g2() {
            yield i;
        }
    }
}

/// `g1` for `genawaiter`: yields through the caller's `Co`; returns how many values it yielded.
async fn g1_co(co: &Co<u64>) -> u64 {
    for i in 0..10 {
        co.yield_(i).await;
    }
    10
}

/// `g2` for `genawaiter`.
async fn g2_co(co: &Co<u64>) -> u64 {
    for i in 10..20 {
        co.yield_(i).await;
    }
    10
}

/// `g` with `genawaiter`: awaits `g1` then `g2`, which yield through the same `Co`; completes
/// with the total count (20).
pub fn genawaiter() -> genawaiter::rc::Gen<u64, (), impl Future<Output = u64>> {
    genawaiter::rc::Gen::new(|co| async move {
        let first = g1_co(&co).await;
        let second = g2_co(&co).await;
        first + second
    })
}

/// Writes `chain.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    run_with(native(), out)
}

/// Writes `chain.py`'s output with `co`, a `g` of any flavour.
pub fn run_with(mut co: impl Resume<Yield = u64>, out: &mut impl Write) -> io::Result<()> {
    let mut list = Vec::new();
    while let CoroutineState::Yielded(i) = co.resume(()) {
        list.push(i);
    }
    // Rust's `Debug` for a list of integers is Python's `print(list)`.
    writeln!(out, "{list:?}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::Genawaiter;
    use common::contracts::CHAIN;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, CHAIN);
    }

    /// How many values `co` yields, and what it returns.
    fn yields_and_return<R>(mut co: impl Resume<Yield = u64, Return = R>) -> (u64, R) {
        let mut n = 0;
        loop {
            match co.resume(()) {
                CoroutineState::Yielded(_) => n += 1,
                CoroutineState::Complete(total) => return (n, total),
            }
        }
    }

    #[test]
    fn delegation_returns_the_sub_coroutines_results() {
        assert_eq!(yields_and_return(native()), (20, 20));
        assert_eq!(yields_and_return(Genawaiter(genawaiter())), (20, 20));
    }

    #[test]
    fn sub_coroutines_live_inline_in_the_state() {
        // No boxing: `g`'s state holds g1's and g2's (one at a time); it is a few words.
        assert!(std::mem::size_of_val(&native()) <= 64);
    }
}
