//! The article's trap-style scheduler with stackful coroutines: each task is a `corosensei`
//! coroutine with a stack of its own in a ready queue; a system call is a value the task passes to
//! `Yielder::suspend`, and the answer comes back as the value `suspend` returns, sent in by
//! `resume`.
//!
//! What the style makes easy: `suspend` may be called from any depth of ordinary function calls,
//! so the system calls are plain functions (`get_tid(y)`), and so could be any helper that traps
//! many times; tasks of any body are one type (`Coroutine<Reply, ..>`), no trait object needed.
//! Dropping a suspended task unwinds its stack, so `KillTask` runs the destructors of everything
//! the task holds, at every depth.
//!
//! What it makes hard, or costly: every task owns a whole stack while it lives
//! ([`TASK_STACK_SIZE`] of address space plus a guard page, of which only the touched pages use
//! memory); the size is fixed up front, and a task that recurses past it hits the guard page and
//! kills the process. Bodies must be `'static`.
//!
//! Mapping a stack costs system calls (`mmap`, `mprotect`, later `munmap`), so tasks take their
//! stacks from a per-thread pool ([`stacks::pool`](crate::stacks::pool)) and give them back when
//! they end.
//!
//! The scheduler loop itself is shared with the stackless crate: see
//! [`common::kernel`].
//!
//! ```
//! use stackful::scheduler::{Scheduler, SysCall, Task};
//!
//! let mut sched = Scheduler::new();
//! let con = sched.console();
//! sched.spawn(Task::new(move |y, _| {
//!     let tid = y.suspend(Some(SysCall::GetTid)).tid();
//!     con.println(format_args!("hello from task {tid}"));
//!     y.suspend(None); // let the others run
//! }));
//! let mut out = Vec::new();
//! sched.mainloop(&mut out)?;
//! assert_eq!(String::from_utf8_lossy(&out), "hello from task 1\nTask 1 terminated\n");
//! # Ok::<(), std::io::Error>(())
//! ```

use std::cell::Cell;
use std::io::{self, Write};
use std::rc::Rc;

use common::kernel;
pub use common::kernel::{Console, Reply, SysCall, TaskPanic, Tid, Trap};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};

use crate::stacks::pool::{TASK_STACK_SIZE, give_back_task_stack, task_stack};

/// A scheduler of stackful tasks.
pub type Scheduler = kernel::Scheduler<Task>;

/// What a task yields: `Some(call)` to trap into the scheduler, `None` to let the others run.
pub type Yielded = Option<SysCall<Task>>;

/// The handle a task body suspends through.
pub type Yielder = corosensei::Yielder<Reply, Yielded>;

/// A task: a `corosensei` coroutine on a stack of [`TASK_STACK_SIZE`] from this thread's pool.
///
/// It is resumed with the [`Reply`] to its last system call, suspends with `Some(SysCall)` to trap
/// or `None` to let the others run (Python's bare `yield`), and returns `()`. Dropping it (the
/// task finished, panicked or was killed) unwinds a suspended coroutine, so the destructors of
/// everything on its stack run, and gives the stack back to the pool.
pub struct Task(Option<Coroutine<Reply, Yielded, (), DefaultStack>>);

impl Task {
    /// Makes a task from a body, which gets the task's [`Yielder`] and the first (ignored) reply.
    ///
    /// # Panics
    /// If the stack cannot be mapped (out of memory or of memory mappings), as `std::thread::spawn`
    /// panics when a thread cannot be created; [`Task::try_new`] returns the error instead.
    pub fn new(body: impl FnOnce(&Yielder, Reply) + 'static) -> Self {
        match Task::try_new(body) {
            Ok(task) => task,
            Err(e) => panic!("cannot map a {TASK_STACK_SIZE}-byte task stack: {e}"),
        }
    }

    /// Like [`Task::new`], but returns the error if the stack cannot be mapped.
    ///
    /// # Errors
    /// The error of `mmap`/`mprotect` for the stack (only when the pool has no idle stack).
    pub fn try_new(body: impl FnOnce(&Yielder, Reply) + 'static) -> io::Result<Self> {
        Ok(Task(Some(Coroutine::with_stack(task_stack()?, body))))
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if let Some(co) = self.0.take() {
            give_back_task_stack(co); // unwinds it first if it is suspended
        }
    }
}

impl kernel::Target for Task {
    fn resume(&mut self, reply: Reply) -> Trap<Self> {
        // `None` only while the task is being dropped.
        let Some(co) = self.0.as_mut() else {
            return Trap::Exit;
        };
        match co.resume(reply) {
            CoroutineResult::Yield(None) => Trap::Yield,
            CoroutineResult::Yield(Some(call)) => Trap::Call(call),
            CoroutineResult::Return(()) => Trap::Exit,
        }
    }
}

/// `GetTid`: the caller's id. An ordinary function: it suspends the task that calls it.
pub fn get_tid(y: &Yielder) -> Tid {
    y.suspend(Some(SysCall::GetTid)).tid()
}

/// `NewTask(task)`: the new task's id.
pub fn new_task(y: &Yielder, task: Task) -> Tid {
    y.suspend(Some(SysCall::NewTask(task))).tid()
}

/// `KillTask(tid)`: `true` if `tid` was alive.
pub fn kill_task(y: &Yielder, tid: Tid) -> bool {
    y.suspend(Some(SysCall::KillTask(tid))).killed()
}

/// The article's `foo`: learns its id, then prints five steps, yielding after each.
pub fn foo(con: Console) -> Task {
    Task::new(move |y, _| {
        let tid = get_tid(y);
        con.println(format_args!("I'm foo and I am living in {tid} process"));
        for i in 0..5 {
            con.println(format_args!("Foo {tid} is in {i} step"));
            y.suspend(None);
        }
    })
}

/// The article's `bar`: learns its id, spawns a `foo`, prints three steps, then kills task 1.
pub fn bar(con: Console) -> Task {
    Task::new(move |y, _| {
        let tid = get_tid(y);
        con.println(format_args!("I'm bar and I'm living in {tid} process"));
        new_task(y, foo(con.clone()));
        for i in 0..3 {
            con.println(format_args!("Bar {tid} is in {i} step"));
            y.suspend(None);
        }
        kill_task(y, 1);
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

/// One task of the workload: learns its id, then does `steps` steps of trivial work (adds a
/// number unique to this task and step to `sum`), yielding after each.
fn worker(sum: Rc<Cell<u64>>, steps: u64) -> Task {
    Task::new(move |y, _| {
        let tid = get_tid(y);
        let base = (tid - 1) * steps;
        for step in 1..=steps {
            sum.set(sum.get().wrapping_add(base + step));
            y.suspend(None);
        }
    })
}

/// The benchmark workload: `tasks` tasks of `steps` steps each, run round-robin by one scheduler.
///
/// Every task does one `GetTid` system call, then `steps` bare yields, then returns: in all
/// `tasks × (steps + 2)` resumes. Task `t` (ids 1..=tasks) adds `(t - 1) × steps + s` at its step
/// `s` (1..=steps), so when all the work was done the result is `n (n + 1) / 2` for
/// `n = tasks × steps` (wrapping on overflow). Nothing is printed. All tasks are alive at once, so
/// this needs `tasks` stacks of [`TASK_STACK_SIZE`]: the idle ones in this thread's pool, the rest
/// freshly mapped; when they end, up to
/// [`TASK_POOL_MAX_IDLE`](crate::stacks::pool::TASK_POOL_MAX_IDLE) go back to the pool, so a rerun
/// with as many tasks maps none.
///
/// # Panics
/// If a task stack cannot be mapped (see [`Task::new`]).
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

    /// Holds a guard in each of `depth + 1` nested calls, suspending in the deepest: killing the
    /// task must unwind through all of them.
    fn hold_forever(y: &Yielder, guard: &Guard, depth: u32) -> ! {
        let _mine = Guard(guard.0.clone(), guard.1.clone());
        if depth == 0 {
            loop {
                y.suspend(None);
            }
        }
        hold_forever(y, guard, depth - 1)
    }

    #[test]
    fn kill_unwinds_the_target_stack_at_once_and_unknown_ids_answer_false() {
        let drops = Rc::new(Cell::new(0));
        let mut sched = Scheduler::new();
        let con = sched.console();
        let guard = Guard(drops.clone(), con.clone());
        sched.spawn(Task::new(move |y, _| {
            let guard = guard; // one guard in the body, two more in nested calls
            hold_forever(y, &guard, 1)
        }));
        let con2 = con.clone();
        sched.spawn(Task::new(move |y, _| {
            con2.println(format_args!("2 kills 1"));
            let killed = kill_task(y, 1);
            con2.println(format_args!("2 got {killed}"));
            let unknown = kill_task(y, 99);
            con2.println(format_args!("kill 99: {unknown}"));
        }));
        sched.spawn(Task::new(move |y, _| {
            // Task 1 is dropped but still queued, as a closed generator in Python: found.
            let killed = kill_task(y, 1);
            con.println(format_args!("3 got {killed}"));
        }));
        let text = output(|out| sched.mainloop(out));
        assert_eq!(
            text,
            "2 kills 1\nguard dropped\nguard dropped\nguard dropped\nTask 1 terminated\n2 got true\n3 got true\n\
             Task 3 terminated\nkill 99: false\nTask 2 terminated\n"
        );
        assert_eq!(
            drops.get(),
            3,
            "every guard on the killed stack was dropped"
        );
    }

    #[test]
    fn a_task_can_kill_itself() {
        let mut sched = Scheduler::new();
        let con = sched.console();
        sched.spawn(Task::new(move |y, _| {
            let tid = get_tid(y);
            con.println(format_args!("killing {tid}"));
            kill_task(y, tid);
            con.println(format_args!("never printed"));
        }));
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
        sched.spawn(Task::new(move |y, _| {
            let _guard = guard;
            y.suspend(None);
            panic!("boom in task {}", get_tid(y));
        }));
        sched.spawn(Task::new(move |y, _| {
            for i in 0..3 {
                con.println(format_args!("step {i}"));
                y.suspend(None);
            }
        }));
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
