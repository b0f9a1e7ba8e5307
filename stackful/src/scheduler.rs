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
//! stacks from a per-thread [`StackPool`]: a task that finishes, panics or is killed gives its
//! stack back (after unwinding it), and the next task made on that thread reuses it. Tasks alive at
//! the same time still need a stack each, so a burst of 10,000 live tasks maps 10,000 stacks once;
//! the pool keeps up to [`TASK_POOL_MAX_IDLE`] of them for the next tasks
//! ([`with_task_stacks`] shows its counters).
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

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::rc::Rc;

use common::kernel;
pub use common::kernel::{Console, Reply, SysCall, TaskPanic, Tid, Trap};
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};

use crate::stacks::{SMALL_STACK_SIZE, StackPool};

/// The usable stack of each task: [`SMALL_STACK_SIZE`] (64 KiB), plus one guard page.
///
/// The tasks here are shallow (a loop and a `format_args!`), but a task that panics runs the panic
/// hook and the unwinder on its own stack, and with `RUST_BACKTRACE` set the hook captures and
/// symbolises a backtrace there. In a debug build that overflowed a 16 KiB stack (SIGSEGV on the
/// guard page) and fitted in 32 KiB; 64 KiB keeps a margin of two, and the test
/// `a_backtrace_fits_on_a_task_stack` checks it. 10,000 live tasks then reserve about 680 MiB of
/// address space, of which only the pages a task touches use memory. (The 1 MiB thread-like
/// default would reserve 10 GiB for 10,000 tasks.)
pub const TASK_STACK_SIZE: usize = SMALL_STACK_SIZE;

/// How many idle stacks each thread's pool of task stacks keeps: 1,024.
///
/// Enough that a scheduler of up to 1,024 tasks alive at once, run again (as a benchmark does),
/// maps no stack the second time; an idle pool then holds at most 1,024 × 68 KiB = 68 MiB of
/// address space, of which only the pages earlier tasks touched are resident. Stacks given back
/// beyond this are unmapped.
pub const TASK_POOL_MAX_IDLE: usize = 1024;

thread_local! {
    /// The stacks of this thread's tasks. A [`Task`] is not `Send` (its coroutine is not), so it
    /// is made and dropped on one thread and its stack comes back to the pool it came from.
    static TASK_STACKS: RefCell<StackPool> =
        RefCell::new(StackPool::with_max_idle(TASK_STACK_SIZE, TASK_POOL_MAX_IDLE));
}

/// Runs `f` on this thread's pool of task stacks: to read its counters
/// ([`StackPool::stacks_allocated`], [`StackPool::stacks_reused`], [`StackPool::idle`]), or to
/// replace it (say, by one keeping more idle stacks before a workload of many live tasks). Stacks
/// of another size than [`TASK_STACK_SIZE`] are not taken back. Tasks made or dropped inside `f`
/// bypass the pool (they map and unmap stacks of their own).
///
/// # Panics
/// If called from inside `f`, or from a thread-local destructor after the pool was dropped.
///
/// ```
/// use stackful::scheduler::{Task, with_task_stacks};
///
/// let before = with_task_stacks(|pool| pool.stacks_allocated());
/// for _ in 0..100 {
///     drop(Task::new(|_, _| {})); // made, never run, dropped: its stack goes back to the pool
/// }
/// assert!(with_task_stacks(|pool| pool.stacks_allocated()) - before <= 1);
/// ```
pub fn with_task_stacks<R>(f: impl FnOnce(&mut StackPool) -> R) -> R {
    TASK_STACKS.with_borrow_mut(f)
}

/// A stack for a new task: from this thread's pool, or freshly mapped if the pool is busy (a task
/// made inside [`with_task_stacks`]) or already gone (thread exit).
fn task_stack() -> io::Result<DefaultStack> {
    let pooled = TASK_STACKS.try_with(|pool| pool.try_borrow_mut().map(|mut pool| pool.get()));
    match pooled {
        Ok(Ok(stack)) => stack,
        Ok(Err(_)) | Err(_) => DefaultStack::new(TASK_STACK_SIZE),
    }
}

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
        let Some(mut co) = self.0.take() else { return };
        // Unwind first, outside the pool's borrow: the destructors on the task's stack may drop
        // (or make) other tasks. After that `recycle` only takes the stack back.
        co.force_unwind();
        // The pool busy (inside `with_task_stacks`): `co` is dropped, its stack unmapped. The pool
        // already gone (`Err`, at thread exit): the closure is dropped unrun, and `co` with it.
        let _ = TASK_STACKS.try_with(move |pool| match pool.try_borrow_mut() {
            Ok(mut pool) => pool.recycle(co),
            Err(_) => drop(co),
        });
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
/// freshly mapped; when they end, up to [`TASK_POOL_MAX_IDLE`] go back to the pool, so a rerun
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

    /// The article's output (`scheduler.out`).
    const EXPECTED: &str = "\
I'm foo and I am living in 1 process
Foo 1 is in 0 step
I'm bar and I'm living in 2 process
Foo 1 is in 1 step
Bar 2 is in 0 step
Foo 1 is in 2 step
I'm foo and I am living in 3 process
Foo 3 is in 0 step
Bar 2 is in 1 step
Foo 1 is in 3 step
Foo 3 is in 1 step
Bar 2 is in 2 step
Foo 1 is in 4 step
Foo 3 is in 2 step
Task 1 terminated
Foo 3 is in 3 step
Task 2 terminated
Foo 3 is in 4 step
Task 3 terminated
";

    fn output(run: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        let result = run(&mut out);
        assert!(result.is_ok(), "{result:?}");
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn prints_the_article_output() {
        assert_eq!(output(run), EXPECTED);
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
    fn a_backtrace_fits_on_a_task_stack() -> io::Result<()> {
        // What the panic hook does with RUST_BACKTRACE set: capture and symbolise, on the task's
        // own stack. Too small a TASK_STACK_SIZE kills this test with SIGSEGV.
        let mut sched = Scheduler::new();
        let con = sched.console();
        sched.spawn(Task::new(move |_, _| {
            let trace = std::backtrace::Backtrace::force_capture().to_string();
            con.println(format_args!(
                "captured {} frames",
                trace.lines().count() > 1
            ));
        }));
        let mut out = Vec::new();
        sched.mainloop(&mut out)?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            "captured true frames\nTask 1 terminated\n"
        );
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

    /// This thread's task-stack pool counters: (stacks mapped, stacks reused, idle stacks).
    fn pool_counters() -> (u64, u64, usize) {
        with_task_stacks(|pool| (pool.stacks_allocated(), pool.stacks_reused(), pool.idle()))
    }

    /// One task spawns 1,000 short children one after another; each child ends before the next
    /// is made: by returning, by being killed while suspended, or by panicking. Each gives its
    /// stack back, so 1,001 tasks need at most two mapped stacks (the parent's and one child's).
    #[test]
    fn finished_killed_and_panicked_tasks_give_their_stacks_back() {
        let (mapped, reused, _) = pool_counters();
        let mut sched = Scheduler::new();
        sched.spawn(Task::new(|y, _| {
            for i in 0..1_000_u32 {
                let child = new_task(
                    y,
                    Task::new(move |y, _| {
                        y.suspend(None);
                        if i == 500 {
                            panic!("child {i} panics");
                        }
                        if i % 2 == 1 {
                            loop {
                                y.suspend(None); // waits to be killed
                            }
                        }
                    }),
                );
                if i % 2 == 1 {
                    kill_task(y, child);
                } else {
                    y.suspend(None); // the child returns or panics meanwhile
                }
            }
        }));
        let text = output(|out| sched.mainloop(out));
        assert_eq!(text.matches(" terminated\n").count(), 1_000);
        assert_eq!(sched.panics().len(), 1);
        let (mapped_after, reused_after, _) = pool_counters();
        println!(
            "1,001 sequential tasks: {} stacks mapped, {} reused",
            mapped_after - mapped,
            reused_after - reused
        );
        assert!(
            mapped_after - mapped <= 2,
            "1,001 tasks mapped {} stacks",
            mapped_after - mapped
        );
        assert!(
            reused_after - reused >= 999,
            "only {} of 1,001 tasks got a pooled stack",
            reused_after - reused
        );
    }

    /// All 1,000 tasks of a workload are alive at once, so the first run maps a stack for each;
    /// the pool keeps them all ([`TASK_POOL_MAX_IDLE`]), so a second run maps none.
    #[test]
    fn a_rerun_workload_maps_no_stack() {
        let n: u64 = 1000 * 2;
        let (mapped_before, _, _) = pool_counters();
        assert_eq!(run_workload(1000, 2), n * (n + 1) / 2);
        let (mapped, reused, idle) = pool_counters();
        assert!(idle >= 1000, "{idle} stacks kept");
        assert_eq!(run_workload(1000, 2), n * (n + 1) / 2);
        let (mapped_again, reused_again, _) = pool_counters();
        println!(
            "1,000 live tasks: first run mapped {} stacks, rerun mapped {} and reused {}",
            mapped - mapped_before,
            mapped_again - mapped,
            reused_again - reused
        );
        assert_eq!(mapped_again, mapped, "the rerun mapped stacks");
        assert_eq!(reused_again - reused, 1000);
    }

    #[test]
    fn ten_thousand_tasks_alive_at_once() {
        let n: u64 = 10_000 * 10;
        assert_eq!(run_workload(10_000, 10), n * (n + 1) / 2);
    }
}
