//! The article's trap-style scheduler with native coroutines: each task is a pinned, boxed
//! `#[coroutine]` closure in a ready queue; a system call is a value the task *yields*, and the
//! answer comes back as the value of the `yield` expression, sent in by `resume`.
//!
//! What the style makes easy: a task is one closure; its state (the locals live across a `yield`)
//! is a compiler-sized object, boxed once when the task is spawned and freed when it ends or is
//! killed; dropping it runs the destructors of those locals, so `KillTask` is just a drop.
//!
//! What it makes hard: only the coroutine's own body may `yield`. A helper such as
//! `get_tid(...)` cannot be an ordinary function (it would have to suspend its caller), so the
//! system calls are wrapped in macros that expand to a `yield` in place (`get_tid!()`), and a
//! helper that traps more than once would have to be a coroutine of its own, driven by a
//! `yield_from!`-style loop. Tasks of different bodies are different types, so the queue holds
//! `Pin<Box<dyn Coroutine>>`: one allocation per task. The `genawaiter` flavour
//! ([`genawaiter`]) gets ordinary `async fn` helpers at the price of a second
//! allocation and an `await` on every yield.
//!
//! The scheduler loop itself is shared with the stackful crate: see [`common::kernel`].
//!
//! ```
//! #![feature(coroutines)]
//! use stackless::scheduler::{Reply, Scheduler, SysCall, Task};
//!
//! let mut sched = Scheduler::new();
//! let con = sched.console();
//! sched.spawn(Task::new(
//!     #[coroutine]
//!     move |_: Reply| {
//!         let tid = (yield Some(SysCall::GetTid)).tid();
//!         con.println(format_args!("hello from task {tid}"));
//!         yield None; // let the others run
//!     },
//! ));
//! let mut out = Vec::new();
//! sched.mainloop(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "hello from task 1\nTask 1 terminated\n");
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod genawaiter;

use std::cell::Cell;
use std::io::{self, Write};
use std::ops::{Coroutine, CoroutineState};
use std::pin::Pin;
use std::rc::Rc;

use common::kernel;
pub use common::kernel::{Console, Reply, SysCall, TaskPanic, Tid, Trap};

/// A scheduler of native-coroutine tasks.
pub type Scheduler = kernel::Scheduler<Task>;

/// What a task yields: `Some(call)` to trap into the scheduler, `None` to let the others run.
pub type Yielded = Option<SysCall<Task>>;

/// A task: a native coroutine, pinned in a box so tasks of any body fit in one queue.
///
/// It is resumed with the [`Reply`] to its last system call, yields `Some(SysCall)` to trap or
/// `None` to let the others run (Python's bare `yield`), and returns `()`.
pub struct Task(Pin<Box<dyn Coroutine<Reply, Yield = Yielded, Return = ()>>>);

impl Task {
    /// Boxes and pins a coroutine as a task.
    pub fn new(body: impl Coroutine<Reply, Yield = Yielded, Return = ()> + 'static) -> Self {
        Task(Box::pin(body))
    }
}

impl kernel::Target for Task {
    fn resume(&mut self, reply: Reply) -> Trap<Self> {
        match self.0.as_mut().resume(reply) {
            CoroutineState::Yielded(None) => Trap::Yield,
            CoroutineState::Yielded(Some(call)) => Trap::Call(call),
            CoroutineState::Complete(()) => Trap::Exit,
        }
    }
}

/// `GetTid`: yields the call in place and evaluates to the caller's id. A macro, because only the
/// coroutine's own body can `yield`.
macro_rules! get_tid {
    () => {
        (yield Some(SysCall::GetTid)).tid()
    };
}

/// `NewTask(task)`: evaluates to the new task's id.
macro_rules! new_task {
    ($task:expr) => {
        (yield Some(SysCall::NewTask($task))).tid()
    };
}

/// `KillTask(tid)`: evaluates to `true` if `tid` was alive.
macro_rules! kill_task {
    ($tid:expr) => {
        (yield Some(SysCall::KillTask($tid))).killed()
    };
}

/// The article's `foo`: learns its id, then prints five steps, yielding after each.
pub fn foo(con: Console) -> Task {
    Task::new(
        #[coroutine]
        move |_: Reply| {
            let tid = get_tid!();
            con.println(format_args!("I'm foo and I am living in {tid} process"));
            for i in 0..5 {
                con.println(format_args!("Foo {tid} is in {i} step"));
                yield None;
            }
        },
    )
}

/// The article's `bar`: learns its id, spawns a `foo`, prints three steps, then kills task 1.
pub fn bar(con: Console) -> Task {
    Task::new(
        #[coroutine]
        move |_: Reply| {
            let tid = get_tid!();
            con.println(format_args!("I'm bar and I'm living in {tid} process"));
            new_task!(foo(con.clone()));
            for i in 0..3 {
                con.println(format_args!("Bar {tid} is in {i} step"));
                yield None;
            }
            kill_task!(1);
        },
    )
}

/// Runs the article's program (`foo` and `bar`) and writes its 19 lines to `out`.
///
/// # Errors
/// An error writing to `out`.
pub fn run(out: &mut impl Write) -> io::Result<()> {
    let mut sched = Scheduler::new();
    let con = sched.console();
    sched.spawn(foo(con.clone()));
    sched.spawn(bar(con));
    sched.mainloop(out)
}

/// One task of the workload: learns its id, then does `steps` steps of trivial work (adds a
/// number unique to this task and step to `sum`), yielding after each.
fn worker(sum: Rc<Cell<u64>>, steps: u64) -> Task {
    Task::new(
        #[coroutine]
        move |_: Reply| {
            let tid = get_tid!();
            let base = (tid - 1) * steps;
            for step in 1..=steps {
                sum.set(sum.get().wrapping_add(base + step));
                yield None;
            }
        },
    )
}

/// The benchmark workload: `tasks` tasks of `steps` steps each, run round-robin by one scheduler.
///
/// Every task does one `GetTid` system call, then `steps` bare yields, then returns: in all
/// `tasks × (steps + 2)` resumes. Task `t` (ids 1..=tasks) adds `(t - 1) × steps + s` at its step
/// `s` (1..=steps), so when all the work was done the result is `n (n + 1) / 2` for
/// `n = tasks × steps` (wrapping on overflow). Nothing is printed.
pub fn run_workload(tasks: usize, steps: usize) -> u64 {
    kernel::run_workload(tasks, steps, worker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::contracts::SCHEDULER;
    use common::demo::assert_prints;

    fn output(run: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        run(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn prints_the_contract() {
        assert_prints(run, SCHEDULER);
    }

    /// Counts its drop and prints it, to see when a killed task's locals are destroyed.
    struct Guard(Rc<Cell<u32>>, Console);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
            self.1.println(format_args!("guard dropped"));
        }
    }

    #[test]
    fn kill_drops_the_target_at_once_and_unknown_ids_answer_false() {
        let drops = Rc::new(Cell::new(0));
        let mut sched = Scheduler::new();
        let con = sched.console();
        let guard = Guard(drops.clone(), con.clone());
        sched.spawn(Task::new(
            #[coroutine]
            move |_: Reply| {
                let _guard = guard; // held across every yield below
                loop {
                    yield None;
                }
            },
        ));
        let con2 = con.clone();
        sched.spawn(Task::new(
            #[coroutine]
            move |_: Reply| {
                con2.println(format_args!("2 kills 1"));
                let killed = kill_task!(1);
                con2.println(format_args!("2 got {killed}"));
                let unknown = kill_task!(99);
                con2.println(format_args!("kill 99: {unknown}"));
            },
        ));
        sched.spawn(Task::new(
            #[coroutine]
            move |_: Reply| {
                // Task 1 is dropped but still queued, as a closed generator in Python: found.
                let killed = kill_task!(1);
                con.println(format_args!("3 got {killed}"));
            },
        ));
        let text = output(|out| sched.mainloop(out));
        assert_eq!(
            text,
            "2 kills 1\nguard dropped\nTask 1 terminated\n2 got true\n3 got true\n\
             Task 3 terminated\nkill 99: false\nTask 2 terminated\n"
        );
        assert_eq!(drops.get(), 1);
    }

    #[test]
    fn a_task_can_kill_itself() {
        let mut sched = Scheduler::new();
        let con = sched.console();
        sched.spawn(Task::new(
            #[coroutine]
            move |_: Reply| {
                let tid = get_tid!();
                con.println(format_args!("killing {tid}"));
                kill_task!(tid);
                con.println(format_args!("never printed"));
            },
        ));
        assert_eq!(
            output(|out| sched.mainloop(out)),
            "killing 1\nTask 1 terminated\n"
        );
    }

    #[test]
    fn a_panicking_task_is_reported_and_the_others_go_on() {
        let drops = Rc::new(Cell::new(0));
        let mut sched = Scheduler::new();
        let con = sched.console();
        let guard = Guard(drops.clone(), con.clone());
        sched.spawn(Task::new(
            #[coroutine]
            move |_: Reply| {
                let _guard = guard;
                yield None;
                panic!("boom in task {}", get_tid!());
            },
        ));
        sched.spawn(Task::new(
            #[coroutine]
            move |_: Reply| {
                for i in 0..3 {
                    con.println(format_args!("step {i}"));
                    yield None;
                }
            },
        ));
        let text = output(|out| sched.mainloop(out));
        assert_eq!(
            text,
            "step 0\nstep 1\nguard dropped\nTask 1 panicked: boom in task 1\nstep 2\n\
             Task 2 terminated\n"
        );
        assert_eq!(
            sched.panics(),
            [TaskPanic {
                tid: 1,
                message: "boom in task 1".to_owned()
            }]
        );
        assert_eq!(drops.get(), 1, "the panic unwound the task's locals");
    }

    #[test]
    fn workload_checksum_counts_every_step() {
        assert_eq!(run_workload(0, 10), 0);
        assert_eq!(run_workload(3, 4), 12 * 13 / 2);
    }

    #[test]
    fn thousand_tasks_of_thousand_steps() {
        let n: u64 = 1000 * 1000;
        assert_eq!(run_workload(1000, 1000), n * (n + 1) / 2);
    }

    #[test]
    fn ten_thousand_tasks_alive_at_once() {
        let n: u64 = 10_000 * 10;
        assert_eq!(run_workload(10_000, 10), n * (n + 1) / 2);
    }
}
