//! The scheduler demo in the `genawaiter` flavour: each task is an `async` block driven as a
//! generator (`genawaiter::rc::Gen`), which works on stable Rust.
//!
//! What the style makes easy: `co.yield_(call).await` may sit in any `async fn`, so the system
//! calls are ordinary helper functions (`get_tid(&co).await`), not macros, and a helper may trap
//! as many times as it likes.
//!
//! What it makes hard, or costly: every suspension point must be an `.await` on the one `Co`
//! handle (a forgotten `.await` is caught only by the `unused_must_use` lint, which this workspace
//! denies, and by a run-time check in debug builds). The task state is a future behind a pinned
//! box, inside a generator that keeps its own shared (`Rc`) airlock for the values passed in and
//! out, so a task costs more allocations than a native coroutine, and every resume goes through
//! `Future::poll`.
//!
//! ```
//! use stackless::scheduler::genawaiter::{Scheduler, Task, get_tid};
//!
//! let mut sched = Scheduler::new();
//! let con = sched.console();
//! sched.spawn(Task::new(|co| async move {
//!     let tid = get_tid(&co).await;
//!     con.println(format_args!("hello from task {tid}"));
//!     co.yield_(None).await; // let the others run
//! }));
//! let mut out = Vec::new();
//! sched.mainloop(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "hello from task 1\nTask 1 terminated\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::cell::Cell;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::rc::Rc;

use ::genawaiter::GeneratorState;
use ::genawaiter::rc::Gen;

use common::kernel::{self, Console, Reply, SysCall, Tid, Trap};

/// A scheduler of `genawaiter` tasks.
pub type Scheduler = kernel::Scheduler<Task>;

/// What a task yields: `Some(call)` to trap into the scheduler, `None` to let the others run.
pub type Yielded = Option<SysCall<Task>>;

/// The handle a task body yields through.
pub type Co = ::genawaiter::rc::Co<Yielded, Reply>;

/// A task body once boxed: tasks of any body share one type.
type Body = Pin<Box<dyn Future<Output = ()>>>;

/// A task: a generator around a boxed `async` body. It yields `Some(SysCall)` to trap or `None`
/// to let the others run, and receives the [`Reply`] as the value of `co.yield_(..).await`.
pub struct Task(Gen<Yielded, Reply, Body>);

impl Task {
    /// Makes a task from a producer: a function given the task's [`Co`] that returns its body.
    pub fn new<F>(producer: impl FnOnce(Co) -> F) -> Self
    where
        F: Future<Output = ()> + 'static,
    {
        Task(Gen::new(|co| Box::pin(producer(co)) as Body))
    }
}

impl kernel::Target for Task {
    fn resume(&mut self, reply: Reply) -> Trap<Self> {
        match self.0.resume_with(reply) {
            GeneratorState::Yielded(None) => Trap::Yield,
            GeneratorState::Yielded(Some(call)) => Trap::Call(call),
            GeneratorState::Complete(()) => Trap::Exit,
        }
    }
}

/// `GetTid`: the caller's id.
pub async fn get_tid(co: &Co) -> Tid {
    co.yield_(Some(SysCall::GetTid)).await.tid()
}

/// `NewTask(task)`: the new task's id.
pub async fn new_task(co: &Co, task: Task) -> Tid {
    co.yield_(Some(SysCall::NewTask(task))).await.tid()
}

/// `KillTask(tid)`: `true` if `tid` was alive.
pub async fn kill_task(co: &Co, tid: Tid) -> bool {
    co.yield_(Some(SysCall::KillTask(tid))).await.killed()
}

/// The article's `foo`: learns its id, then prints five steps, yielding after each.
pub fn foo(con: Console) -> Task {
    Task::new(|co| async move {
        let tid = get_tid(&co).await;
        con.println(format_args!("I'm foo and I am living in {tid} process"));
        for i in 0..5 {
            con.println(format_args!("Foo {tid} is in {i} step"));
            co.yield_(None).await;
        }
    })
}

/// The article's `bar`: learns its id, spawns a `foo`, prints three steps, then kills task 1.
pub fn bar(con: Console) -> Task {
    Task::new(|co| async move {
        let tid = get_tid(&co).await;
        con.println(format_args!("I'm bar and I'm living in {tid} process"));
        new_task(&co, foo(con.clone())).await;
        for i in 0..3 {
            con.println(format_args!("Bar {tid} is in {i} step"));
            co.yield_(None).await;
        }
        kill_task(&co, 1).await;
    })
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

/// One task of the workload (see [`super::run_workload`]).
fn worker(sum: Rc<Cell<u64>>, steps: u64) -> Task {
    Task::new(move |co| async move {
        let tid = get_tid(&co).await;
        let base = (tid - 1) * steps;
        for step in 1..=steps {
            sum.set(sum.get().wrapping_add(base + step));
            co.yield_(None).await;
        }
    })
}

/// [`super::run_workload`] with `genawaiter` tasks: the same work, the same result.
pub fn run_workload(tasks: usize, steps: usize) -> u64 {
    kernel::run_workload(tasks, steps, worker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::contracts::SCHEDULER;
    use common::demo::assert_prints;

    #[test]
    fn prints_the_contract() {
        assert_prints(run, SCHEDULER);
    }

    struct Guard(Rc<Cell<u32>>);

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn kill_drops_the_suspended_body() -> io::Result<()> {
        let drops = Rc::new(Cell::new(0));
        let mut sched = Scheduler::new();
        let con = sched.console();
        let guard = Guard(drops.clone());
        sched.spawn(Task::new(|co| async move {
            let _guard = guard; // held across every yield below
            loop {
                co.yield_(None).await;
            }
        }));
        let counter = drops.clone();
        sched.spawn(Task::new(|co| async move {
            let killed = kill_task(&co, 1).await;
            con.println(format_args!("killed {killed}, drops {}", counter.get()));
            let unknown = kill_task(&co, 99).await;
            con.println(format_args!("kill 99: {unknown}"));
        }));
        let mut out = Vec::new();
        sched.mainloop(&mut out)?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            "Task 1 terminated\nkilled true, drops 1\nkill 99: false\nTask 2 terminated\n"
        );
        assert_eq!(drops.get(), 1);
        Ok(())
    }

    #[test]
    fn a_panicking_task_is_reported_and_the_others_go_on() -> io::Result<()> {
        let mut sched = Scheduler::new();
        let con = sched.console();
        sched.spawn(Task::new(|co| async move {
            co.yield_(None).await;
            panic!("boom");
        }));
        sched.spawn(Task::new(|co| async move {
            for i in 0..2 {
                con.println(format_args!("step {i}"));
                co.yield_(None).await;
            }
        }));
        let mut out = Vec::new();
        sched.mainloop(&mut out)?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            "step 0\nTask 1 panicked: boom\nstep 1\nTask 2 terminated\n"
        );
        assert_eq!(sched.panics().len(), 1);
        Ok(())
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
}
