//! The report: the JSON document (`comparison.json`), the markdown report (`comparison.md`) with
//! the article's claim next to every figure, and the generated guide to choosing a style.

use crate::classify::{self, Verdict};
use crate::kind::Kind;
use crate::machine::Machine;
use crate::samples::Samples;
use crate::stats::Stat;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Whether each of the article's claims holds for a measured row (`None`: not measured).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holds {
    /// The memory cell, checked against the resident median.
    pub memory_bytes: Option<bool>,
    /// "Managed by OS".
    pub managed_by_os: Option<bool>,
    /// "Own address space".
    pub own_address_space: Option<bool>,
    /// "Pre-emptive scheduling".
    pub preemptive: Option<bool>,
    /// "Parallel".
    pub parallel: Option<bool>,
}

/// The article's column for a row, and whether each claim holds here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Column heading in the article's table.
    pub column: String,
    /// The memory cell, verbatim ("Mb" read as MiB per unit).
    pub memory: String,
    /// "Managed by OS".
    pub managed_by_os: bool,
    /// "Own address space".
    pub own_address_space: bool,
    /// "Pre-emptive scheduling".
    pub preemptive: bool,
    /// "Parallel".
    pub parallel: bool,
    /// Whether each claim holds on this machine.
    pub holds: Holds,
}

/// How each figure of a row was measured, with the experiments' evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// How `memory_bytes` was measured.
    pub memory_bytes: String,
    /// How `virtual_bytes` was measured.
    pub virtual_bytes: String,
    /// How `create_ns` was measured.
    pub create_ns: String,
    /// How `switch_ns` was measured.
    pub switch_ns: String,
    /// The kernel-thread-id experiment and its evidence.
    pub managed_by_os: String,
    /// The address-space experiment and its evidence.
    pub own_address_space: String,
    /// The pre-emption experiment and its evidence.
    pub preemptive: String,
    /// The parallelism experiment and its evidence.
    pub parallel: String,
    /// Stackless rows: `size_of` one unit, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_of_bytes: Option<f64>,
    /// Stackless rows: heap bytes per unit counted by the allocator wrapper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heap_bytes: Option<Stat>,
    /// Row-specific remarks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One row of `comparison.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Which row.
    pub kind: Kind,
    /// What was measured.
    pub label: String,
    /// Resident bytes per live suspended unit.
    pub memory_bytes: Option<Stat>,
    /// Reserved virtual bytes per live suspended unit.
    pub virtual_bytes: Option<Stat>,
    /// ns to create, run to first suspension and destroy a unit.
    pub create_ns: Option<Stat>,
    /// ns per round trip (two switches).
    pub switch_ns: Option<Stat>,
    /// Decided by the kernel-thread-id experiment.
    pub managed_by_os: Option<bool>,
    /// Decided by the address-space experiment.
    pub own_address_space: Option<bool>,
    /// Decided by the pre-emption experiment.
    pub preemptive: Option<bool>,
    /// Decided by the parallelism experiment.
    pub parallel: Option<bool>,
    /// The article's claims and whether they hold.
    pub article: Article,
    /// How each figure was measured.
    pub method: Method,
    /// Why the row was not measured, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The whole `comparison.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Where and how it was measured.
    pub machine: Machine,
    /// One row per kind, in table order.
    pub rows: Vec<Row>,
}

fn how(kind: Kind) -> [&'static str; 4] {
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

fn experiment_text(which: &str, v: &Verdict) -> String {
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

fn holds_memory(kind: Kind, m: Option<&Stat>) -> Option<bool> {
    m.map(|s| kind.article().memory_claim.holds(s.median))
}

/// Builds a row from its samples, or a skipped row from the reason (`Err`).
pub fn build_row(kind: Kind, samples: Result<Samples, String>) -> Row {
    let claim = kind.article();
    let [mem_how, virt_how, create_how, switch_how] = how(kind);
    let method = Method {
        memory_bytes: mem_how.to_string(),
        virtual_bytes: virt_how.to_string(),
        create_ns: create_how.to_string(),
        switch_ns: switch_how.to_string(),
        ..Method::default()
    };
    let mut article = Article {
        column: claim.column.to_string(),
        memory: claim.memory.to_string(),
        managed_by_os: claim.managed_by_os,
        own_address_space: claim.own_address_space,
        preemptive: claim.preemptive,
        parallel: claim.parallel,
        holds: Holds::default(),
    };
    let s = match samples {
        Ok(s) => s,
        Err(reason) => {
            return Row {
                kind,
                label: kind.label(),
                memory_bytes: None,
                virtual_bytes: None,
                create_ns: None,
                switch_ns: None,
                managed_by_os: None,
                own_address_space: None,
                preemptive: None,
                parallel: None,
                article,
                method,
                skipped: Some(reason),
            };
        }
    };
    let managed = classify::managed_by_os(s.creator_tid, &s.unit_tids);
    let address = classify::own_address_space(s.written, s.seen);
    let preempt = classify::preemptive(s.spin_ns, s.spinners, s.probe_latency_ns);
    let parallel = classify::parallel(&s.two_ns, &s.two_cpu_ns, &s.one_ns);
    let memory = Stat::from_samples(&s.memory_bytes);
    article.holds = Holds {
        memory_bytes: holds_memory(kind, memory.as_ref()),
        managed_by_os: Some(managed.value == claim.managed_by_os),
        own_address_space: Some(address.value == claim.own_address_space),
        preemptive: Some(preempt.value == claim.preemptive),
        parallel: Some(parallel.value == claim.parallel),
    };
    Row {
        kind,
        label: kind.label(),
        memory_bytes: memory,
        virtual_bytes: Stat::from_samples(&s.virtual_bytes),
        create_ns: Stat::from_samples(&s.create_ns),
        switch_ns: Stat::from_samples(&s.switch_ns),
        managed_by_os: Some(managed.value),
        own_address_space: Some(address.value),
        preemptive: Some(preempt.value),
        parallel: Some(parallel.value),
        article,
        method: Method {
            managed_by_os: experiment_text("managed", &managed),
            own_address_space: experiment_text("address", &address),
            preemptive: experiment_text("preempt", &preempt),
            parallel: experiment_text("parallel", &parallel),
            size_of_bytes: s.size_of_bytes,
            heap_bytes: Stat::from_samples(&s.heap_bytes),
            notes: s.notes,
            ..method
        },
        skipped: None,
    }
}

/// Formats a byte count with a binary unit.
///
/// ```
/// assert_eq!(comparisons::report::bytes(1536.0), "1.5 KiB");
/// assert_eq!(comparisons::report::bytes(40.0), "40 B");
/// ```
pub fn bytes(b: f64) -> String {
    let a = b.abs();
    if a >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GiB", b / (1024.0 * 1024.0 * 1024.0))
    } else if a >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", b / (1024.0 * 1024.0))
    } else if a >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// Formats nanoseconds with a suitable unit.
///
/// ```
/// assert_eq!(comparisons::report::nanos(1500.0), "1.50 µs");
/// assert_eq!(comparisons::report::nanos(2.25), "2.2 ns");
/// ```
pub fn nanos(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn stat_cell(s: Option<&Stat>, f: fn(f64) -> String) -> String {
    match s {
        Some(s) => format!("{} ({} – {})", f(s.median), f(s.min), f(s.max)),
        None => "—".to_string(),
    }
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "—",
    }
}

fn holds_word(h: Option<bool>) -> &'static str {
    match h {
        Some(true) => "holds",
        Some(false) => "**differs**",
        None => "—",
    }
}

fn claim_word(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

/// The compact table printed on stdout: medians and yes/no answers, one line per row.
pub fn summary_table(report: &Report) -> String {
    let mut t = String::new();
    t.push_str("| Row | Memory (resident) | Virtual | Create | Switch (round trip) | Managed by OS | Own address space | Pre-emptive | Parallel |\n");
    t.push_str("|---|---|---|---|---|---|---|---|---|\n");
    for r in &report.rows {
        if let Some(why) = &r.skipped {
            let _ = writeln!(t, "| {} | skipped: {why} | | | | | | | |", r.kind.as_str());
            continue;
        }
        let m =
            |s: Option<&Stat>, f: fn(f64) -> String| s.map_or("—".to_string(), |s| f(s.median));
        let flag = |v: Option<bool>, h: Option<bool>| {
            format!(
                "{}{}",
                yes_no(v),
                if h == Some(false) { " ≠article" } else { "" }
            )
        };
        let _ = writeln!(
            t,
            "| {} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
            r.kind.as_str(),
            m(r.memory_bytes.as_ref(), bytes),
            if r.article.holds.memory_bytes == Some(false) {
                " ≠article"
            } else {
                ""
            },
            m(r.virtual_bytes.as_ref(), bytes),
            m(r.create_ns.as_ref(), nanos),
            m(r.switch_ns.as_ref(), nanos),
            flag(r.managed_by_os, r.article.holds.managed_by_os),
            flag(r.own_address_space, r.article.holds.own_address_space),
            flag(r.preemptive, r.article.holds.preemptive),
            flag(r.parallel, r.article.holds.parallel),
        );
    }
    t
}

/// The full markdown report.
pub fn markdown(report: &Report) -> String {
    let m = &report.machine;
    let p = &m.params;
    let mut o = String::new();
    let _ = writeln!(o, "# Coroutine styles compared, measured on this machine\n");
    let _ = writeln!(
        o,
        "The article's table (Process / Native thread / Green thread / Goroutine / Coroutine), each cell measured. Every figure is the median of {} repetitions, with min – max in brackets.\n",
        p.reps
    );
    let _ = writeln!(o, "- CPU: {} ({} cores available)", m.cpu_model, m.cores);
    let _ = writeln!(o, "- Kernel: {}", m.kernel);
    let _ = writeln!(o, "- Compiler: {}", m.rustc);
    if let Some(g) = &m.go {
        let _ = writeln!(o, "- Go: {g}");
    }
    if let Some(py) = &m.python {
        let _ = writeln!(o, "- Python: {py}");
    }
    let _ = writeln!(o, "- Date: {}", m.date);
    let _ = writeln!(
        o,
        "- Commit: {}",
        m.git_commit.as_deref().unwrap_or("unknown (no git)")
    );
    let _ = writeln!(
        o,
        "- Parameters: {} run, {} repetitions, spin {} ms, CPU-bound unit ≈ {} ms ({} iterations), {} live units in the thread-id experiment; live units for memory: {}",
        if p.quick { "quick" } else { "full" },
        p.reps,
        p.spin_ms,
        p.work_ms,
        p.work_iters,
        p.tid_units,
        Kind::ALL
            .iter()
            .map(|k| format!("{} {}", k.as_str(), p.memory_count(*k)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(l) = m.load_average_start {
        let end = m
            .load_average_end
            .map_or(String::new(), |e| format!(", at the end {:.2}", e[0]));
        let _ = writeln!(o, "- Load average (1 min) at the start: {:.2}{end}", l[0]);
    }
    o.push('\n');
    if let Some(w) = m.busy_warning() {
        let _ = writeln!(o, "> **Warning**: {w}.\n");
    }
    o.push_str("## Summary\n\n");
    o.push_str(&summary_table(report));
    o.push_str("\n\"≠article\" marks a cell where this machine disagrees with the article.\n\n");

    o.push_str("## Memory per live, suspended unit\n\n");
    o.push_str(
        "| Row | Resident | Reserved virtual | Article | Holds here? |\n|---|---|---|---|---|\n",
    );
    for r in &report.rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} ({}) | {} |",
            r.label,
            skip_or(r, stat_cell(r.memory_bytes.as_ref(), bytes)),
            stat_cell(r.virtual_bytes.as_ref(), bytes),
            r.article.memory,
            r.article.column,
            holds_word(r.article.holds.memory_bytes)
        );
    }
    o.push_str("\nThe article's \"Mb\"/\"Kb\" are read as MiB/KiB per unit; \"≤ Nx2Mb\" as at most 2 MiB per thread. Its \"Goroutine ≥ 8Kb\" predates Go 1.4's 2 KiB initial stacks; threads reserve their whole stack as virtual memory but touch only a few pages.\n");
    for r in &report.rows {
        if let (Some(size), None) = (r.method.size_of_bytes, &r.skipped) {
            let _ = writeln!(
                o,
                "\n{}: `size_of` one unit = {}; heap per unit counted by the allocator wrapper = {}.",
                r.label,
                bytes(size),
                stat_cell(r.method.heap_bytes.as_ref(), bytes)
            );
        }
    }

    o.push_str("\n## Creation and switching\n\n");
    o.push_str("| Row | Create, run to first suspension, destroy | Switch round trip (two switches) | Article |\n|---|---|---|---|\n");
    for r in &report.rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | no claim |",
            r.label,
            skip_or(r, stat_cell(r.create_ns.as_ref(), nanos)),
            stat_cell(r.switch_ns.as_ref(), nanos)
        );
    }

    o.push_str("\n## Properties, each decided by an experiment\n\n");
    o.push_str("| Row | Managed by OS | Own address space | Pre-emptive | Parallel |\n|---|---|---|---|---|\n");
    for r in &report.rows {
        if r.skipped.is_some() {
            let _ = writeln!(o, "| {} | {} | | | |", r.label, skip_or(r, String::new()));
            continue;
        }
        let cell = |v: Option<bool>, claim: bool, h: Option<bool>| {
            format!(
                "{} (article: {}, {})",
                yes_no(v),
                claim_word(claim),
                holds_word(h)
            )
        };
        let a = &r.article;
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            r.label,
            cell(r.managed_by_os, a.managed_by_os, a.holds.managed_by_os),
            cell(
                r.own_address_space,
                a.own_address_space,
                a.holds.own_address_space
            ),
            cell(r.preemptive, a.preemptive, a.holds.preemptive),
            cell(r.parallel, a.parallel, a.holds.parallel),
        );
    }

    o.push_str("\n## How each figure was measured\n");
    for r in &report.rows {
        let _ = writeln!(o, "\n### {} (`{}`)\n", r.label, r.kind.as_str());
        if let Some(why) = &r.skipped {
            let _ = writeln!(o, "- **Skipped**: {why}");
        }
        let me = &r.method;
        for (name, text) in [
            ("Memory (resident)", &me.memory_bytes),
            ("Memory (virtual)", &me.virtual_bytes),
            ("Create", &me.create_ns),
            ("Switch", &me.switch_ns),
            ("Managed by OS", &me.managed_by_os),
            ("Own address space", &me.own_address_space),
            ("Pre-emptive", &me.preemptive),
            ("Parallel", &me.parallel),
        ] {
            if !text.is_empty() {
                let _ = writeln!(o, "- {name}: {text}.");
            }
        }
        for n in &me.notes {
            let _ = writeln!(o, "- Note: {n}.");
        }
    }
    o.push_str("\n## Choosing a style (generated from the figures above)\n\n");
    o.push_str(&guide(report));
    o
}

fn skip_or(r: &Row, s: String) -> String {
    match &r.skipped {
        Some(why) => format!("skipped: {why}"),
        None => s,
    }
}

fn measured(report: &Report) -> impl Iterator<Item = &Row> {
    report.rows.iter().filter(|r| r.skipped.is_none())
}

fn find(report: &Report, k: Kind) -> Option<&Row> {
    measured(report).find(|r| r.kind == k)
}

fn names(rows: &[&Row]) -> String {
    if rows.is_empty() {
        "none".to_string()
    } else {
        rows.iter()
            .map(|r| r.kind.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The closing guide, written from the measured figures (medians).
pub fn guide(report: &Report) -> String {
    let mut g = String::new();
    fn med(s: &Option<Stat>) -> Option<f64> {
        s.as_ref().map(|s| s.median)
    }
    let thread = find(report, Kind::OsThread);
    let by = |f: fn(&Row) -> Option<f64>| {
        let mut v: Vec<(&Row, f64)> = measured(report)
            .filter_map(|r| f(r).map(|x| (r, x)))
            .collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        v
    };
    let mem = by(|r| med(&r.memory_bytes).map(|x| x.max(1.0)));
    if let Some((best, b)) = mem.first() {
        let _ = write!(
            g,
            "- **Many units alive at once** (connections, timers, pipeline stages): the cheapest to hold here is `{}` at {} per unit",
            best.kind.as_str(),
            bytes(*b)
        );
        if let Some(t) = thread.and_then(|t| med(&t.memory_bytes)) {
            let _ = write!(g, "; an OS thread costs {} ({:.0}x more)", bytes(t), t / b);
        }
        g.push_str(". A million live units would need: ");
        g.push_str(
            &mem.iter()
                .map(|(r, b)| format!("{} {}", r.kind.as_str(), bytes(b * 1e6)))
                .collect::<Vec<_>>()
                .join(", "),
        );
        g.push_str(".\n");
    }
    let sw = by(|r| med(&r.switch_ns));
    if let (Some((best, b)), Some((worst, w))) = (sw.first(), sw.last()) {
        let _ = write!(
            g,
            "- **Frequent hand-offs** (generators, parsers, producer/consumer): the fastest round trip is `{}` at {}, the slowest `{}` at {} ({:.0}x).",
            best.kind.as_str(),
            nanos(*b),
            worst.kind.as_str(),
            nanos(*w),
            w / b
        );
        if let Some(t) = thread
            .filter(|t| t.kind != worst.kind)
            .and_then(|t| med(&t.switch_ns))
        {
            let _ = write!(g, " Between OS threads a round trip costs {}.", nanos(t));
        }
        g.push('\n');
    }
    let cr = by(|r| med(&r.create_ns));
    if let Some((best, b)) = cr.first() {
        let _ = writeln!(
            g,
            "- **Short-lived units** (one per request or item): creating and destroying one costs from {} (`{}`) to {}.",
            nanos(*b),
            best.kind.as_str(),
            cr.iter()
                .skip(1)
                .map(|(r, x)| format!("{} (`{}`)", nanos(*x), r.kind.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let pick = |f: fn(&Row) -> Option<bool>| -> Vec<&Row> {
        measured(report).filter(|r| f(r) == Some(true)).collect()
    };
    let par = pick(|r| r.parallel);
    let busy = if report.machine.busy_warning().is_some() {
        " This run was on a busy machine (see the warning at the top), where even units that can run in parallel may find no second free core: rerun it on an idle machine before deciding on this line."
    } else {
        ""
    };
    let _ = writeln!(
        g,
        "- **CPU-bound work over several cores**: the styles that ran two CPU-bound units in about the time of one here: {}. The single-threaded coroutine styles take turns on their thread by design; combine them with threads (or a multi-threaded runtime) for CPU work.{busy}",
        names(&par)
    );
    let pre = pick(|r| r.preemptive);
    let _ = writeln!(
        g,
        "- **Units you do not trust to yield** (long computations, third-party code): pre-emptive here: {}. With the others, a unit that never yields holds its thread until it does.",
        names(&pre)
    );
    let iso = pick(|r| r.own_address_space);
    let _ = writeln!(
        g,
        "- **Isolation** (a crash or memory bug must not take the others down): own address space here: {}; all other styles share memory, and a bug in one unit can corrupt the rest.",
        names(&iso)
    );
    if let (Some(sl), Some(sf)) = (find(report, Kind::Stackless), find(report, Kind::Stackful))
        && let (Some(a), Some(b)) = (med(&sl.memory_bytes), med(&sf.memory_bytes))
    {
        let _ = writeln!(
            g,
            "- **Stackless or stackful in Rust**: a native stackless coroutine held {} here, a corosensei coroutine {} ({:.0}x), because the stackful one keeps a real stack; in exchange it can suspend from inside nested ordinary function calls, which a stackless coroutine can only do if every function on the way is itself a coroutine.",
            bytes(a),
            bytes(b),
            b / a.max(1.0)
        );
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_row_keeps_reason_and_no_figures() {
        let r = build_row(Kind::Goroutine, Err("go not found: x".into()));
        assert_eq!(r.skipped.as_deref(), Some("go not found: x"));
        assert!(r.memory_bytes.is_none() && r.parallel.is_none());
        let v = serde_json::to_value(&r).expect("serialise");
        assert_eq!(v["skipped"], "go not found: x");
        assert!(v["memory_bytes"].is_null());
    }

    #[test]
    fn measured_row_has_no_skipped_key() {
        let s = Samples {
            memory_bytes: vec![100.0],
            virtual_bytes: vec![200.0],
            create_ns: vec![1.0],
            switch_ns: vec![2.0],
            creator_tid: 1,
            unit_tids: vec![1, 1],
            written: 5,
            seen: 5,
            spin_ns: 100.0,
            spinners: 1,
            probe_latency_ns: 100.0,
            one_ns: vec![10.0],
            two_ns: vec![20.0],
            two_cpu_ns: vec![20.0],
            ..Samples::default()
        };
        let r = build_row(Kind::Stackless, Ok(s));
        let v = serde_json::to_value(&r).expect("serialise");
        assert!(v.get("skipped").is_none());
        assert_eq!(r.article.holds.managed_by_os, Some(true));
        assert_eq!(r.parallel, Some(false));
    }
}
