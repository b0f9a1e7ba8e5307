//! The article's log-analysis pipeline with stackful coroutines (`corosensei`): `broadcast` sends
//! each line to several `filter_address` stages, which all feed one shared `reduce` stage.
//!
//! What the style makes easy: a stage is an ordinary closure that calls `yielder.suspend(..)`
//! wherever it wants a value, from any depth of function calls, and its stack keeps its state (the
//! counts, the address). What it makes hard: every stage owns a stack of its own (mapped memory),
//! every send is a stack switch (saving and restoring registers), and the resume type is
//! one type for the coroutine's whole life, so a stage cannot take a fresh borrow of the reader's
//! buffer each time: the buffer itself is lent and handed back through `suspend`, as in the
//! stackless crate. The shared reducer, the article's "DAG" hazard, needs the same shared
//! ownership with a run-time borrow check (`Rc<RefCell<_>>`): a re-entrant send is refused with
//! [`PipelineError::Reentrant`], not a crash.
//!
//! The protocol, as in the article: resuming with `Some(value)` is `send(value)`, resuming with
//! `None` is `close()` (the article's `GeneratorExit`). A line stage yields the line back and, when
//! closed, closes its targets and returns what the last of them returned; the reducer returns its
//! counts as the coroutine's return value, not through a global.
//!
//! Every stage runs on a [`STAGE_STACK_SIZE`](stage::STAGE_STACK_SIZE) stack from this thread's pool
//! of stage stacks ([`crate::stacks::stage`]), not on
//! `corosensei`'s default 1 MiB stack: a filter per address costs one 20 KiB span of address space
//! and the page or two it touches, and the pool's chunks are single mappings, so any number of
//! addresses that fits in memory works (50,000 filters: about 1 GiB of address space, some 200 MiB
//! resident). A stack that cannot be mapped is an error ([`PipelineError::NoStack`]), not a panic.

use std::cell::RefCell;
use std::io::BufRead;
use std::rc::Rc;

use corosensei::{Coroutine, CoroutineResult, Yielder};

use crate::stacks::CoroutineStack;
use crate::stacks::stage::{self, with_stage_stacks};

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

/// A pipeline stage: a stackful coroutine resumed with `Some(item)` (send) or `None` (close), on a
/// stack from this thread's pool of stage stacks.
pub type Stage<I, Y, R> = Coroutine<Option<I>, Y, R, CoroutineStack>;

/// A stack for a new stage, from this thread's pool of stage stacks.
fn stage_stack() -> Result<CoroutineStack, PipelineError> {
    stage::stage_stack().map_err(PipelineError::NoStack)
}

/// The `reduce` stage: counts each address it is sent and, once closed (resumed with `None`),
/// returns the counts.
///
/// ```
/// use corosensei::CoroutineResult;
/// let mut reducer = stackful::pipeline::reduce()?;
/// let _ = reducer.resume(Some("10.0.0.1".into()));
/// let CoroutineResult::Return(counts) = reducer.resume(None) else { panic!() };
/// assert_eq!(counts.get("10.0.0.1"), 1);
/// # Ok::<(), stackful::pipeline::PipelineError>(())
/// ```
///
/// # Errors
/// [`PipelineError::NoStack`] if no stack can be mapped for it.
pub fn reduce() -> Result<Stage<Addr, (), Counts>, PipelineError> {
    Ok(Coroutine::with_stack(
        stage_stack()?,
        |yielder: &Yielder<Option<Addr>, ()>, mut message: Option<Addr>| {
            let mut counts = Counts::new();
            while let Some(address) = message {
                counts.add(&address);
                message = yielder.suspend(());
            }
            counts
        },
    ))
}

/// The article's `map_`: passes `address` on to the shared `next` stage for each line whose first
/// field is exactly `address`, and yields every line back. Closed, it lets go of `next`; if it was the
/// last owner, it closes `next` and returns its result.
///
/// # Errors
/// [`PipelineError::NoStack`] if no stack can be mapped for it.
pub fn filter_address<R: 'static>(
    address: Addr,
    next: Shared<Stage<Addr, (), R>>,
) -> Result<Stage<Line, Line, Closed<R>>, PipelineError> {
    Ok(Coroutine::with_stack(
        stage_stack()?,
        move |yielder: &Yielder<Option<Line>, Line>, mut message: Option<Line>| {
            while let Some(line) = message {
                if is_from(&line, &address) {
                    // The DAG hazard: if `next` is being resumed right now (we were reached from inside
                    // it), this borrow fails and the send is refused, not run re-entrantly.
                    let Ok(mut stage) = next.try_borrow_mut() else {
                        return Err(PipelineError::Reentrant);
                    };
                    if let CoroutineResult::Return(_) = stage.resume(Some(Rc::clone(&address))) {
                        return Err(PipelineError::StageEnded);
                    }
                }
                message = yielder.suspend(line);
            }
            close_shared(next)
        },
    ))
}

/// Lets go of a shared stage; the last owner closes it and returns its result.
fn close_shared<T, R>(stage: Shared<Stage<T, (), R>>) -> Closed<R> {
    let Ok(cell) = Rc::try_unwrap(stage) else {
        return Ok(None); // another stage still feeds it and will close it
    };
    match cell.into_inner().resume(None) {
        CoroutineResult::Return(result) => Ok(Some(result)),
        CoroutineResult::Yield(()) => Err(PipelineError::StageEnded),
    }
}

/// The article's `broadcast`: sends each line to every target in turn and yields it back. Closed, it
/// closes every target and returns the downstream result the last of them handed back.
///
/// # Errors
/// [`PipelineError::NoStack`] if no stack can be mapped for it.
pub fn broadcast<R: 'static>(
    mut targets: Vec<Stage<Line, Line, Closed<R>>>,
) -> Result<Stage<Line, Line, Closed<R>>, PipelineError> {
    Ok(Coroutine::with_stack(
        stage_stack()?,
        move |yielder: &Yielder<Option<Line>, Line>, mut message: Option<Line>| {
            while let Some(mut line) = message {
                for target in targets.iter_mut() {
                    match target.resume(Some(line)) {
                        CoroutineResult::Yield(back) => line = back,
                        CoroutineResult::Return(Err(error)) => return Err(error),
                        CoroutineResult::Return(Ok(_)) => return Err(PipelineError::StageEnded),
                    }
                }
                message = yielder.suspend(line);
            }
            let mut result = None;
            for mut target in targets {
                match target.resume(None) {
                    CoroutineResult::Return(Ok(Some(r))) => result = Some(r),
                    CoroutineResult::Return(Ok(None)) => {}
                    CoroutineResult::Return(Err(error)) => return Err(error),
                    CoroutineResult::Yield(_) => return Err(PipelineError::StageEnded),
                }
            }
            Ok(result)
        },
    ))
}

/// Feeds every line of `reader` into `flow`, then closes it and returns its result: the source.
pub fn drive<R, T>(reader: R, mut flow: Stage<Line, Line, Closed<T>>) -> Closed<T>
where
    R: BufRead,
{
    stream_lines(reader, |line| match flow.resume(Some(line)) {
        CoroutineResult::Yield(line) => Ok(line),
        CoroutineResult::Return(result) => Err(result.err().unwrap_or(PipelineError::StageEnded)),
    })?;
    match flow.resume(None) {
        CoroutineResult::Return(result) => result,
        CoroutineResult::Yield(_) => Err(PipelineError::StageEnded),
    }
}

/// Counts the requests from each address in `reader`: the article's flow
/// `broadcast([filter_address(ip, reducer) for ip in addresses])`, fed line by line, then closed.
///
/// ```
/// let log = b"10.0.0.1 a\n10.0.0.10 b\n10.0.0.1 c\n";
/// let counts = stackful::pipeline::count(&log[..], &["10.0.0.1", "10.0.0.10"])?;
/// assert_eq!((counts.get("10.0.0.1"), counts.get("10.0.0.10")), (2, 1));
/// # Ok::<(), common::logdata::PipelineError>(())
/// ```
///
/// The stages' stacks go back to this thread's pool when the count ends, and the pool is
/// trimmed ([`StackPool::trim`](crate::stacks::StackPool::trim)): a count that needed fewer
/// stages than the one before halves what the pool kept.
pub fn count<R: BufRead>(reader: R, addresses: &[&str]) -> Result<Counts, PipelineError> {
    let counts = count_on_stage_stacks(reader, addresses);
    with_stage_stacks(|pool| pool.trim())?;
    counts
}

fn count_on_stage_stacks<R: BufRead>(
    reader: R,
    addresses: &[&str],
) -> Result<Counts, PipelineError> {
    let reducer = Rc::new(RefCell::new(reduce()?));
    let filters = distinct(addresses)
        .into_iter()
        .map(|address| filter_address(address.into(), Rc::clone(&reducer)))
        .collect::<Result<_, _>>()?;
    drop(reducer); // the filters own it now; the last one to close it gets the counts
    Ok(drive(reader, broadcast(filters)?)?.unwrap_or_default())
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
        let reducer = Rc::new(RefCell::new(reduce().unwrap()));
        let filters = vec![
            filter_address("1.1.1.1".into(), Rc::clone(&reducer)).unwrap(),
            filter_address("2.2.2.2".into(), Rc::clone(&reducer)).unwrap(),
        ];
        let weak = Rc::downgrade(&reducer);
        drop(reducer);
        let mut flow = broadcast(filters).unwrap();
        for line in [&b"1.1.1.1 a\n"[..], b"2.2.2.2 b\n", b"1.1.1.1 c\n"] {
            let back = flow.resume(Some(Box::new(line.to_vec())));
            assert!(matches!(back, CoroutineResult::Yield(ref l) if l.as_slice() == line));
        }
        assert_eq!(weak.strong_count(), 2, "each filter owns the reducer");
        let CoroutineResult::Return(Ok(Some(counts))) = flow.resume(None) else {
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
        let reducer = Rc::new(RefCell::new(reduce().unwrap()));
        let mut flow = broadcast(vec![
            filter_address("1.1.1.1".into(), Rc::clone(&reducer)).unwrap(),
        ])
        .unwrap();
        let _ = flow.resume(Some(Box::new(b"1.1.1.1 a\n".to_vec())));
        let running = reducer.borrow_mut(); // as if the reducer were being resumed right now
        let state = flow.resume(Some(Box::new(b"1.1.1.1 b\n".to_vec())));
        assert!(matches!(
            state,
            CoroutineResult::Return(Err(PipelineError::Reentrant))
        ));
        drop(running);
        let CoroutineResult::Return(counts) = reducer.borrow_mut().resume(None) else {
            panic!("the reducer ignored close");
        };
        assert_eq!(counts.get("1.1.1.1"), 1, "the refused send was not counted");
    }

    /// A DAG with a cycle: this reducer, on each address, sends a line back into a filter that
    /// feeds the reducer itself. That inner send reaches the reducer while it is running.
    #[test]
    fn a_reentrant_send_through_a_cycle_is_caught() {
        type Outcome = Result<Counts, PipelineError>;
        type LoopBack = Rc<RefCell<Option<Stage<Line, Line, Closed<Outcome>>>>>;
        let loop_back: LoopBack = Rc::new(RefCell::new(None));
        let inner_error = Rc::new(Cell::new(false));
        let (back, seen) = (Rc::clone(&loop_back), Rc::clone(&inner_error));
        let cyclic: Stage<Addr, (), Outcome> = Coroutine::with_stack(
            stage_stack().unwrap(),
            move |yielder: &Yielder<Option<Addr>, ()>, mut message: Option<Addr>| {
                let mut counts = Counts::new();
                let mut failure = None;
                while let Some(address) = message {
                    counts.add(&address);
                    let echo = Box::new(format!("{address} echo\n").into_bytes());
                    let state = back
                        .borrow_mut()
                        .as_mut()
                        .map(|filter| filter.resume(Some(echo)));
                    if let Some(CoroutineResult::Return(Err(e))) = state {
                        seen.set(matches!(e, PipelineError::Reentrant));
                        failure.get_or_insert(e);
                        back.borrow_mut().take(); // the failed filter is done: break the cycle
                    }
                    message = yielder.suspend(());
                }
                failure.map_or(Ok(counts), Err)
            },
        );
        let reducer = Rc::new(RefCell::new(cyclic));
        *loop_back.borrow_mut() =
            Some(filter_address("1.1.1.1".into(), Rc::clone(&reducer)).unwrap());
        let flow = broadcast(vec![filter_address("1.1.1.1".into(), reducer).unwrap()]).unwrap();
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
