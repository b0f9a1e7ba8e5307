//! The style-independent half of the article's trap-style scheduler: task ids, system calls,
//! replies, the console tasks print to, and the run loop. Written once and shared by both crates.
//!
//! A task is anything that can be resumed with the [`Reply`] to its last system call and runs to
//! its next [`Trap`] (the [`Target`] trait). `stackless::scheduler` implements it for pinned boxed
//! native coroutines and for `genawaiter` generators, `stackful::scheduler` for `corosensei`
//! coroutines; the loop below never knows which. What differs between the styles is therefore only
//! how a task is written and how its state is stored, which is what the demos are about.
//!
//! The loop follows the article's Python line by line, with three documented differences:
//! - task ids start at 1 *per scheduler* (Python counts in a class attribute, across schedulers);
//! - a bare `yield` is answered with [`Reply::Nothing`] (Python re-sends the last `sendval`);
//! - a task that panics is reported (a line `Task N panicked: MESSAGE` on the output and a
//!   [`TaskPanic`] in [`Scheduler::panics`]) and removed, and the others go on (in Python an
//!   exception in one task ends the whole `mainloop`).
//!
//! ```
//! use common::kernel::{Reply, Scheduler, SysCall, Target, Trap};
//!
//! /// A hand-written task: asks for its id, then returns.
//! struct AskOnce(bool);
//! impl Target for AskOnce {
//!     fn resume(&mut self, reply: Reply) -> Trap<Self> {
//!         if self.0 {
//!             assert_eq!(reply, Reply::Tid(1));
//!             Trap::Exit
//!         } else {
//!             self.0 = true;
//!             Trap::Call(SysCall::GetTid)
//!         }
//!     }
//! }
//!
//! let mut sched = Scheduler::new();
//! sched.spawn(AskOnce(false));
//! let mut out = Vec::new();
//! sched.mainloop(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "Task 1 terminated\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

/// A task id, as the article's `Task.id`: 1 for the first task a scheduler spawns, then 2, 3, ...
/// Ids are never reused.
pub type Tid = u64;

/// A system call: what a task yields to trap into the scheduler (the article's `SystemCall`
/// subclasses). `T` is the task type, so that `NewTask` can carry a new task.
///
/// A task yields `Option<SysCall<T>>`: `None` is Python's bare `yield` (let the others run).
#[derive(Debug)]
pub enum SysCall<T> {
    /// Answered with [`Reply::Tid`], the caller's own id.
    GetTid,
    /// Spawns the task (scheduled *before* the caller runs again) and answers its id with
    /// [`Reply::Tid`].
    NewTask(T),
    /// Drops the task with this id at once, so its destructors run; the task stays queued and is
    /// reported `Task N terminated` when its turn comes, as the article's closed generator is.
    /// Answered with [`Reply::Killed`]: `true` if the id was alive, `false` if unknown.
    KillTask(Tid),
}

/// What the scheduler sends back into a task when it resumes it (the article's `sendval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The first resume, and the answer to a bare `yield`.
    Nothing,
    /// The answer to [`SysCall::GetTid`] and [`SysCall::NewTask`].
    Tid(Tid),
    /// The answer to [`SysCall::KillTask`]: whether the id named a live task.
    Killed(bool),
}

impl Reply {
    /// The id in a [`Reply::Tid`].
    ///
    /// # Panics
    /// If the reply is of another kind: the scheduler answers `GetTid` and `NewTask` only with
    /// `Reply::Tid`, so this is a bug in the task or the scheduler, reported as that task's panic.
    pub fn tid(self) -> Tid {
        match self {
            Reply::Tid(tid) => tid,
            other => panic!("expected a task id from the scheduler, got {other:?}"),
        }
    }

    /// The answer in a [`Reply::Killed`].
    ///
    /// # Panics
    /// If the reply is of another kind (see [`Reply::tid`]).
    pub fn killed(self) -> bool {
        match self {
            Reply::Killed(found) => found,
            other => panic!("expected a KillTask answer from the scheduler, got {other:?}"),
        }
    }
}

/// Where a task stopped when the scheduler resumed it.
#[derive(Debug)]
pub enum Trap<T> {
    /// A bare `yield` (the task yielded `None`): it is scheduled again at the back of the queue.
    Yield,
    /// A system call (the task yielded `Some(call)`); the handler reschedules the task.
    Call(SysCall<T>),
    /// The task returned (Python's `StopIteration`).
    Exit,
}

/// A coroutine the scheduler can run: one step per [`Target::resume`].
pub trait Target: Sized {
    /// Resumes the coroutine with the answer to its last system call ([`Reply::Nothing`] on the
    /// first resume) and runs it to its next trap. May panic; the scheduler catches it.
    fn resume(&mut self, reply: Reply) -> Trap<Self>;

    /// Called when a scheduler of this task type has run all its tasks ([`Scheduler::mainloop`]
    /// returned `Ok`): a style may release what its tasks held between runs (the stackful tasks
    /// trim their pool of stacks). Does nothing unless implemented.
    fn run_finished() {}

    /// A hint that the task will be resumed soon: the scheduler calls it for the task two places
    /// behind the one it is about to resume, so a style whose task state is spread over memory
    /// (a stackful task's stack) can start loading it. Does nothing unless implemented.
    fn prefetch(&self) {}
}

/// The output tasks print to, shared between the scheduler and its tasks.
///
/// Tasks must be `'static` (a `corosensei` coroutine requires it, and the native ones are boxed
/// `dyn` objects), so they cannot borrow the caller's writer. Each task holds a clone of this
/// handle instead; the scheduler copies what was printed to its writer after every step, before it
/// writes lines of its own, so the order of lines is exactly the order of the prints.
#[derive(Debug, Clone, Default)]
pub struct Console(Rc<RefCell<String>>);

impl Console {
    /// Prints one line, like Python's `print`: `con.println(format_args!("Foo {tid}"))`.
    ///
    /// # Panics
    /// If a `Display` implementation in `args` returns an error (as `format!` does).
    pub fn println(&self, args: fmt::Arguments<'_>) {
        let mut buf = self.0.borrow_mut();
        if buf.write_fmt(args).is_err() {
            panic!("a formatting trait implementation returned an error");
        }
        buf.push('\n');
    }

    /// Writes everything printed so far to `out` and forgets it.
    fn drain_to(&self, out: &mut impl Write) -> io::Result<()> {
        let mut buf = self.0.borrow_mut();
        if !buf.is_empty() {
            out.write_all(buf.as_bytes())?;
            buf.clear();
        }
        Ok(())
    }
}

/// A task that panicked: its id and the panic message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPanic {
    /// The id of the task that panicked.
    pub tid: Tid,
    /// The panic message (or a placeholder when the payload was not a string).
    pub message: String,
}

/// How many tasks behind the one resumed the scheduler calls [`Target::prefetch`]: far enough
/// that the loads finish before the task runs (a resume takes tens of nanoseconds, a load from
/// memory about a hundred).
const PREFETCH_DISTANCE: usize = 2;

/// The article's `Task`: an id, the coroutine (`target`), and the value to send in next.
struct TaskEntry<T> {
    id: Tid,
    /// `None` once the task was killed: the coroutine was dropped, only the entry is left.
    target: Option<T>,
    sendval: Reply,
}

/// The article's `Scheduler`: a ready queue of tasks run round-robin until none is left.
///
/// Python keeps a `taskmap` beside the queue; here the queue owns the tasks. Every live task is in
/// the queue exactly once (the one running at its front), so the queue *is* the task map:
/// `KillTask` searches it (linear in the number of tasks), and a step costs no hash lookup.
pub struct Scheduler<T> {
    ready: VecDeque<TaskEntry<T>>,
    last_id: Tid,
    console: Console,
    panics: Vec<TaskPanic>,
}

impl<T: Target> Default for Scheduler<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Target> Scheduler<T> {
    /// An empty scheduler with a fresh [`Console`].
    pub fn new() -> Self {
        Scheduler {
            ready: VecDeque::new(),
            last_id: 0,
            console: Console::default(),
            panics: Vec::new(),
        }
    }

    /// A handle on the console tasks print to; clone it into each task.
    pub fn console(&self) -> Console {
        self.console.clone()
    }

    /// Adds a task at the back of the ready queue and returns its id (the article's `new`).
    pub fn spawn(&mut self, target: T) -> Tid {
        self.last_id += 1;
        self.ready.push_back(TaskEntry {
            id: self.last_id,
            target: Some(target),
            sendval: Reply::Nothing,
        });
        self.last_id
    }

    /// The tasks that panicked so far, in order.
    pub fn panics(&self) -> &[TaskPanic] {
        &self.panics
    }

    /// Runs tasks until none is left (the article's `mainloop`), writing what they print, and the
    /// scheduler's own `Task N terminated` / `Task N panicked: ...` lines, to `out`.
    ///
    /// The task to run is the front of the ready queue: it is resumed where it lies, and moved
    /// only to go to the back of the queue (a bare `yield`, a system call) or to leave it.
    ///
    /// # Errors
    /// The first error writing to `out`; the task that was running is dropped, the others stay
    /// queued.
    pub fn mainloop(&mut self, out: &mut impl Write) -> io::Result<()> {
        loop {
            if let Some(soon) = self.ready.get(PREFETCH_DISTANCE)
                && let Some(target) = soon.target.as_ref()
            {
                target.prefetch();
            }
            let Some(task) = self.ready.front_mut() else {
                break;
            };
            let id = task.id;
            let Some(target) = task.target.as_mut() else {
                // Killed: Python's `close()` makes the next `send` raise `StopIteration`.
                self.ready.pop_front();
                Self::exit(id, out)?;
                continue;
            };
            let reply = std::mem::replace(&mut task.sendval, Reply::Nothing);
            // `AssertUnwindSafe`: a task that panics is dropped below and never resumed again, so
            // no broken invariant of its own can be observed; the scheduler's state is not touched
            // inside the closure.
            let trap = catch_unwind(AssertUnwindSafe(|| target.resume(reply)));
            if let Err(e) = self.console.drain_to(out) {
                self.ready.pop_front();
                return Err(e);
            }
            match trap {
                Ok(Trap::Yield) => self.requeue(Reply::Nothing),
                Ok(Trap::Call(call)) => self.handle(id, call),
                Ok(Trap::Exit) => {
                    self.ready.pop_front();
                    Self::exit(id, out)?;
                }
                Err(payload) => {
                    let message = panic_message(payload.as_ref());
                    writeln!(out, "Task {id} panicked: {message}")?;
                    self.panics.push(TaskPanic { tid: id, message });
                    self.ready.pop_front();
                }
            }
            // Destructors run by `KillTask` may have printed.
            self.console.drain_to(out)?;
        }
        T::run_finished();
        Ok(())
    }

    /// The article's `exit`.
    fn exit(id: Tid, out: &mut impl Write) -> io::Result<()> {
        writeln!(out, "Task {id} terminated")
    }

    /// Moves the task at the front of the queue (the one that just ran) to the back, with
    /// `reply` to send it when it runs again.
    fn requeue(&mut self, reply: Reply) {
        if let Some(mut task) = self.ready.pop_front() {
            task.sendval = reply;
            self.ready.push_back(task);
        }
    }

    /// The system call handlers (the article's `handle` methods) for a call of `caller`, the task
    /// at the front of the queue. Each reschedules the caller.
    fn handle(&mut self, caller: Tid, call: SysCall<T>) {
        let reply = match call {
            SysCall::GetTid => Reply::Tid(caller),
            SysCall::NewTask(target) => Reply::Tid(self.spawn(target)),
            SysCall::KillTask(tid) => {
                // The caller is still in the queue (at its front), so a task can kill itself.
                let victim = self.ready.iter_mut().find(|t| t.id == tid);
                Reply::Killed(match victim {
                    Some(victim) => {
                        // Dropping the coroutine runs the destructors of what it holds. If one of
                        // them panics, the panic leaves `mainloop`, as an exception raised in a
                        // generator's `close()` leaves the article's.
                        victim.target = None;
                        true
                    }
                    None => false,
                })
            }
        };
        self.requeue(reply);
    }
}

/// Runs a benchmark workload: spawns `tasks` tasks made by `worker(sum, steps)`, all sharing the
/// counter `sum`, runs them to the end with output discarded, and returns the final `sum`. Each
/// style's `run_workload` passes its own `worker`.
pub fn run_workload<T: Target>(
    tasks: usize,
    steps: usize,
    worker: impl Fn(Rc<Cell<u64>>, u64) -> T,
) -> u64 {
    let sum = Rc::new(Cell::new(0));
    let mut sched = Scheduler::new();
    for _ in 0..tasks {
        sched.spawn(worker(sum.clone(), steps as u64));
    }
    // `io::Sink` accepts every write.
    let written = sched.mainloop(&mut io::sink());
    debug_assert!(written.is_ok());
    sum.get()
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<panic payload that is not a string>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task written by hand as a list of traps, to test the loop without any coroutine.
    struct Script(
        VecDeque<Trap<Script>>,
        Vec<Reply>,
        Rc<RefCell<Vec<Vec<Reply>>>>,
    );

    impl Drop for Script {
        fn drop(&mut self) {
            self.2.borrow_mut().push(std::mem::take(&mut self.1));
        }
    }

    impl Target for Script {
        fn resume(&mut self, reply: Reply) -> Trap<Self> {
            self.1.push(reply);
            self.0.pop_front().unwrap_or(Trap::Exit)
        }
    }

    #[test]
    fn replies_and_order() -> io::Result<()> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let script = |traps: Vec<Trap<Script>>| Script(traps.into(), Vec::new(), seen.clone());
        let mut sched = Scheduler::new();
        let child = script(vec![]);
        sched.spawn(script(vec![
            Trap::Call(SysCall::GetTid),
            Trap::Call(SysCall::NewTask(child)),
            Trap::Yield,
            Trap::Call(SysCall::KillTask(42)),
            Trap::Call(SysCall::KillTask(1)),
            Trap::Yield,
        ]));
        let mut out = Vec::new();
        sched.mainloop(&mut out)?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            "Task 2 terminated\nTask 1 terminated\n"
        );
        // The child ran once and was dropped first; the parent was dropped by its own KillTask,
        // before the trap after it could run.
        assert_eq!(
            *seen.borrow(),
            vec![
                vec![Reply::Nothing],
                vec![
                    Reply::Nothing,
                    Reply::Tid(1),
                    Reply::Tid(2),
                    Reply::Nothing,
                    Reply::Killed(false),
                ],
            ]
        );
        Ok(())
    }

    #[test]
    fn a_failing_writer_stops_the_loop_with_its_error() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::other("disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let seen = Rc::new(RefCell::new(Vec::new()));
        let mut sched = Scheduler::new();
        sched.spawn(Script(VecDeque::new(), Vec::new(), seen));
        let err = sched.mainloop(&mut Full).expect_err("the write fails");
        assert_eq!(err.to_string(), "disk full");
    }
}
