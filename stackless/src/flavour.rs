//! The flavours of the stackless demos, and which demo exists in which.
//!
//! Every demo in this crate exists in several *flavours*: the same program written with native
//! `#[coroutine]` closures, with `gen` blocks, with the `genawaiter` crate, or as a hand-written
//! state machine. The demo modules hold the coroutines; this module says which flavours each demo
//! has ([`COUNTER`], [`FIB`], ... as [`Demo`] tables, which the examples run: `--flavour NAME` on
//! the command line, see [`common::demo`]) and gives the flavours one way to be resumed
//! ([`Resume`]), so each demo drives its coroutine with one loop whatever the flavour.
//!
//! ```
//! use stackless::flavour::{COUNTER, Flavour};
//!
//! let mut out = Vec::new();
//! COUNTER.run(Flavour::Gen, &mut out)?;
//! assert_eq!(out, b"0\n1\n2\n");
//! COUNTER.cli(["counter", "--flavour", "manual"], &mut out)?; // what the example runs
//! assert_eq!(out, b"0\n1\n2\n0\n1\n2\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::RefCell;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;

use clap::ValueEnum;
pub use common::demo::Demo;
use common::style::Style;
use common::tree::Node;

use crate::{chain, counter, fib, manual, say, scheduler, send, tree};

/// One way of writing a stackless coroutine (`--flavour NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
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
    /// The flavour among the styles the project measures: benchmarks and reports name it so.
    pub fn style(self) -> Style {
        match self {
            Flavour::Native => Style::Native,
            Flavour::Gen => Style::Gen,
            Flavour::Genawaiter => Style::Genawaiter,
            Flavour::Manual => Style::Manual,
        }
    }

    /// The name used on the command line (`native`, `gen`, `genawaiter`, `manual`): its style's
    /// name, [`Style::name`].
    pub fn name(self) -> &'static str {
        self.style().name()
    }
}

impl common::demo::Flavour for Flavour {
    const STYLE: &'static str = "with stackless coroutines";

    fn name(self) -> &'static str {
        Flavour::name(self)
    }
}

impl std::fmt::Display for Flavour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `counter.py` in every flavour.
pub static COUNTER: Demo<Flavour> = Demo {
    name: "counter",
    runs: &[
        (Flavour::Native, |mut out| counter::run(&mut out)),
        (Flavour::Gen, |mut out| {
            counter::run_with(Iter(counter::gen_block()), &mut out)
        }),
        (Flavour::Genawaiter, |mut out| {
            counter::run_with(Genawaiter(counter::genawaiter()), &mut out)
        }),
        (Flavour::Manual, |mut out| {
            counter::run_with(Iter(manual::Counter::new()), &mut out)
        }),
    ],
};

/// `fib.py` in every flavour.
pub static FIB: Demo<Flavour> = Demo {
    name: "fib",
    runs: &[
        (Flavour::Native, |mut out| fib::run(&mut out)),
        (Flavour::Gen, |mut out| {
            fib::run_with(Iter(fib::gen_block()), &mut out)
        }),
        (Flavour::Genawaiter, |mut out| {
            fib::run_with(Genawaiter(fib::genawaiter()), &mut out)
        }),
        (Flavour::Manual, |mut out| {
            fib::run_with(Iter(manual::Fib::new()), &mut out)
        }),
    ],
};

/// `say.py` in every flavour.
pub static SAY: Demo<Flavour> = Demo {
    name: "say",
    runs: &[
        (Flavour::Native, |mut out| say::run(&mut out)),
        (Flavour::Gen, |mut out| {
            say::run_with(Iter(say::gen_block()), &mut out)
        }),
        (Flavour::Genawaiter, |mut out| {
            say::run_with(Genawaiter(say::genawaiter()), &mut out)
        }),
        (Flavour::Manual, |mut out| {
            say::run_with(Iter(manual::Say::new()), &mut out)
        }),
    ],
};

/// `send.py`: native and `genawaiter` only, since a `gen` block's iterator takes no input (and
/// there is no hand-written version).
pub static SEND: Demo<Flavour> = Demo {
    name: "send",
    runs: &[
        (Flavour::Native, |mut out| send::run(&mut out)),
        (Flavour::Genawaiter, |out| {
            let out = RefCell::new(out);
            send::run_with(Genawaiter(send::genawaiter(&out)), &out)
        }),
    ],
};

/// `chain.py`: native, `gen` and `genawaiter`.
pub static CHAIN: Demo<Flavour> = Demo {
    name: "chain",
    runs: &[
        (Flavour::Native, |mut out| chain::run(&mut out)),
        (Flavour::Gen, |mut out| {
            chain::run_with(Iter(chain::gen_block()), &mut out)
        }),
        (Flavour::Genawaiter, |mut out| {
            chain::run_with(Genawaiter(chain::genawaiter()), &mut out)
        }),
    ],
};

/// `tree.py`: native, `gen` and `genawaiter` (each boxing one coroutine per node).
pub static TREE: Demo<Flavour> = Demo {
    name: "tree",
    runs: &[
        (Flavour::Native, |mut out| tree::run(&mut out)),
        (Flavour::Gen, |mut out| {
            let root = Node::article();
            tree::run_with(Iter(tree::gen_block(&root)), &mut out)
        }),
        (Flavour::Genawaiter, |mut out| {
            let root = Node::article();
            tree::run_with(Genawaiter(tree::genawaiter(&root)), &mut out)
        }),
    ],
};

/// `scheduler.py`: native and `genawaiter` (see [`scheduler::genawaiter`]).
pub static SCHEDULER: Demo<Flavour> = Demo {
    name: "scheduler",
    runs: &[
        (Flavour::Native, |mut out| scheduler::run(&mut out)),
        (Flavour::Genawaiter, |mut out| {
            scheduler::genawaiter::run(&mut out)
        }),
    ],
};

/// Every demo with a printed contract, in the article's order.
pub static DEMOS: [&Demo<Flavour>; 7] = [&COUNTER, &FIB, &SAY, &SEND, &CHAIN, &TREE, &SCHEDULER];

/// A coroutine of any flavour, resumed one way: with an argument of type `A`, it yields a
/// [`Resume::Yield`] or completes with a [`Resume::Return`].
///
/// Every `Unpin` native coroutine (a boxed one, or one that is not `static`) is `Resume`, resumed
/// through `&mut` instead of `Pin<&mut _>`. The other flavours become native coroutines through
/// an adapter: a `gen` block or a hand-written state machine is an iterator, wrapped in [`Iter`];
/// a `genawaiter` generator is wrapped in [`Genawaiter`]. Like a native coroutine, a completed
/// `genawaiter` generator must not be resumed again (it panics); an [`Iter`] keeps answering
/// `Complete(())`.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::CoroutineState;
/// use stackless::flavour::{Iter, Resume};
///
/// let mut words = Iter(["C", "Java"].into_iter());
/// assert_eq!(words.resume(()), CoroutineState::Yielded("C"));
/// assert_eq!(words.resume(()), CoroutineState::Yielded("Java"));
/// assert_eq!(words.resume(()), CoroutineState::Complete(()));
/// ```
pub trait Resume<A = ()> {
    /// What the coroutine yields.
    type Yield;
    /// What it completes with.
    type Return;

    /// Runs the coroutine to its next `yield` or to its end.
    fn resume(&mut self, arg: A) -> CoroutineState<Self::Yield, Self::Return>;
}

impl<A, C: Coroutine<A> + Unpin> Resume<A> for C {
    type Yield = C::Yield;
    type Return = C::Return;

    fn resume(&mut self, arg: A) -> CoroutineState<C::Yield, C::Return> {
        Pin::new(self).resume(arg)
    }
}

/// An iterator (a `gen` block, a hand-written state machine) as a native coroutine: `next` is
/// `resume(())`, `None` is `Complete(())`.
#[derive(Debug, Clone)]
pub struct Iter<I>(pub I);

impl<I: Iterator + Unpin> Coroutine for Iter<I> {
    type Yield = I::Item;
    type Return = ();

    fn resume(self: Pin<&mut Self>, (): ()) -> CoroutineState<I::Item, ()> {
        match self.get_mut().0.next() {
            Some(value) => CoroutineState::Yielded(value),
            None => CoroutineState::Complete(()),
        }
    }
}

/// A `genawaiter` generator as a native coroutine: `resume(arg)` is its `resume_with(arg)`. Note
/// that `genawaiter` drops the argument of the first resume (no `yield` is waiting for it yet).
pub struct Genawaiter<G>(pub G);

impl<Y, A, F: Future> Coroutine<A> for Genawaiter<genawaiter::rc::Gen<Y, A, F>> {
    type Yield = Y;
    type Return = F::Output;

    fn resume(self: Pin<&mut Self>, arg: A) -> CoroutineState<Y, F::Output> {
        match self.get_mut().0.resume_with(arg) {
            genawaiter::GeneratorState::Yielded(value) => CoroutineState::Yielded(value),
            genawaiter::GeneratorState::Complete(value) => CoroutineState::Complete(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flavour_of_every_demo_prints_the_contract_and_the_examples_parse_their_flavours() {
        common::demo::check_demos(&DEMOS);
    }
}
