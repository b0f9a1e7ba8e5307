//! Identity coroutines: each one hands back the value it was resumed with, so one resume is one full
//! suspend/resume round trip and nothing else. They are the subjects of the `switch` and `create`
//! benchmark groups, one per coroutine style, all with the same `u64 -> u64` shape. The
//! hand-written state machines implement [`Coroutine`] themselves, so the benchmarks can hold them
//! through the same handle as a native coroutine ([`Handle`]) and compare like with like.

use std::cell::Cell;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;

use corosensei::stack::DefaultStack;

/// A coroutine as a scheduler holds it: boxed, pinned, its type erased. Resuming it is a call
/// through its vtable that the compiler cannot inline.
pub type Handle<R> = Pin<Box<dyn Coroutine<u64, Yield = u64, Return = R>>>;

/// The hand-written state machine: the baseline every coroutine style is compared with.
///
/// It has the two states an identity coroutine has (not started, suspended at its `yield`), so a
/// resume is one `match` on the state and one store, the least any coroutine can do.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::{Coroutine, CoroutineState};
/// use std::pin::Pin;
/// let mut m = benches::identity::ManualIdentity::default();
/// assert_eq!(Pin::new(&mut m).resume(7), CoroutineState::Yielded(7));
/// assert_eq!(Pin::new(&mut m).resume(8), CoroutineState::Yielded(8));
/// ```
#[derive(Debug, Default)]
pub struct ManualIdentity {
    state: ManualState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ManualState {
    #[default]
    Start,
    Suspended,
}

impl Coroutine<u64> for ManualIdentity {
    type Yield = u64;
    type Return = ();

    /// Resumes the machine with `x`; it yields `x` itself.
    fn resume(mut self: Pin<&mut Self>, x: u64) -> CoroutineState<u64, ()> {
        match self.state {
            ManualState::Start => {
                self.state = ManualState::Suspended;
                CoroutineState::Yielded(x)
            }
            ManualState::Suspended => CoroutineState::Yielded(x),
        }
    }
}

/// The hand-written twin of [`native_once`]: resumed with `x` it yields `x + 1`, resumed again it
/// returns `x + 2`.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::{Coroutine, CoroutineState};
/// use std::pin::Pin;
/// let mut m = benches::identity::ManualOnce::default();
/// assert_eq!(Pin::new(&mut m).resume(5), CoroutineState::Yielded(6));
/// assert_eq!(Pin::new(&mut m).resume(0), CoroutineState::Complete(7));
/// ```
#[derive(Debug, Default)]
pub struct ManualOnce {
    state: OnceState,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum OnceState {
    #[default]
    Start,
    Suspended(u64),
    Done,
}

impl Coroutine<u64> for ManualOnce {
    type Yield = u64;
    type Return = u64;

    /// # Panics
    ///
    /// When resumed after it returned, as a native coroutine does.
    fn resume(mut self: Pin<&mut Self>, x: u64) -> CoroutineState<u64, u64> {
        match self.state {
            OnceState::Start => {
                self.state = OnceState::Suspended(x);
                CoroutineState::Yielded(x.wrapping_add(1))
            }
            OnceState::Suspended(first) => {
                self.state = OnceState::Done;
                CoroutineState::Complete(first.wrapping_add(2))
            }
            OnceState::Done => panic!("ManualOnce resumed after it returned"),
        }
    }
}

/// A native `#[coroutine]` closure that yields every value it is resumed with, forever.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::{Coroutine, CoroutineState};
/// let mut co = std::pin::pin!(benches::identity::native());
/// assert_eq!(co.as_mut().resume(3), CoroutineState::Yielded(3));
/// assert_eq!(co.as_mut().resume(4), CoroutineState::Yielded(4));
/// ```
pub fn native() -> impl Coroutine<u64, Yield = u64, Return = ()> {
    #[coroutine]
    |mut x: u64| {
        loop {
            x = yield x;
        }
    }
}

/// The `create` group's native subject, the same body as `stackful::stacks`' creation benchmark:
/// resumed with `x` it yields `x + 1`, resumed again it returns `x + 2` (wrapping). Running it to
/// completion means dropping it unwinds nothing in any style.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::{Coroutine, CoroutineState};
/// let mut co = std::pin::pin!(benches::identity::native_once());
/// assert_eq!(co.as_mut().resume(5), CoroutineState::Yielded(6));
/// assert_eq!(co.as_mut().resume(0), CoroutineState::Complete(7));
/// ```
pub fn native_once() -> impl Coroutine<u64, Yield = u64, Return = u64> {
    #[coroutine]
    |x: u64| {
        let _ = yield x.wrapping_add(1);
        x.wrapping_add(2)
    }
}

/// A `gen` block that yields whatever `input` holds each time it is advanced.
///
/// A `gen` block is an `Iterator`: it takes no resume argument, so the value goes in through a
/// `Cell` shared with the caller; one `set` + `next` is the round trip.
///
/// ```
/// let input = std::cell::Cell::new(0);
/// let mut it = benches::identity::gen_block(&input);
/// input.set(9);
/// assert_eq!(it.next(), Some(9));
/// ```
pub fn gen_block(input: &Cell<u64>) -> impl Iterator<Item = u64> + '_ {
    gen move {
        loop {
            yield input.get();
        }
    }
}

/// Producer for `genawaiter::stack` (use with `genawaiter::stack::let_gen_using!`).
///
/// genawaiter ignores the first resume argument (it only starts the producer); after that each
/// `resume_with(x)` yields `x`.
pub async fn genawaiter_stack(co: genawaiter::stack::Co<'_, u64, u64>) {
    let mut x = 0;
    loop {
        x = co.yield_(x).await;
    }
}

/// Producer for `genawaiter::rc::Gen::new`; same behaviour as [`genawaiter_stack`].
pub async fn genawaiter_rc(co: genawaiter::rc::Co<u64, u64>) {
    let mut x = 0;
    loop {
        x = co.yield_(x).await;
    }
}

/// Producer for `genawaiter::sync::Gen::new`; same behaviour as [`genawaiter_stack`].
pub async fn genawaiter_sync(co: genawaiter::sync::Co<u64, u64>) {
    let mut x = 0;
    loop {
        x = co.yield_(x).await;
    }
}

/// The `create` group's producer for `genawaiter::rc`: yields 2, then returns the resume
/// argument + 2 (genawaiter drops the first resume argument, so this is [`native_once`] resumed
/// with 1 as near as genawaiter allows).
pub async fn genawaiter_rc_once(co: genawaiter::rc::Co<u64, u64>) -> u64 {
    co.yield_(2).await + 2
}

/// As [`genawaiter_rc_once`], for `genawaiter::stack`.
pub async fn genawaiter_stack_once(co: genawaiter::stack::Co<'_, u64, u64>) -> u64 {
    co.yield_(2).await + 2
}

/// As [`genawaiter_rc_once`], for `genawaiter::sync`.
pub async fn genawaiter_sync_once(co: genawaiter::sync::Co<u64, u64>) -> u64 {
    co.yield_(2).await + 2
}

/// A stackful identity coroutine on its own freshly mapped stack (corosensei's default, 1 MiB).
///
/// ```
/// use corosensei::CoroutineResult;
/// let mut co = benches::identity::corosensei();
/// assert!(matches!(co.resume(3), CoroutineResult::Yield(3)));
/// ```
pub fn corosensei() -> corosensei::Coroutine<u64, u64, (), DefaultStack> {
    corosensei::Coroutine::new(|yielder, mut x: u64| {
        loop {
            x = yielder.suspend(x);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use corosensei::CoroutineResult;
    use genawaiter::GeneratorState;
    use std::pin::pin;

    const INPUTS: [u64; 4] = [1, 2, 40, u64::MAX - 1];

    #[test]
    fn manual_echoes_through_a_handle() {
        let mut m: Handle<()> = Box::pin(ManualIdentity::default());
        for x in INPUTS {
            assert_eq!(m.as_mut().resume(x), CoroutineState::Yielded(x));
        }
    }

    #[test]
    fn manual_once_is_native_once_by_hand() {
        for x in INPUTS {
            let mut m: Handle<u64> = Box::pin(ManualOnce::default());
            let mut n: Handle<u64> = Box::pin(native_once());
            for _ in 0..2 {
                assert_eq!(m.as_mut().resume(x), n.as_mut().resume(x));
            }
        }
    }

    #[test]
    #[should_panic(expected = "resumed after it returned")]
    fn manual_once_refuses_a_third_resume() {
        let mut m = ManualOnce::default();
        let _ = Pin::new(&mut m).resume(1);
        let _ = Pin::new(&mut m).resume(1);
        let _ = Pin::new(&mut m).resume(1);
    }

    #[test]
    fn native_echoes() {
        let mut co = pin!(native());
        for x in INPUTS {
            assert_eq!(co.as_mut().resume(x), CoroutineState::Yielded(x));
        }
    }

    #[test]
    fn native_once_yields_then_completes() {
        let mut co = pin!(native_once());
        assert_eq!(co.as_mut().resume(1), CoroutineState::Yielded(2));
        assert_eq!(co.as_mut().resume(0), CoroutineState::Complete(3));
    }

    #[test]
    fn gen_block_echoes() {
        let input = Cell::new(0);
        let mut it = gen_block(&input);
        for x in INPUTS {
            input.set(x);
            assert_eq!(it.next(), Some(x));
        }
    }

    #[test]
    fn genawaiter_flavours_echo() {
        genawaiter::stack::let_gen_using!(stack, genawaiter_stack);
        let mut rc = genawaiter::rc::Gen::new(genawaiter_rc);
        let mut sync = genawaiter::sync::Gen::new(genawaiter_sync);
        // The first resume only starts the producer, which yields its initial 0.
        assert_eq!(stack.resume_with(99), GeneratorState::Yielded(0));
        assert_eq!(rc.resume_with(99), GeneratorState::Yielded(0));
        assert_eq!(sync.resume_with(99), GeneratorState::Yielded(0));
        for x in INPUTS {
            assert_eq!(stack.resume_with(x), GeneratorState::Yielded(x));
            assert_eq!(rc.resume_with(x), GeneratorState::Yielded(x));
            assert_eq!(sync.resume_with(x), GeneratorState::Yielded(x));
        }
    }

    #[test]
    fn genawaiter_once_producers_yield_then_complete() {
        let mut rc = genawaiter::rc::Gen::new(genawaiter_rc_once);
        assert_eq!(rc.resume_with(1), GeneratorState::Yielded(2));
        assert_eq!(rc.resume_with(1), GeneratorState::Complete(3));
        let mut sync = genawaiter::sync::Gen::new(genawaiter_sync_once);
        assert_eq!(sync.resume_with(1), GeneratorState::Yielded(2));
        assert_eq!(sync.resume_with(1), GeneratorState::Complete(3));
        genawaiter::stack::let_gen_using!(stack, genawaiter_stack_once);
        assert_eq!(stack.resume_with(1), GeneratorState::Yielded(2));
        assert_eq!(stack.resume_with(1), GeneratorState::Complete(3));
    }

    #[test]
    fn corosensei_echoes() {
        let mut co = corosensei();
        for x in INPUTS {
            assert!(matches!(co.resume(x), CoroutineResult::Yield(y) if y == x));
        }
    }
}
