//! `send.py`: a coroutine that *receives* values (the article's `coro_fn`).
//!
//! Easy: a native coroutine takes a resume argument, so `co.send(x)` is `resume(x)`: the first
//! resume argument is the closure's parameter (Python's first `send(None)`), each later one is the
//! value of the `yield` expression. `genawaiter` does the same with `resume_with`, except that it
//! drops the first argument (there is no `yield` to receive it yet), which Python requires to be
//! `None` anyway. Hard: the coroutine and its caller both print, so the writer is shared through a
//! `RefCell`: a coroutine that held `&mut out` across its `yield`s would lock the caller out of
//! `out` until it is dropped. There is no `gen` flavour (an `Iterator` takes no input) and no
//! `manual` one. Python's `co.close()` is `drop`.
//!
//! ```
//! let mut out = Vec::new();
//! stackless::send::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "Starting\nConsume data\nHello World\n");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # One coroutine, two threads
//!
//! The article warns that sending into a generator from two threads at once crashes Python with
//! "generator already executing". In Rust the same program does not compile: resuming needs
//! `Pin<&mut C>`, and two threads cannot hold `&mut` to one coroutine at once (error E0499):
//!
//! ```compile_fail,E0499
//! #![feature(coroutines, coroutine_trait, stmt_expr_attributes)]
//! use std::ops::Coroutine;
//! use std::pin::Pin;
//!
//! let mut co = #[coroutine]
//! |_first: Option<&'static str>| {
//!     let val = yield "Starting";
//!     yield if val.is_some() { "Hello World" } else { "None" };
//! };
//! std::thread::scope(|s| {
//!     s.spawn(|| Pin::new(&mut co).resume(Some("from thread 1")));
//!     s.spawn(|| Pin::new(&mut co).resume(Some("from thread 2")));
//! });
//! ```
//!
//! The allowed forms: hand the coroutine from one thread to the next (it is `Send`), or share it
//! behind a `Mutex`, which makes the second `send` wait instead of crash:
//!
//! ```
//! #![feature(coroutines, coroutine_trait, stmt_expr_attributes)]
//! use std::ops::{Coroutine, CoroutineState};
//! use std::pin::Pin;
//! use std::sync::Mutex;
//!
//! let mut co = #[coroutine]
//! |_first: Option<&'static str>| {
//!     let val = yield "Starting";
//!     yield if val.is_some() { "Hello World" } else { "None" };
//! };
//! std::thread::scope(|s| {
//!     s.spawn(|| Pin::new(&mut co).resume(None));
//! });
//! let co = Mutex::new(co);
//! let said = std::thread::scope(|s| {
//!     let t = s.spawn(|| Pin::new(&mut *co.lock().unwrap()).resume(Some("data")));
//!     t.join().unwrap()
//! });
//! assert_eq!(said, CoroutineState::Yielded("Hello World"));
//! ```

use std::cell::RefCell;
use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};

pub use common::send::Sent;
use common::send::shown;

use crate::flavour::Resume;

/// `coro_fn` as a native `#[coroutine]` closure. Resume it with `None` to start it (the argument
/// is ignored, as Python's first `send` must be `None`), then with the value to send. It prints
/// `Consume <value>` to `out` and completes with the result of that write.
pub fn native<W: Write>(
    out: &RefCell<W>,
) -> impl Coroutine<Sent, Yield = &'static str, Return = io::Result<()>> + Unpin + '_ {
    #[coroutine]
    move |_first: Sent| {
        let val = yield "Starting";
        writeln!(out.borrow_mut(), "Consume {}", shown(val))?;
        let _ = yield "Hello World";
        Ok(())
    }
}

/// `coro_fn` with `genawaiter`: start it with `resume_with(None)` (that first argument is
/// dropped), then `resume_with(value)`.
pub fn genawaiter<W: Write>(
    out: &RefCell<W>,
) -> genawaiter::rc::Gen<&'static str, Sent, impl Future<Output = io::Result<()>> + '_> {
    genawaiter::rc::Gen::new(move |co| async move {
        let val = co.yield_("Starting").await;
        writeln!(out.borrow_mut(), "Consume {}", shown(val))?;
        let _ = co.yield_("Hello World").await;
        Ok(())
    })
}

/// Writes `send.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let out = RefCell::new(out);
    run_with(native(&out), &out)
}

/// Writes `send.py`'s output with `co`, a `coro_fn` of any flavour writing to `out`.
pub fn run_with<W: Write>(
    mut co: impl Resume<Sent, Yield = &'static str, Return = io::Result<()>>,
    out: &RefCell<W>,
) -> io::Result<()> {
    // The two `send`s of `send.py`; what each resume yields is printed by the caller.
    let sends: [Sent; 2] = [None, Some("data")];
    for val in sends {
        match co.resume(val) {
            CoroutineState::Yielded(said) => writeln!(out.borrow_mut(), "{said}")?,
            CoroutineState::Complete(result) => return result.and(Err(early_end())),
        }
    }
    Ok(())
    // `co.close()`: `co` is dropped here, suspended.
}

/// The error for a coroutine that completed before yielding twice (a bug in this module).
fn early_end() -> io::Error {
    io::Error::other("coro_fn completed before its second yield")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::Genawaiter;
    use common::contracts::SEND;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, SEND);
    }

    #[test]
    fn sending_none_prints_none_like_python() {
        let out = RefCell::new(Vec::new());
        let mut co = native(&out);
        assert!(matches!(
            co.resume(None),
            CoroutineState::Yielded("Starting")
        ));
        assert!(matches!(
            co.resume(None),
            CoroutineState::Yielded("Hello World")
        ));
        assert!(matches!(co.resume(None), CoroutineState::Complete(Ok(()))));
        drop(co);
        assert_eq!(String::from_utf8_lossy(&out.into_inner()), "Consume None\n");
    }

    #[test]
    fn genawaiter_drops_the_first_argument() {
        let out = RefCell::new(Vec::new());
        let mut co = Genawaiter(genawaiter(&out));
        assert!(matches!(
            co.resume(Some("lost")),
            CoroutineState::Yielded("Starting")
        ));
        assert!(matches!(
            co.resume(Some("kept")),
            CoroutineState::Yielded("Hello World")
        ));
        drop(co);
        assert_eq!(String::from_utf8_lossy(&out.into_inner()), "Consume kept\n");
    }

    #[test]
    fn a_write_error_inside_the_coroutine_is_its_return_value() {
        // A writer with no room: every write fails.
        let out = RefCell::new(&mut [][..]);
        let mut co = native(&out);
        assert!(matches!(
            co.resume(None),
            CoroutineState::Yielded("Starting")
        ));
        match co.resume(Some("data")) {
            CoroutineState::Complete(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::WriteZero),
            other => panic!("expected the write error, got {other:?}"),
        }
        let error = run(&mut &mut [][..]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WriteZero);
    }
}
