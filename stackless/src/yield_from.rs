//! `yield_from!`: Python's `yield from` for native `#[coroutine]` closures.
//!
//! Inside a coroutine, `yield_from!(sub)` runs the coroutine `sub` to completion: every value
//! `sub` yields is yielded to our caller, every value our caller resumes us with is passed on to
//! `sub`, and the macro evaluates to `sub`'s return value. The first resume of `sub` gets
//! `Default::default()` (Python sends `None` first); `yield_from!(sub, first)` chooses it.
//!
//! `sub` must be `Unpin` (a non-`static` coroutine closure, or a `Pin<Box<_>>`), because the macro
//! resumes it through a `&mut` borrow that ends before each `yield`, so the enclosing coroutine
//! need not be `static`. Python's `yield from` also forwards `throw()`; Rust coroutines have no
//! `throw`, and Python's `close()` is Rust's `drop`, which drops `sub` with its parent.
//!
//! ```
//! #![feature(coroutines, coroutine_trait, stmt_expr_attributes)]
//! use std::ops::{Coroutine, CoroutineState};
//! use std::pin::Pin;
//! use stackless::yield_from;
//!
//! // A coroutine that doubles what it is sent, and returns how many values it got.
//! let doubler = || {
//!     #[coroutine]
//!     |mut x: u32| {
//!         for n in 1..=2 {
//!             x = yield x * 2;
//!             if n == 2 {
//!                 return n;
//!             }
//!         }
//!         unreachable!()
//!     }
//! };
//! let mut outer = #[coroutine]
//! |first: u32| {
//!     let got = yield_from!(doubler(), first);
//!     yield 100 + got;
//! };
//! let mut seen = Vec::new();
//! let mut input = 5;
//! while let CoroutineState::Yielded(v) = Pin::new(&mut outer).resume(input) {
//!     seen.push(v);
//!     input += 1;
//! }
//! assert_eq!(seen, [10, 12, 102]);
//! ```

/// Delegates to a sub-coroutine like Python's `yield from`: forwards its yields out and our resume
/// values in, and evaluates to its return value. See the [module docs](mod@crate::yield_from).
#[macro_export]
macro_rules! yield_from {
    ($sub:expr) => {
        $crate::yield_from!($sub, ::core::default::Default::default())
    };
    ($sub:expr, $first:expr) => {{
        let mut sub = $sub;
        let mut arg = $first;
        loop {
            match ::core::ops::Coroutine::resume(::core::pin::Pin::new(&mut sub), arg) {
                ::core::ops::CoroutineState::Yielded(value) => arg = yield value,
                ::core::ops::CoroutineState::Complete(ret) => break ret,
            }
        }
    }};
}
