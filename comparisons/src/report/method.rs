//! How each figure of a row is measured, in words: the method text of the memory, creation and
//! switch figures per kind of row, and of the four experiments with their evidence.

use crate::classify::Verdict;
use crate::kind::Kind;

/// How the memory (resident, virtual), creation and switch figures of `kind` are measured.
pub fn how(kind: Kind) -> [&'static str; 4] {
    match kind {
        Kind::Process => [
            "N children forked from a fresh single-threaded probe process, each blocked in read() on a pipe; (sum of PSS from /proc/PID/smaps_rollup of the parent and all children - parent's PSS before forking + each child's VmPTE page tables) / N. PSS splits copy-on-write pages among the processes sharing them, so the sum counts only what the children added; RSS would count the whole parent once per child. Kernel task structs and kernel stacks are not visible per process and are not counted",
            "median VmSize of a child: a fork maps a copy of the parent's whole address space",
            "fork(); the child writes one byte to a pipe and _exits; the parent reads it and waitpid()s",
            "one byte back and forth through two pipes between the parent and a forked child",
        ],
        Kind::OsThread => [
            "(VmRSS with N more std::threads alive and blocked on a Condvar - VmRSS before them) / N, in a fresh process already holding 8 threads per core (the number of glibc malloc arenas, which the first threads reserve)",
            "(VmSize with the N threads - before) / N: each default 2 MiB stack plus its guard page",
            "std::thread::spawn of a thread that returns at once, then join()",
            "a u64 sent back and forth between two threads through two std::sync::mpsc channels (futex wait/wake)",
        ],
        Kind::GreenThread => [
            "(VmRSS with N may coroutines alive and parked - VmRSS before) / N, in a fresh process after the runtime started and after holding as many coroutines as may's pre-allocated pool (1000), so all N are new",
            "(VmSize with the N coroutines - before) / N",
            "inside a may coroutine, one at a time: may::coroutine::spawn of a coroutine that returns at once, then join() (may pools up to 1000 coroutines for reuse; with 2 workers the new coroutine may run on the other worker, so this includes waking a worker thread)",
            "a u64 sent back and forth between two may coroutines through two may::sync::mpsc channels",
        ],
        Kind::Goroutine => [
            "Go program: (VmRSS with N goroutines alive and blocked on a channel - VmRSS before) / N, in a fresh process per repetition",
            "(VmSize with the N goroutines - before) / N",
            "go func(){ done <- struct{}{} }(); <-done",
            "an int sent back and forth between two goroutines through two unbuffered channels",
        ],
        Kind::Stackful => [
            "(VmRSS with N corosensei coroutines suspended at their first suspend - VmRSS before) / N, in a fresh process",
            "(VmSize with the N coroutines - before) / N: each mmap'd stack plus a guard page",
            "Coroutine::with_stack(DefaultStack::new(size)), resume to the first suspend, drop (unwinds the suspended stack, unmaps it)",
            "resume(x) into the coroutine and suspend(acc) back: one round trip",
        ],
        Kind::Stackless => [
            "(VmRSS with N boxed native coroutines suspended at their first yield - VmRSS before) / N, in a fresh process; includes the allocator's per-block overhead",
            "(VmSize with the N coroutines - before) / N",
            "Box::pin(#[coroutine] closure), resume to the first yield, drop",
            "Pin::resume(x) into the coroutine and `yield acc` back: one round trip (the compiler may inline the resumed state machine into the loop, as it can in real code)",
        ],
        Kind::StacklessGenawaiter => [
            "(VmRSS with N genawaiter::rc::Gen generators suspended at their first yield - VmRSS before) / N, in a fresh process",
            "(VmSize with the N generators - before) / N",
            "Gen::new(async closure), resume_with to the first yield_, drop",
            "resume_with(x) into the generator and co.yield_(acc).await back: one round trip",
        ],
        Kind::PythonGenerator => [
            "python3 script: (VmRSS with N suspended generators in a list - VmRSS before) / N, in a fresh process per repetition",
            "(VmSize with the N generators - before) / N",
            "g = gen(); next(g); g.close()",
            "g.send(x) into the generator and `yield acc` back: one round trip",
        ],
    }
}

/// The experiment `which` (`managed`, `address`, `preempt`, else parallel) in words, with the
/// evidence it was decided on.
pub fn experiment_text(which: &str, v: &Verdict) -> String {
    let how = match which {
        "managed" => {
            "several units alive at once each report gettid(); OS-managed if every unit has its own kernel thread, not the creator's"
        }
        "address" => {
            "a unit stores a value in a global that was 0; own address space if the creator does not see it"
        }
        "preempt" => {
            "one unit per scheduler worker spins without yielding; then another unit is made runnable; pre-emptive if it runs before half the spin time"
        }
        _ => {
            "two CPU-bound units at once; from the wall time and the CPU time of the pair, parallel if the pair took under 1.5x the time one unit needed"
        }
    };
    format!("{how}. Measured: {}", v.evidence)
}
