//! How each figure of a row is measured, in words: the method text of the memory, creation and
//! switch figures per kind of row, and of the four experiments with their evidence.

use crate::classify::{Basis, Verdict};
use crate::kind::Kind;

/// The method texts of one row's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct How {
    /// User-space memory.
    pub memory: &'static str,
    /// Virtual memory.
    pub virtual_: &'static str,
    /// The object (empty where it does not apply).
    pub object: &'static str,
    /// What one creation is.
    pub create: &'static str,
    /// What one round trip is, and how its ends were placed.
    pub switch: &'static str,
    /// How the scaling ring of the row is built.
    pub ring: &'static str,
}

/// How the round trips of rows scheduled by the kernel are placed and timed.
pub const PLACED: &str = "timed three ways: both ends pinned to one CPU (switch_ns: the switch itself), pinned to two different CPUs (switch_cross_cpu_ns: a wake-up across cores), neither pinned (switch_unpinned_ns: wherever the scheduler put them; ends_on_different_cpus says how often they were apart). Each round trip's reply is the next request; a warm-up is thrown away; single round trips are timed into a histogram (p50, p99) and each repetition's mean gives the median and range";

/// How the round trips of the Rust coroutine rows are timed.
pub const RESUMED: &str = "each resume goes through an opaque handle behind black_box, as a scheduler holds it, and its output is the next input, so the compiler can neither inline the coroutine into the loop nor skip its state (scripts/switch-asm.sh shows the benchmarks' loops, which are built the same way); batches of resumes are timed into a histogram (p50, p99 of the batch means) and each repetition's mean gives the median and range";

/// How the memory (user space, virtual, object), creation and switch figures of `kind` are
/// measured.
pub fn how(kind: Kind) -> How {
    match kind {
        Kind::Process => How {
            memory: "N children forked from a fresh single-threaded probe process, each blocked in read() on a pipe; (sum of PSS from /proc/PID/smaps_rollup of the parent and all children - parent's PSS before forking) / N. PSS splits copy-on-write pages among the processes sharing them, so the sum counts only what the children added; RSS would count the whole parent once per child. The children's page tables (copies of the parent's) are in the kernel layer",
            virtual_: "median VmSize of a child: a fork maps a copy of the parent's whole address space",
            object: "",
            create: "fork() from a thread pinned to one CPU (create_ns) or unpinned (create_unpinned_ns); the child hands x + 1 back through a pipe and suspends, blocked in read() on a second pipe (its first suspension); the parent reads the value, writes one byte to resume it, and the child _exits (its end); waitpid() (free)",
            switch: "a u32 through a pipe to a forked echo process and back plus one (common::pingpong, the same code as the os-thread row, so the two differ only in the address space)",
            ring: "each unit a forked child blocked in read() on its own pipe, writing the next token to the next child's pipe (N + 1 pipes; each child holds only its two ends); user space is the PSS sum, as for the memory figure",
        },
        Kind::OsThread => How {
            memory: "(VmRSS with N more std::threads alive and blocked on a Condvar - VmRSS before them) / N, in a fresh process already holding 8 threads per core (the number of glibc malloc arenas, which the first threads reserve)",
            virtual_: "(VmSize with the N threads - before) / N: each default 2 MiB stack plus its guard page",
            object: "size_of the JoinHandle the creator holds + heap per thread counted by the allocator wrapper (std's thread and result records)",
            create: "std::thread::spawn from a thread pinned to one CPU (create_ns; the new thread inherits the pin) or unpinned (create_unpinned_ns); the thread hands x + 1 back and parks (its first suspension); the creator, parked until then, takes the value and unparks it; the thread returns (its end); join() (free)",
            switch: "a u32 through a pipe to an echo thread and back plus one (common::pingpong, the same code as the process row and the switch benchmark's thread)",
            ring: "each unit a std::thread parked (thread::park, a futex) until its slot holds the token, then storing the next token in the next slot and unparking that thread; no file descriptors, so the ring stops at the kernel's task limits, not at ulimit -n",
        },
        Kind::GreenThread => How {
            memory: "(VmRSS with N may coroutines alive and parked - VmRSS before) / N, in a fresh process after the runtime started and after holding as many coroutines as may's pre-allocated pool (1000), so all N are new",
            virtual_: "(VmSize with the N coroutines - before) / N",
            object: "size_of the JoinHandle the creator holds + heap per coroutine counted by the allocator wrapper",
            create: "inside a may coroutine, one at a time: may::coroutine::spawn of a coroutine that hands x + 1 back and parks (its first suspension); the creator, parked until then, takes the value and unparks it; the coroutine returns (its end); join() (free). create_ns: in a fresh process pinned to one CPU whose runtime has one worker, so no other worker is woken; create_unpinned_ns: in the default runtime (one worker per core), where may places the new coroutine on another worker in turn, so it includes waking that worker's thread. may pools up to 1000 coroutines for reuse",
            switch: "a u32 back and forth between two may coroutines through two may::sync::mpsc channels, plus one each way. switch_ns: both ends in a fresh process pinned to one CPU whose runtime has one worker; switch_unpinned_ns: the default runtime (one worker per core); no cross-CPU figure: may runs a woken coroutine on its waker's worker, so the ends cannot be kept on two CPUs. Each round trip's reply is the next request; single round trips are timed into a histogram (p50, p99)",
            ring: "each unit a may coroutine parked (may::coroutine::park) until its slot holds the token, then unparking the next; the measuring end is a may coroutine too, on a runtime of one worker (one CPU); may keeps a pool of 1000 coroutines made at start-up, so rings of up to 1000 reuse them and their memory per unit is not that of new coroutines",
        },
        Kind::Goroutine => How {
            memory: "Go program: (VmRSS with N goroutines alive and blocked on a channel - VmRSS before) / N, in a fresh process per repetition",
            virtual_: "(VmSize with the N goroutines - before) / N",
            object: "",
            create: "go func(v){ handed <- v+1; handed <- <-resume }(x); resume <- <-handed; x = <-handed: the goroutine hands x + 1 back, suspends receiving (its first suspension), is resumed, hands the value back and returns (its end, where the runtime frees it) before the next one is made. create_ns: a run with GOMAXPROCS=1 in a process pinned to one CPU; create_unpinned_ns: the default GOMAXPROCS, unpinned",
            switch: "an int back and forth between two goroutines through two unbuffered channels, plus one each way. switch_ns: GOMAXPROCS=1 in a process pinned to one CPU; switch_cross_cpu_ns: each goroutine locked to its own OS thread (runtime.LockOSThread) pinned to its own CPU; switch_unpinned_ns: the default GOMAXPROCS. Each round trip's reply is the next request; batches of 8 round trips are timed into a histogram (p50, p99)",
            ring: "Go program: each unit a goroutine receiving the token on its own channel (capacity 1) and sending the next one to the next goroutine's, GOMAXPROCS=1 (one CPU); each goroutine runs to its first receive as it is made",
        },
        Kind::AsyncTaskMt | Kind::AsyncTask => How {
            memory: "(VmRSS with N tokio tasks (tokio::spawn) alive, each polled to its first suspension and waiting on a shared tokio::sync::Notify - VmRSS before) / N, in a fresh process whose runtime is already running",
            virtual_: "(VmSize with the N tasks - before) / N",
            object: "size_of the JoinHandle the creator holds + heap per task counted by the allocator wrapper (the task's one allocation: header, scheduler hooks, the future's state and the output slot); size_of the task's future is given beside",
            create: "inside a task: tokio::spawn of a task that awaits a oneshot (its first suspension), yield_now so the new task is polled to that suspension, send x + 1 on the oneshot so that it completes (its end), await its JoinHandle (free). Completed, not aborted: every row's unit runs to its end; abort() would drop the suspended future without running it on, the analogue of dropping a suspended coroutine. create_ns: the runtime's threads pinned to one CPU; create_unpinned_ns: not pinned",
            switch: "a u32 back and forth between two spawned tasks through two tokio::sync::mpsc channels of capacity 1, plus one each way; the timing end is a task too. switch_ns: the runtime's threads pinned to one CPU; switch_cross_cpu_ns (multi-thread runtime): worker i pinned to the i-th of two CPUs, kept only if the ends did run apart; switch_unpinned_ns: nothing pinned. Each round trip's reply is the next request; batches of 8 round trips are timed into a histogram (p50, p99)",
            ring: "each unit a spawned task awaiting its own tokio::sync::Notify (its slot holds the token), then storing the next token in the next slot and notifying it; the measuring end is a task too; the multi-thread runtime's workers all run on the one CPU",
        },
        Kind::AsyncJoined => How {
            memory: "(VmRSS with N futures in one FuturesUnordered, polled by one task to their first suspension and waiting on a shared tokio::sync::Notify - VmRSS before) / N, in a fresh process",
            virtual_: "(VmSize with the N futures - before) / N",
            object: "heap per future counted by the allocator wrapper: the set's node (its own Arc with the future inside); no handle per unit; size_of the future is given beside",
            create: "inside one task: push a future that awaits a oneshot into a FuturesUnordered, poll the set once (the future runs to its first suspension), send x + 1 so that it completes (its end), take its output from the set (free)",
            switch: "a u32 back and forth between two futures joined in one task (tokio::join!) through two tokio::sync::mpsc channels of capacity 1; the task is on a current-thread runtime on one CPU",
            ring: "each unit a future awaiting its own tokio::sync::Notify, all in one FuturesUnordered that the measuring task polls beside its own laps (tokio::join!): one task, one wake-up of it per hand-off at most",
        },
        Kind::Stackful => How {
            memory: "(VmRSS with N corosensei coroutines suspended at their first suspend - VmRSS before) / N, in a fresh process",
            virtual_: "(VmSize with the N coroutines - before) / N: each mmap'd stack plus a guard page",
            object: "size_of the Coroutine handle + heap per coroutine counted by the allocator wrapper (the stack is mmap'd, not heap)",
            create: "Coroutine::with_stack on a freshly mapped DefaultStack (create_ns: mmap + guard page) or on a stack from a warm stackful::stacks::StackPool (create_pooled_ns), resume to the first suspend (it yields x + 1), resume once more so that it returns (its end), then drop the completed coroutine: the stack is unmapped or goes back to the pool. Dropping a coroutine while it is suspended is timed apart (drop_suspended_ns, on a pooled stack): corosensei then unwinds the stack (a forced unwind, a panic carried through the coroutine's frames), which is no part of creating one",
            switch: "resume(x) into the coroutine and suspend(acc) back: one round trip",
            ring: "each unit a corosensei coroutine on a 64 KiB stack from a StackPool (many stacks per mapping, so a big ring does not run out of mappings), resumed in ring order by the measuring end with the token and suspending with the next one",
        },
        Kind::Stackless => How {
            memory: "(VmRSS with N Pin<Box<dyn Coroutine>> native coroutines suspended at their first yield - VmRSS before) / N, in a fresh process; includes the allocator's per-block overhead",
            virtual_: "(VmSize with the N coroutines - before) / N",
            object: "size_of the Pin<Box<dyn Coroutine>> handle (a pointer and a vtable pointer) + heap per coroutine counted by the allocator wrapper (the box holding the coroutine's whole state; size_of the state is given beside)",
            create: "Box::pin(#[coroutine] closure) as Pin<Box<dyn Coroutine>>, resume to the first yield (it yields x + 1), resume once more so that it returns (its end), drop",
            switch: "Pin<Box<dyn Coroutine>>::resume(x) into the coroutine and `yield acc` back: one round trip",
            ring: "each unit a Pin<Box<dyn Coroutine>> native coroutine, resumed in ring order by the measuring end with the token and yielding the next one",
        },
        Kind::StacklessGenawaiter => How {
            memory: "(VmRSS with N genawaiter::rc::Gen generators suspended at their first yield - VmRSS before) / N, in a fresh process",
            virtual_: "(VmSize with the N generators - before) / N",
            object: "size_of the Gen handle + heap per generator counted by the allocator wrapper (the boxed future and the shared airlock)",
            create: "Gen::new(async closure), resume_with to the first yield_ (it yields x + 1), resume_with once more so that it returns (its end), drop",
            switch: "resume_with(x) into the generator and co.yield_(acc).await back: one round trip",
            ring: "each unit a genawaiter::rc::Gen, resumed in ring order with resume_with(token) and yielding the next one",
        },
        Kind::PythonGenerator => How {
            memory: "python3 script: (VmRSS with N suspended generators in a list - VmRSS before) / N, in a fresh process per repetition",
            virtual_: "(VmSize with the N generators - before) / N",
            object: "sys.getsizeof of a suspended generator (its frame included, not the objects it refers to)",
            create: "g = gen(x); y = next(g) to the first yield (it yields x + 1); g.send(y) so that it returns (StopIteration, its end); the generator is freed",
            switch: "x = g.send(x) into the generator and `yield acc` back: one round trip, each output the next input; batches of 1000 timed into a histogram (p50, p99 of the batch means)",
            ring: "python3 script: each unit a generator, resumed in ring order with g.send(token) and yielding the next one",
        },
    }
}

impl How {
    /// The switch text of `kind` with how its round trips were timed.
    pub fn switch_text(&self, kind: Kind) -> String {
        match kind {
            Kind::Process | Kind::OsThread => format!("{}; {PLACED}", self.switch),
            Kind::Stackful | Kind::Stackless | Kind::StacklessGenawaiter => {
                format!("{}; {RESUMED}", self.switch)
            }
            Kind::AsyncJoined => format!(
                "{}; batches of 8 round trips are timed into a histogram (p50, p99)",
                self.switch
            ),
            Kind::GreenThread
            | Kind::Goroutine
            | Kind::AsyncTaskMt
            | Kind::AsyncTask
            | Kind::PythonGenerator => self.switch.to_string(),
        }
    }
}

/// The experiment `which` (`managed`, `address`, `preempt`, else parallel) in words, with the
/// evidence it was decided on and what decides it.
pub fn experiment_text(which: &str, v: &Verdict) -> String {
    let how = match which {
        "managed" => {
            "units outnumbering the threads they could share (at least 4 per worker thread) are alive at once; the process's kernel threads (/proc/self/status Threads) and child processes (/proc/*/stat) are counted before and while they live; OS-managed if the process gained at least one kernel task per unit"
        }
        "address" => {
            "a unit stores a value in a global that was 0; own address space if the creator does not see it"
        }
        "preempt" => {
            "one unit per worker spins without yielding; once they all spin, another unit is made runnable; pre-emptive if it runs before the first spinner stops"
        }
        _ => {
            "two CPU-bound units are started at once; parallel if they used clearly more CPU time than wall time (which units taking turns cannot)"
        }
    };
    let basis = match v.basis {
        Basis::Experiment => "Decided by the experiment",
        Basis::Construction => {
            "Fixed by construction (one thread resumes one unit at a time: a unit runs only when resumed and until it suspends); the experiment only checks the harness"
        }
    };
    format!("{how}. {basis}. Measured: {}", v.evidence)
}
