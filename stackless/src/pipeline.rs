//! The article's log-analysis pipeline with Rust's native stackless coroutines: `broadcast` sends
//! each line to several `filter_address` stages, which all feed one shared `reduce` stage.
//!
//! What the style makes easy: each stage is a small `#[coroutine]` closure whose state (the counts,
//! the address) lives in a compiler-built state machine, and a send is an ordinary function call
//! on it, no stack and no stack switch. What it makes hard: a coroutine's resume argument has one type
//! for its whole life, so a stage cannot be handed a fresh borrow of the reader's buffer on every
//! resume; instead the buffer itself is lent to the stage and handed back through `yield`, boxed
//! ([`Line`]) because a resume argument wider than two registers is passed through memory in a way
//! that stalled every send (see the README's pipeline Performance section). `gen`
//! blocks cannot receive values at all, so they cannot be pipeline stages. And the shared reducer,
//! the article's "DAG" hazard, needs shared ownership with a run-time borrow check
//! (`Rc<RefCell<_>>`): a re-entrant send is refused with [`PipelineError::Reentrant`], not a crash.
//!
//! The protocol, as in the article: resuming with `Some(value)` is `send(value)`, resuming with
//! `None` is `close()` (the article's `GeneratorExit`). A line stage yields the line back and, when
//! closed, closes its targets and returns what the last of them returned; the reducer returns its
//! counts as the coroutine's return value, not through a global.

use std::cell::RefCell;
use std::io::BufRead;
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::rc::Rc;

pub use common::logdata::{Counts, Line, PipelineError};
use common::logdata::{distinct, is_from, stream_lines};

/// A client address as the filters send it to the reducer (cheap to clone).
pub type Addr = Rc<str>;

/// What a line stage returns once closed: `Ok(Some(r))` if it was the last owner of the shared
/// downstream stage and so closed it and got back its result `r`, `Ok(None)` otherwise.
pub type Closed<R> = Result<Option<R>, PipelineError>;

/// A stage shared by several upstream stages: the DAG join. `Rc` because it has several owners,
/// `RefCell` because resuming needs `&mut` and only a run-time check can prove no one else is
/// resuming it at the same moment.
pub type Shared<C> = Rc<RefCell<C>>;

/// The `reduce` stage: counts each address it is sent and, once closed (resumed with `None`),
/// returns the counts.
///
/// ```
/// #![feature(coroutine_trait)]
/// use std::ops::{Coroutine, CoroutineState};
/// use std::pin::Pin;
/// let mut reducer = stackless::pipeline::reduce();
/// let _ = Pin::new(&mut reducer).resume(Some("10.0.0.1".into()));
/// let CoroutineState::Complete(counts) = Pin::new(&mut reducer).resume(None) else { panic!() };
/// assert_eq!(counts.get("10.0.0.1"), 1);
/// ```
pub fn reduce() -> impl Coroutine<Option<Addr>, Yield = (), Return = Counts> + Unpin {
    #[coroutine]
    |mut message: Option<Addr>| {
        let mut counts = Counts::new();
        while let Some(address) = message {
            counts.add(&address);
            message = yield;
        }
        counts
    }
}

/// The article's `map_`: passes `address` on to the shared `next` stage for each line whose first
/// field is exactly `address`, and yields every line back. Closed, it lets go of `next`; if it was the
/// last owner, it closes `next` and returns its result.
pub fn filter_address<C, R>(
    address: Addr,
    next: Shared<C>,
) -> impl Coroutine<Option<Line>, Yield = Line, Return = Closed<R>> + Unpin
where
    C: Coroutine<Option<Addr>, Yield = (), Return = R> + Unpin,
{
    #[coroutine]
    move |mut message: Option<Line>| {
        while let Some(line) = message {
            if is_from(&line, &address) {
                // The DAG hazard: if `next` is being resumed right now (we were reached from inside
                // it), this borrow fails and the send is refused, not run re-entrantly.
                let Ok(mut stage) = next.try_borrow_mut() else {
                    return Err(PipelineError::Reentrant);
                };
                if let CoroutineState::Complete(_) =
                    Pin::new(&mut *stage).resume(Some(Rc::clone(&address)))
                {
                    return Err(PipelineError::StageEnded);
                }
            }
            message = yield line;
        }
        close_shared(next)
    }
}

/// Lets go of a shared stage; the last owner closes it and returns its result.
fn close_shared<C, T, R>(stage: Shared<C>) -> Closed<R>
where
    C: Coroutine<Option<T>, Yield = (), Return = R> + Unpin,
{
    let Ok(cell) = Rc::try_unwrap(stage) else {
        return Ok(None); // another stage still feeds it and will close it
    };
    match Pin::new(&mut cell.into_inner()).resume(None) {
        CoroutineState::Complete(result) => Ok(Some(result)),
        CoroutineState::Yielded(()) => Err(PipelineError::StageEnded),
    }
}

/// The article's `broadcast`: sends each line to every target in turn and yields it back. Closed, it
/// closes every target and returns the downstream result the last of them handed back.
pub fn broadcast<T, R>(
    mut targets: Vec<T>,
) -> impl Coroutine<Option<Line>, Yield = Line, Return = Closed<R>> + Unpin
where
    T: Coroutine<Option<Line>, Yield = Line, Return = Closed<R>> + Unpin,
{
    #[coroutine]
    move |mut message: Option<Line>| {
        while let Some(mut line) = message {
            for target in targets.iter_mut() {
                match Pin::new(target).resume(Some(line)) {
                    CoroutineState::Yielded(back) => line = back,
                    CoroutineState::Complete(Err(error)) => return Err(error),
                    CoroutineState::Complete(Ok(_)) => return Err(PipelineError::StageEnded),
                }
            }
            message = yield line;
        }
        let mut result = None;
        for mut target in targets {
            match Pin::new(&mut target).resume(None) {
                CoroutineState::Complete(Ok(Some(r))) => result = Some(r),
                CoroutineState::Complete(Ok(None)) => {}
                CoroutineState::Complete(Err(error)) => return Err(error),
                CoroutineState::Yielded(_) => return Err(PipelineError::StageEnded),
            }
        }
        Ok(result)
    }
}

/// Feeds every line of `reader` into `flow`, then closes it and returns its result: the source.
pub fn drive<R, C, T>(reader: R, mut flow: C) -> Closed<T>
where
    R: BufRead,
    C: Coroutine<Option<Line>, Yield = Line, Return = Closed<T>> + Unpin,
{
    stream_lines(reader, |line| {
        match Pin::new(&mut flow).resume(Some(line)) {
            CoroutineState::Yielded(line) => Ok(line),
            CoroutineState::Complete(result) => {
                Err(result.err().unwrap_or(PipelineError::StageEnded))
            }
        }
    })?;
    match Pin::new(&mut flow).resume(None) {
        CoroutineState::Complete(result) => result,
        CoroutineState::Yielded(_) => Err(PipelineError::StageEnded),
    }
}

/// Counts the requests from each address in `reader`: the article's flow
/// `broadcast([filter_address(ip, reducer) for ip in addresses])`, fed line by line, then closed.
///
/// ```
/// let log = b"10.0.0.1 a\n10.0.0.10 b\n10.0.0.1 c\n";
/// let counts = stackless::pipeline::count(&log[..], &["10.0.0.1", "10.0.0.10"])?;
/// assert_eq!((counts.get("10.0.0.1"), counts.get("10.0.0.10")), (2, 1));
/// # Ok::<(), common::logdata::PipelineError>(())
/// ```
pub fn count<R: BufRead>(reader: R, addresses: &[&str]) -> Result<Counts, PipelineError> {
    let reducer = Rc::new(RefCell::new(reduce()));
    let filters = distinct(addresses)
        .into_iter()
        .map(|address| filter_address(address.into(), Rc::clone(&reducer)))
        .collect();
    drop(reducer); // the filters own it now; the last one to close it gets the counts
    Ok(drive(reader, broadcast(filters))?.unwrap_or_default())
}

/// The `pipeline` example: `pipeline [--threaded] LOG [IP ...]` with this crate's coroutines.
pub fn main() -> std::process::ExitCode {
    common::pipeline::cli::main(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::pipeline::checks;
    use std::cell::Cell;

    #[test]
    fn passes_the_shared_checks() {
        assert_eq!(
            checks::check_pipeline(|log, addresses| count(log, addresses)),
            Ok(())
        );
    }

    #[test]
    fn the_example_passes_the_shared_cli_checks() {
        assert_eq!(checks::check_cli(count), Ok(()));
    }

    #[test]
    fn closing_the_source_closes_every_stage_and_returns_the_counts() {
        let reducer = Rc::new(RefCell::new(reduce()));
        let filters = vec![
            filter_address("1.1.1.1".into(), Rc::clone(&reducer)),
            filter_address("2.2.2.2".into(), Rc::clone(&reducer)),
        ];
        let weak = Rc::downgrade(&reducer);
        drop(reducer);
        let mut flow = broadcast(filters);
        for line in [&b"1.1.1.1 a\n"[..], b"2.2.2.2 b\n", b"1.1.1.1 c\n"] {
            let back = Pin::new(&mut flow).resume(Some(Box::new(line.to_vec())));
            assert!(matches!(back, CoroutineState::Yielded(ref l) if l.as_slice() == line));
        }
        assert_eq!(weak.strong_count(), 2, "each filter owns the reducer");
        let CoroutineState::Complete(Ok(Some(counts))) = Pin::new(&mut flow).resume(None) else {
            panic!("closing the flow did not hand back the reducer's counts");
        };
        assert_eq!(
            weak.strong_count(),
            0,
            "closed filters let go of the reducer"
        );
        assert_eq!((counts.get("1.1.1.1"), counts.get("2.2.2.2")), (2, 1));
    }

    #[test]
    fn a_send_while_the_reducer_runs_is_refused() {
        let reducer = Rc::new(RefCell::new(reduce()));
        let mut flow = broadcast(vec![filter_address("1.1.1.1".into(), Rc::clone(&reducer))]);
        let _ = Pin::new(&mut flow).resume(Some(Box::new(b"1.1.1.1 a\n".to_vec())));
        let running = reducer.borrow_mut(); // as if the reducer were being resumed right now
        let state = Pin::new(&mut flow).resume(Some(Box::new(b"1.1.1.1 b\n".to_vec())));
        assert!(matches!(
            state,
            CoroutineState::Complete(Err(PipelineError::Reentrant))
        ));
        drop(running);
        let CoroutineState::Complete(counts) = Pin::new(&mut *reducer.borrow_mut()).resume(None)
        else {
            panic!("the reducer ignored close");
        };
        assert_eq!(counts.get("1.1.1.1"), 1, "the refused send was not counted");
    }

    /// A DAG with a cycle: this reducer, on each address, sends a line back into a filter that
    /// feeds the reducer itself. That inner send reaches the reducer while it is running.
    #[test]
    fn a_reentrant_send_through_a_cycle_is_caught() {
        type DynReducer = Pin<
            Box<dyn Coroutine<Option<Addr>, Yield = (), Return = Result<Counts, PipelineError>>>,
        >;
        type DynFilter = Pin<
            Box<
                dyn Coroutine<
                        Option<Line>,
                        Yield = Line,
                        Return = Closed<Result<Counts, PipelineError>>,
                    >,
            >,
        >;
        let loop_back: Rc<RefCell<Option<DynFilter>>> = Rc::new(RefCell::new(None));
        let inner_error = Rc::new(Cell::new(false));
        let (back, seen) = (Rc::clone(&loop_back), Rc::clone(&inner_error));
        let cyclic: DynReducer = Box::pin(
            #[coroutine]
            move |mut message: Option<Addr>| {
                let mut counts = Counts::new();
                let mut failure = None;
                while let Some(address) = message {
                    counts.add(&address);
                    let echo = Box::new(format!("{address} echo\n").into_bytes());
                    let state = back
                        .borrow_mut()
                        .as_mut()
                        .map(|filter| filter.as_mut().resume(Some(echo)));
                    if let Some(CoroutineState::Complete(Err(e))) = state {
                        seen.set(matches!(e, PipelineError::Reentrant));
                        failure.get_or_insert(e);
                        back.borrow_mut().take(); // the failed filter is done: break the cycle
                    }
                    message = yield;
                }
                failure.map_or(Ok(counts), Err)
            },
        );
        let reducer = Rc::new(RefCell::new(cyclic));
        *loop_back.borrow_mut() = Some(Box::pin(filter_address(
            "1.1.1.1".into(),
            Rc::clone(&reducer),
        )));
        let flow = broadcast(vec![filter_address("1.1.1.1".into(), reducer)]);
        let result = drive(&b"1.1.1.1 a\n2.2.2.2 b\n"[..], flow);
        assert!(
            inner_error.get(),
            "the re-entrant send was not refused with Reentrant"
        );
        assert!(
            matches!(result, Ok(Some(Err(PipelineError::Reentrant)))),
            "the refusal did not reach the caller: {result:?}"
        );
    }
}
