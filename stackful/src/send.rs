//! `send.py`: a coroutine that *receives* values (the article's `coro_fn`).
//!
//! Easy: `resume(input)` is Python's `send`: the first input is the body's second parameter
//! (Python's `send(None)`), and each later one is what `suspend` returns. The body prints with an
//! ordinary `writeln!` and `?`, its `io::Result` is the coroutine's return value. Hard: borrowing.
//! A plain `Coroutine` must be `'static` (its stack outlives any borrow checker scope), so a
//! coroutine that borrows the writer is a [`ScopedCoroutine`], driven inside `scope(|co| ...)`.
//! As in the stackless version, the writer is shared through a `RefCell` because the caller
//! prints too. Python's `co.close()` is the end of the scope, which drops the coroutine.
//!
//! ```
//! let mut out = Vec::new();
//! stackful::send::run(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "Starting\nConsume data\nHello World\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::cell::RefCell;
use std::io::{self, Write};

use corosensei::stack::{DefaultStack, Stack};
use corosensei::{CoroutineResult, ScopedCoroutine, Yielder};

pub use common::send::Sent;
use common::send::shown;

/// The stack [`coroutine`] maps: 32 KiB, twice the other demos', since this body writes, and a
/// real writer (stdout) goes deeper than the `Vec` the test `stack_use_is_within_stack_size`
/// measures with (about 2 KiB in a debug build; the test allows up to half the stack).
pub const STACK_SIZE: usize = 32 << 10;

/// `coro_fn`'s body: prints `Consume <value>` to `out` between its two `suspend`s; returns the
/// result of that write.
fn coro_fn<W: Write>(
    yielder: &Yielder<Sent, &'static str>,
    _first: Sent,
    out: &RefCell<W>,
) -> io::Result<()> {
    let val = yielder.suspend("Starting");
    writeln!(out.borrow_mut(), "Consume {}", shown(val))?;
    let _ = yielder.suspend("Hello World");
    Ok(())
}

/// `coro_fn` on a fresh stack of [`STACK_SIZE`] bytes, writing to `out`. Resume it with `None` to
/// start it (ignored, as Python's first `send` must be `None`), then with the value to send.
pub fn coroutine<W: Write>(
    out: &RefCell<W>,
) -> io::Result<ScopedCoroutine<'_, Sent, &'static str, io::Result<()>, DefaultStack>> {
    Ok(coroutine_on(out, DefaultStack::new(STACK_SIZE)?))
}

/// `coro_fn` on a stack of the caller's choice (a pooled one, say).
pub fn coroutine_on<W: Write, S: Stack>(
    out: &RefCell<W>,
    stack: S,
) -> ScopedCoroutine<'_, Sent, &'static str, io::Result<()>, S> {
    ScopedCoroutine::with_stack(
        stack,
        move |yielder: &Yielder<Sent, &'static str>, first| coro_fn(yielder, first, out),
    )
}

/// Writes `send.py`'s output.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let out = RefCell::new(out);
    run_with(coroutine(&out)?, &out)
}

/// Writes `send.py`'s output with `co`, a `coro_fn` on any stack writing to `out`.
pub fn run_with<W: Write, S: Stack>(
    co: ScopedCoroutine<'_, Sent, &'static str, io::Result<()>, S>,
    out: &RefCell<W>,
) -> io::Result<()> {
    // The two `send`s of `send.py`; what each resume yields is printed by the caller.
    let sends: [Sent; 2] = [None, Some("data")];
    co.scope(|mut co| {
        for val in sends {
            match co.resume(val) {
                CoroutineResult::Yield(said) => writeln!(out.borrow_mut(), "{said}")?,
                CoroutineResult::Return(result) => return result.and(Err(early_end())),
            }
        }
        Ok(())
    })
    // `co.close()`: the scope ended and dropped the suspended coroutine (unwinding its stack).
}

/// The error for a coroutine that completed before yielding twice (a bug in this module).
fn early_end() -> io::Error {
    io::Error::other("coro_fn completed before its second yield")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_stack_use;
    use common::contracts::SEND;
    use common::demo::assert_prints;
    use corosensei::Coroutine;
    use std::rc::Rc;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, SEND);
    }

    #[test]
    fn sending_none_prints_none_like_python() -> io::Result<()> {
        let out = RefCell::new(Vec::new());
        coroutine(&out)?.scope(|mut co| {
            assert_eq!(co.resume(None).as_yield(), Some("Starting"));
            assert_eq!(co.resume(None).as_yield(), Some("Hello World"));
            assert!(matches!(co.resume(None), CoroutineResult::Return(Ok(()))));
        });
        assert_eq!(String::from_utf8_lossy(&out.into_inner()), "Consume None\n");
        Ok(())
    }

    #[test]
    fn a_write_error_inside_the_coroutine_is_its_return_value() -> io::Result<()> {
        // A writer with no room: every write fails.
        let out = RefCell::new(&mut [][..]);
        coroutine(&out)?.scope(|mut co| {
            assert_eq!(co.resume(None).as_yield(), Some("Starting"));
            match co.resume(Some("data")) {
                CoroutineResult::Return(Err(e)) => assert_eq!(e.kind(), io::ErrorKind::WriteZero),
                other => panic!("expected the write error, got {:?}", other.as_yield()),
            }
        });
        let error = run(&mut &mut [][..]).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WriteZero);
        Ok(())
    }

    #[test]
    fn stack_use_is_within_stack_size() {
        // A `ScopedCoroutine` cannot give its stack back, so the same body runs in a plain
        // `Coroutine` that owns its writer.
        let out = Rc::new(RefCell::new(Vec::new()));
        let writer = Rc::clone(&out);
        let make = move |stack| {
            Coroutine::with_stack(stack, move |y: &Yielder<Sent, &'static str>, first| {
                coro_fn(y, first, &writer)
            })
        };
        assert_stack_use("send", STACK_SIZE, make, [None, Some("data"), None]);
        assert_eq!(String::from_utf8_lossy(&out.borrow()), "Consume data\n");
    }
}
