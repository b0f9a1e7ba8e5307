//! Panics and drops in stackful coroutines: a panic inside a coroutine reaches the caller of
//! `resume`; dropping (or recycling) a suspended coroutine unwinds its stack, so the destructors
//! of every frame on it run, innermost first; nothing runs twice and nothing leaks.
//!
//! `leak_probe` is the opposite case, for `scripts/asan.sh`: it forgets a suspended coroutine so
//! that LeakSanitizer has a leak to find, which shows that the sanitizer run can fail.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use corosensei::{Coroutine, CoroutineResult, Yielder};
use stackful::stacks::{CoroutineStack, SMALL_STACK_SIZE, StackPool};

/// Records its name in a shared log when dropped.
struct Noisy {
    name: &'static str,
    log: Rc<RefCell<Vec<&'static str>>>,
}

impl Drop for Noisy {
    fn drop(&mut self) {
        self.log.borrow_mut().push(self.name);
    }
}

type Log = Rc<RefCell<Vec<&'static str>>>;

fn noisy(name: &'static str, log: &Log) -> Noisy {
    Noisy {
        name,
        log: Rc::clone(log),
    }
}

/// Three frames, each with a value that needs dropping (one of them on the heap), suspending
/// from the innermost. `after` is set if execution ever continues past the suspension.
fn outer(y: &Yielder<(), u32>, log: &Log, after: &Cell<bool>) {
    let _a = noisy("outer", log);
    middle(y, log, after);
}

fn middle(y: &Yielder<(), u32>, log: &Log, after: &Cell<bool>) {
    let _b = Box::new(noisy("middle (boxed)", log));
    let _big = vec![0_u8; 1 << 20]; // a heap block only this frame owns: LeakSanitizer would see it
    inner(y, log, after);
}

fn inner(y: &Yielder<(), u32>, log: &Log, after: &Cell<bool>) {
    let _c = noisy("inner", log);
    y.suspend(1);
    after.set(true);
    y.suspend(2);
}

/// The coroutine type of these tests.
type Suspended = Coroutine<(), u32, (), CoroutineStack>;

/// A coroutine suspended three frames deep, with its log and its "ran on" flag.
fn suspended_three_deep(pool: Option<&mut StackPool>) -> (Suspended, Log, Rc<Cell<bool>>) {
    let log: Log = Rc::default();
    let after = Rc::new(Cell::new(false));
    let (l, a) = (Rc::clone(&log), Rc::clone(&after));
    let body = move |y: &Yielder<(), u32>, ()| outer(y, &l, &a);
    let mut co = match pool {
        Some(pool) => pool.coroutine(body).expect("a stack from the pool"),
        None => Coroutine::with_stack(
            CoroutineStack::new(SMALL_STACK_SIZE).expect("a fresh stack"),
            body,
        ),
    };
    assert_eq!(co.resume(()), CoroutineResult::Yield(1));
    assert!(log.borrow().is_empty(), "nothing dropped while suspended");
    (co, log, after)
}

#[test]
fn dropping_a_suspended_coroutine_runs_every_frames_destructors_innermost_first() {
    let (co, log, after) = suspended_three_deep(None);
    drop(co);
    assert_eq!(*log.borrow(), ["inner", "middle (boxed)", "outer"]);
    assert!(
        !after.get(),
        "the forced unwind must not run the code after `suspend`"
    );
    // The closure's captured Rcs were dropped too: we hold the only references left.
    assert_eq!(Rc::strong_count(&log), 1);
    assert_eq!(Rc::strong_count(&after), 1);
}

#[test]
fn recycling_a_suspended_coroutine_runs_the_destructors_and_keeps_the_stack() {
    let mut pool = StackPool::new(SMALL_STACK_SIZE);
    let (co, log, after) = suspended_three_deep(Some(&mut pool));
    pool.recycle(co);
    assert_eq!(*log.borrow(), ["inner", "middle (boxed)", "outer"]);
    assert!(!after.get());
    assert_eq!(Rc::strong_count(&log), 1);
    assert_eq!((pool.stacks_allocated(), pool.idle()), (1, 1));
    // The recovered stack serves the next coroutine.
    let (co, log, _) = suspended_three_deep(Some(&mut pool));
    drop(co);
    assert_eq!(log.borrow().len(), 3);
    assert_eq!(pool.stacks_allocated(), 1);
}

#[test]
fn force_unwind_leaves_a_finished_coroutine() {
    let (mut co, log, _) = suspended_three_deep(None);
    co.force_unwind();
    assert!(co.done());
    assert_eq!(log.borrow().len(), 3);
    drop(co); // finished: dropping it runs nothing a second time
    assert_eq!(log.borrow().len(), 3);
}

#[test]
fn a_coroutine_run_to_completion_drops_everything_once() {
    let (mut co, log, after) = suspended_three_deep(None);
    assert_eq!(co.resume(()), CoroutineResult::Yield(2));
    assert!(after.get());
    assert_eq!(co.resume(()), CoroutineResult::Return(()));
    assert_eq!(log.borrow().len(), 3);
    drop(co);
    assert_eq!(*log.borrow(), ["inner", "middle (boxed)", "outer"]);
}

#[test]
fn dropping_a_coroutine_that_never_started_drops_its_closure() {
    let log: Log = Rc::default();
    let captured = noisy("captured", &log);
    let co: Coroutine<(), (), ()> = Coroutine::with_stack(
        corosensei::stack::DefaultStack::new(SMALL_STACK_SIZE).expect("a fresh stack"),
        move |_, ()| drop(captured),
    );
    assert!(!co.started());
    drop(co);
    assert_eq!(*log.borrow(), ["captured"]);
}

fn panics_two_frames_down(y: &Yielder<(), ()>, log: &Log) {
    let _guard = noisy("frame of the panic", log);
    y.suspend(());
    let value: Option<u32> = None;
    panic!("coroutine failed: {:?}", value);
}

#[test]
fn a_panic_inside_a_coroutine_reaches_the_caller_of_resume() {
    let mut pool = StackPool::new(SMALL_STACK_SIZE);
    let log: Log = Rc::default();
    let l = Rc::clone(&log);
    let mut co = pool
        .coroutine(move |y: &Yielder<(), ()>, ()| {
            let _root = noisy("root frame", &l);
            panics_two_frames_down(y, &l);
        })
        .expect("a stack from the pool");
    assert_eq!(co.resume(()), CoroutineResult::Yield(()));
    let caught = panic::catch_unwind(AssertUnwindSafe(|| co.resume(())));
    let payload = caught.expect_err("the coroutine's panic must reach resume's caller");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .expect("a formatted panic message");
    assert_eq!(message, "coroutine failed: None");
    // The panic unwound the coroutine's frames on its way out, and the coroutine is finished.
    assert_eq!(*log.borrow(), ["frame of the panic", "root frame"]);
    assert!(co.done());
    // A finished-by-panic coroutine gives its stack back like any finished one.
    pool.recycle(co);
    assert_eq!((pool.stacks_allocated(), pool.idle()), (1, 1));
}

#[test]
fn a_panic_payload_that_is_not_a_string_comes_through_unchanged() {
    #[derive(Debug, PartialEq)]
    struct Custom(u32);
    let mut co: Coroutine<(), (), ()> = Coroutine::with_stack(
        corosensei::stack::DefaultStack::new(SMALL_STACK_SIZE).expect("a fresh stack"),
        |_, ()| panic::panic_any(Custom(7)),
    );
    let payload = panic::catch_unwind(AssertUnwindSafe(|| co.resume(())))
        .expect_err("the payload must come through");
    assert_eq!(payload.downcast_ref::<Custom>(), Some(&Custom(7)));
}

#[test]
fn a_coroutine_that_catches_the_forced_unwind_still_ends() {
    // `catch_unwind` around `suspend` sees corosensei's forced-unwind payload; if the coroutine
    // swallows it and returns, dropping still completes and the destructors still run.
    let log: Log = Rc::default();
    let l = Rc::clone(&log);
    let mut co: Coroutine<(), (), ()> = Coroutine::with_stack(
        corosensei::stack::DefaultStack::new(SMALL_STACK_SIZE).expect("a fresh stack"),
        move |y, ()| {
            let _outer = noisy("outside catch_unwind", &l);
            let caught = panic::catch_unwind(AssertUnwindSafe(|| {
                let _inner = noisy("inside catch_unwind", &l);
                y.suspend(());
            }));
            l.borrow_mut().push(if caught.is_err() {
                "caught the unwind"
            } else {
                "resumed"
            });
        },
    );
    assert_eq!(co.resume(()), CoroutineResult::Yield(()));
    drop(co);
    assert_eq!(
        *log.borrow(),
        [
            "inside catch_unwind",
            "caught the unwind",
            "outside catch_unwind"
        ]
    );
}

#[test]
fn leak_probe() {
    // Only for scripts/asan.sh, which runs it with STACKFUL_LEAK_PROBE=1 and expects
    // LeakSanitizer to report the 1 MiB block below: a forgotten suspended coroutine is never
    // unwound. In a normal run this test does nothing.
    if std::env::var_os("STACKFUL_LEAK_PROBE").is_none() {
        return;
    }
    let (co, _log, _after) = suspended_three_deep(None);
    std::mem::forget(co);
}
