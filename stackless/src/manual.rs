//! The article's C `switch` coroutines as hand-written state machines: the baseline.
//!
//! The C versions keep their state in `static` variables and jump back into the loop with a
//! `switch` on a resume point. Here each coroutine is an `enum`: the variant is the resume point,
//! its fields are the locals that live across the suspension, and `resume` is the `switch`. This is
//! what the compiler generates for a `#[coroutine]` closure, written by hand: no allocation, no
//! `unsafe`, the smallest possible state, but every local that crosses a `yield` must be moved into
//! the enum by hand, and control flow (loops, `?`) has to be flattened into states.
//!
//! Unlike the C, each value is its own coroutine (no `static`s), so two can run side by side.
//!
//! ```
//! use stackless::manual::{Counter, Fib, Say};
//!
//! let mut counter = Counter::new();
//! assert_eq!([counter.resume(), counter.resume(), counter.resume()], [0, 1, 2]);
//! let fib: Vec<u64> = Fib::new().take(10).collect();
//! assert_eq!(fib, [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]);
//! let mut say = Say::new();
//! assert_eq!(
//!     [say.resume(), say.resume(), say.resume(), say.resume()],
//!     [Some("C"), Some("Java"), Some("Python"), None]
//! );
//! ```

/// The counter `0, 1, 2, ...` (the article's first C coroutine), as an enum.
///
/// C: `static int i = 0, s = 0; switch (s) { case 0: for (i = 0;; ++i) { s = 1; return i; case 1:; } }`
#[derive(Debug, Clone, Default)]
pub enum Counter {
    /// `case 0`: not started yet.
    #[default]
    Start,
    /// `case 1`: suspended after returning `i`.
    Suspended {
        /// The value returned last.
        i: u64,
    },
}

impl Counter {
    /// A counter that has not started.
    pub fn new() -> Self {
        Counter::Start
    }

    /// Runs to the next suspension point and returns the value there (never ends).
    pub fn resume(&mut self) -> u64 {
        let i = match *self {
            Counter::Start => 0,
            Counter::Suspended { i } => i + 1,
        };
        *self = Counter::Suspended { i };
        i
    }
}

impl Iterator for Counter {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        Some(self.resume())
    }
}

/// Fibonacci `0, 1, 1, 2, 3, ...` as in the article's Python (its C version starts at `1`).
///
/// Values wrap on `u64` overflow (after the 94th value) so benchmarks can run it for as long as
/// they like; every flavour does the same.
#[derive(Debug, Clone, Default)]
pub enum Fib {
    /// Not started: `a, b = 0, 1` comes next.
    #[default]
    Start,
    /// Suspended after yielding `a`.
    Suspended {
        /// The value yielded last.
        a: u64,
        /// The one before it.
        b: u64,
    },
}

impl Fib {
    /// A Fibonacci coroutine that has not started.
    pub fn new() -> Self {
        Fib::Start
    }

    /// Runs to the next suspension point and returns the value there (never ends).
    pub fn resume(&mut self) -> u64 {
        let (a, b) = match *self {
            Fib::Start => (0, 1),
            Fib::Suspended { a, b } => (a.wrapping_add(b), a),
        };
        *self = Fib::Suspended { a, b };
        a
    }
}

impl Iterator for Fib {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        Some(self.resume())
    }
}

/// `"C"`, `"Java"`, `"Python"`, then exhausted: the article's C `say` with its `__resume__` switch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Say {
    /// `case 0`.
    #[default]
    Start,
    /// `case 1`: `"C"` was returned.
    SaidC,
    /// `case 2`: `"Java"` was returned.
    SaidJava,
    /// `default`: `"Python"` was returned; the coroutine is exhausted.
    Done,
}

impl Say {
    /// A `say` coroutine that has not started.
    pub fn new() -> Self {
        Say::Start
    }

    /// The next word, or `None` once exhausted (the C returns `NULL`; Python raises
    /// `StopIteration`). Resuming an exhausted `Say` keeps answering `None`.
    pub fn resume(&mut self) -> Option<&'static str> {
        let (next, word) = match *self {
            Say::Start => (Say::SaidC, "C"),
            Say::SaidC => (Say::SaidJava, "Java"),
            Say::SaidJava => (Say::Done, "Python"),
            Say::Done => return None,
        };
        *self = next;
        Some(word)
    }
}

impl Iterator for Say {
    type Item = &'static str;

    fn next(&mut self) -> Option<&'static str> {
        self.resume()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_small() {
        // The whole coroutine state is the enum: a tag plus the live locals.
        assert!(std::mem::size_of::<Counter>() <= 16);
        assert!(std::mem::size_of::<Fib>() <= 24);
        assert_eq!(std::mem::size_of::<Say>(), 1);
    }

    #[test]
    fn coroutines_are_independent() {
        let mut a = Counter::new();
        let mut b = Counter::new();
        assert_eq!(a.resume(), 0);
        assert_eq!(a.resume(), 1);
        assert_eq!(b.resume(), 0);
    }

    #[test]
    fn say_stays_exhausted() {
        let mut say = Say::new();
        assert_eq!(say.by_ref().count(), 3);
        assert_eq!(say.resume(), None);
        assert_eq!(say, Say::Done);
    }

    #[test]
    fn fib_wraps_instead_of_panicking() {
        // fib(93) is the last that fits in u64; further values wrap.
        let f93 = Fib::new().nth(93);
        assert_eq!(f93, Some(12_200_160_415_121_876_738));
        assert!(Fib::new().nth(200).is_some());
    }
}
