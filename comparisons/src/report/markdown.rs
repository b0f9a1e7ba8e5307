//! The markdown report, `comparison.md`: the machine and its noise, the summary table, each figure
//! next to the article's claim, how each was measured, and the guide. [`summary_table`] is also
//! what the `comparisons` binary prints.

use std::fmt::Write as _;

use super::guide::guide;
use super::model::{Report, Row, Timing};
use super::units::{bytes, nanos};
use crate::classify::Basis;
use crate::kind::Kind;
use crate::stats::Stat;

fn stat_cell(s: Option<&Stat>, f: fn(f64) -> String) -> String {
    match s {
        Some(s) => format!("{} ({} – {})", f(s.median), f(s.min), f(s.max)),
        None => "—".to_string(),
    }
}

/// A timed figure: median (min – max) of the repetitions, then p50 / p99 of the timed entries.
fn timing_cell(t: Option<&Timing>) -> String {
    match t {
        Some(t) => {
            let mut s = format!(
                "{} ({} – {}); p50 {}, p99 {}",
                nanos(t.stat.median),
                nanos(t.stat.min),
                nanos(t.stat.max),
                nanos(t.p50),
                nanos(t.p99)
            );
            if t.batch > 1 {
                let _ = write!(s, " per batch of {}", t.batch);
            }
            if let Some(a) = t.ends_on_different_cpus {
                let _ = write!(s, "; ends apart {:.0}%", 100.0 * a);
            }
            s
        }
        None => "—".to_string(),
    }
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "uncertain",
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

fn median(t: Option<&Timing>) -> String {
    t.map_or("—".to_string(), |t| nanos(t.stat.median))
}

/// The compact table printed on stdout: medians and yes/no answers, one line per row.
pub fn summary_table(report: &Report) -> String {
    let mut t = String::new();
    t.push_str("| Row | Memory: user + kernel | Create | Switch: same CPU | cross CPU | unpinned | Managed by OS | Own address space | Pre-emptive | Parallel |\n");
    t.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for r in &report.rows {
        if let Some(why) = &r.skipped {
            let _ = writeln!(
                t,
                "| {} | skipped: {why} | | | | | | | | |",
                r.kind.as_str()
            );
            continue;
        }
        let flag = |v: Option<bool>, h: Option<bool>| {
            format!(
                "{}{}",
                yes_no(v),
                if h == Some(false) { " ≠article" } else { "" }
            )
        };
        let memory = match (&r.memory_bytes, &r.kernel_bytes) {
            (Some(u), Some(k)) => format!("{} + {}", bytes(u.median), bytes(k.median)),
            (Some(u), None) => bytes(u.median),
            _ => "—".to_string(),
        };
        let _ = writeln!(
            t,
            "| {} | {memory}{} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.kind.as_str(),
            if r.article.holds.memory_bytes == Some(false) {
                " ≠article"
            } else {
                ""
            },
            median(r.create_ns.as_ref()),
            median(r.switch_ns.as_ref()),
            median(r.switch_cross_cpu_ns.as_ref()),
            median(r.switch_unpinned_ns.as_ref()),
            flag(r.managed_by_os, r.article.holds.managed_by_os),
            flag(r.own_address_space, r.article.holds.own_address_space),
            flag(r.preemptive, r.article.holds.preemptive),
            flag(r.parallel, r.article.holds.parallel),
        );
    }
    t
}

fn header(o: &mut String, report: &Report) {
    let m = &report.machine;
    let p = &m.params;
    let _ = writeln!(o, "# Coroutine styles compared, measured on this machine\n");
    let _ = writeln!(
        o,
        "The article's table (Process / Native thread / Green thread / Goroutine / Coroutine), each cell measured. Every figure is the median of {} repetitions with min – max in brackets; timed figures also give the 50th and 99th percentiles of every timed operation (or batch). Properties are decided by {} repetitions of their experiment and are \"uncertain\" when those disagree.\n",
        p.reps, p.property_reps
    );
    let _ = writeln!(
        o,
        "- CPU: {} ({} cores available: {:?})",
        m.cpu_model, m.cores, m.cpus_allowed
    );
    let _ = writeln!(
        o,
        "- Virtual machine: {}{}; transparent huge pages: {}; CPU frequency governor: {}; memory: {}",
        match m.virtualised {
            Some(true) => "yes",
            Some(false) => "no",
            None => "unknown",
        },
        m.hypervisor
            .as_deref()
            .map_or(String::new(), |h| format!(" ({h})")),
        m.transparent_hugepages.as_deref().unwrap_or("unknown"),
        m.cpu_governor.as_deref().unwrap_or("not readable"),
        m.mem_total_bytes
            .map_or("unknown".to_string(), |b| bytes(b as f64))
    );
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
        "- Parameters: {} run, {} repetitions ({} for the properties), spin {} ms, CPU-bound unit ≈ {} ms ({} iterations), at least {} live units in the managed-by-OS experiment; live units for memory: {}",
        if p.quick { "quick" } else { "full" },
        p.reps,
        p.property_reps,
        p.spin_ms,
        p.work_ms,
        p.work_iters,
        p.managed_units,
        Kind::ALL
            .iter()
            .map(|k| format!("{} {}", k.as_str(), p.memory_count(*k)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(n) = &m.noise {
        let _ = writeln!(o, "- Noise over the whole run: {}", n.describe());
    }
    if let (Some(a), Some(b)) = (m.load_average_start, m.load_average_end) {
        let _ = writeln!(
            o,
            "- Load average (1 min) at the start {:.2}, at the end {:.2} (not judged: the tool's own threads and children raise it)",
            a[0], b[0]
        );
    }
    o.push('\n');
    if let Some(w) = m.busy_warning() {
        let _ = writeln!(o, "> **Warning**: {w}.\n");
    }
}

fn memory_section(o: &mut String, report: &Report) {
    o.push_str("## Memory per live, suspended unit\n\n");
    o.push_str("Three layers: the unit as an object (`size_of` its handle plus its heap, where that applies), the user space it adds to its process (resident; PSS for processes), and the kernel's own memory for it (`KernelStack` + `PageTables` + `SUnreclaim` growth in `/proc/meminfo`, system-wide). The article's cell is checked against user + kernel.\n\n");
    o.push_str("| Row | Object | User space | Kernel (stack / page tables / slab) | User + kernel | Reserved virtual | Article | Holds here? |\n|---|---|---|---|---|---|---|---|\n");
    for r in &report.rows {
        if r.skipped.is_some() {
            let _ = writeln!(
                o,
                "| {} | {} | | | | | | |",
                r.label,
                skip_or(r, String::new())
            );
            continue;
        }
        let parts = r.kernel_parts.as_ref().map_or("—".to_string(), |k| {
            format!(
                "{} / {} / {}",
                bytes(k.kernel_stack_bytes.median),
                bytes(k.page_tables_bytes.median),
                bytes(k.slab_unreclaimable_bytes.median)
            )
        });
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} ({parts}) | {} | {} | {} ({}) | {} |",
            r.label,
            r.object_bytes
                .as_ref()
                .map_or("—".to_string(), |s| stat_cell(Some(s), bytes)),
            stat_cell(r.memory_bytes.as_ref(), bytes),
            stat_cell(r.kernel_bytes.as_ref(), bytes),
            r.total_memory().map_or("—".to_string(), bytes),
            stat_cell(r.virtual_bytes.as_ref(), bytes),
            r.article.memory,
            r.article.column,
            holds_word(r.article.holds.memory_bytes)
        );
    }
    o.push_str("\nThe article's \"Mb\"/\"Kb\" are read as MiB/KiB per unit; \"≤ Nx2Mb\" as at most 2 MiB per thread. Its \"Goroutine ≥ 8Kb\" predates Go 1.4's 2 KiB initial stacks; threads reserve their whole stack as virtual memory but touch only a few pages. The coroutine column's \"≥ 0Mb\" holds for any figure, so it is not checked (—). The kernel layer is system-wide: a unit that costs the kernel nothing shows the machine's other activity divided by the unit count (a few bytes either way).\n");
    o.push_str("\n![Memory per live unit: user space, the kernel's part on top](memory.svg)\n");
    for r in &report.rows {
        if let (Some(size), None) = (r.method.size_of_bytes, &r.skipped) {
            let _ = writeln!(
                o,
                "\n{}: `size_of` one unit's state = {}; heap per unit counted by the allocator wrapper = {}.",
                r.label,
                bytes(size),
                stat_cell(r.method.heap_bytes.as_ref(), bytes)
            );
        }
    }
}

fn timing_section(o: &mut String, report: &Report) {
    o.push_str("\n## Creation\n\n");
    o.push_str("The same work in every row: create a unit, run it to its first suspension, resume it once more so that it runs to its end, free it (what exactly, per row, is under \"How each figure was measured\"). Rows scheduled by the kernel or a runtime: with the creator pinned to one CPU (the new unit inherits it), and unpinned. The last column is not creation: a unit on a pooled stack dropped while suspended, which unwinds a stackful coroutine's stack.\n\n");
    o.push_str("| Row | Create (one CPU, or the creating thread) | Unpinned | Pooled stack | Dropped while suspended |\n|---|---|---|---|---|\n");
    for r in &report.rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            r.label,
            skip_or(r, timing_cell(r.create_ns.as_ref())),
            timing_cell(r.create_unpinned_ns.as_ref()),
            timing_cell(r.create_pooled_ns.as_ref()),
            timing_cell(r.drop_suspended_ns.as_ref())
        );
    }
    o.push_str(
        "\n![Creation: create, run to the first suspension, run to the end, free](create.svg)\n",
    );
    stackful_against_goroutine(o, report);
    o.push_str("\n## Switching: one round trip (two switches)\n\n");
    o.push_str("Rows scheduled by the kernel or a runtime, three ways: both ends pinned to one CPU (the switch itself), pinned to two CPUs (a wake-up across cores), and unpinned (where the scheduler put them; \"ends apart\" is the share of round trips whose ends were on different CPUs). Coroutine rows run on their creator's thread: one figure.\n\n");
    o.push_str("| Row | Same CPU | Cross CPU | Unpinned |\n|---|---|---|---|\n");
    for r in &report.rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            r.label,
            skip_or(r, timing_cell(r.switch_ns.as_ref())),
            timing_cell(r.switch_cross_cpu_ns.as_ref()),
            timing_cell(r.switch_unpinned_ns.as_ref())
        );
    }
    o.push_str("\n![Round trips: same CPU, x: two CPUs, u: unpinned](switch.svg)\n");
}

fn find(report: &Report, k: Kind) -> Option<&Row> {
    report
        .rows
        .iter()
        .find(|r| r.kind == k && r.skipped.is_none())
}

fn med(t: Option<&Timing>) -> Option<f64> {
    t.map(|t| t.stat.median)
}

/// How far the stackful row's pooled creation is from a goroutine's, both measured in this run.
fn stackful_against_goroutine(o: &mut String, report: &Report) {
    let (Some(sf), Some(go)) = (find(report, Kind::Stackful), find(report, Kind::Goroutine)) else {
        return;
    };
    let (Some(pooled), Some(g)) = (
        med(sf.create_pooled_ns.as_ref()),
        med(go.create_ns.as_ref()),
    ) else {
        return;
    };
    let _ = write!(
        o,
        "\nStackful against goroutine, both measured in this run with the same work (created, run to the first suspension, run to the end, freed), on one CPU: a corosensei coroutine on a pooled stack takes {} and a goroutine {}, so the pooled stackful coroutine is {}",
        nanos(pooled),
        nanos(g),
        if pooled <= g {
            format!("{:.1}x faster", g / pooled)
        } else {
            format!("{:.1}x slower", pooled / g)
        }
    );
    if let Some(fresh) = med(sf.create_ns.as_ref()) {
        let _ = write!(
            o,
            "; on a freshly mapped stack it takes {} ({:.0}x a goroutine)",
            nanos(fresh),
            fresh / g
        );
    }
    if let Some(dropped) = med(sf.drop_suspended_ns.as_ref()) {
        let _ = write!(
            o,
            ". Dropping one while suspended instead of running it to its end costs {} (the forced unwind of its stack)",
            nanos(dropped)
        );
    }
    o.push_str(".\n");
}

/// Why spawned tasks and futures joined in one task differ, with this run's figures.
fn async_section(o: &mut String, report: &Report) {
    let (Some(task), Some(joined)) = (
        find(report, Kind::AsyncTask),
        find(report, Kind::AsyncJoined),
    ) else {
        return;
    };
    o.push_str("\n## Async: a spawned task against a future joined in one task\n\n");
    o.push_str("A task made with `tokio::spawn` is a unit of the runtime: one allocation of its own holding a header (state word, vtable, run-queue link, owner and id), the scheduler's handle, the future and a slot for its output (tokio aligns it to a cache line pair), a place on the runtime's run queue when woken, and a `JoinHandle` for its creator. A future polled inside one task (`join!`, `join_all`, `FuturesUnordered`) has none of that: it lives in its parent's state (or one node of the set), its parent polls it when its waker fires, and it never runs in parallel with its siblings; the price is that the parent task is the unit the runtime schedules, so a wake-up still goes through the runtime to the parent.\n\n");
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let mem = ratio(task.total_memory(), joined.total_memory());
    let sw = ratio(med(task.switch_ns.as_ref()), med(joined.switch_ns.as_ref()));
    let fmt_ratio = |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{r:.2}x"));
    let _ = writeln!(
        o,
        "| | async-task (spawned) | async-joined | spawned / joined |\n|---|---|---|---|\n| Memory per live unit, user + kernel | {} | {} | {} |\n| Round trip | {} | {} | {} |\n| Create, run to the end, free | {} | {} | {} |",
        task.total_memory().map_or("—".to_string(), bytes),
        joined.total_memory().map_or("—".to_string(), bytes),
        fmt_ratio(mem),
        median(task.switch_ns.as_ref()),
        median(joined.switch_ns.as_ref()),
        fmt_ratio(sw),
        median(task.create_ns.as_ref()),
        median(joined.create_ns.as_ref()),
        fmt_ratio(ratio(
            med(task.create_ns.as_ref()),
            med(joined.create_ns.as_ref())
        )),
    );
    // the same two in the scaling ring, at the largest N both reached
    let ring = report
        .scaling
        .iter()
        .filter(|p| p.kind == Kind::AsyncTask)
        .filter_map(|t| {
            let j = report
                .scaling
                .iter()
                .find(|p| p.kind == Kind::AsyncJoined && p.n == t.n)?;
            Some((t, j))
        })
        .max_by_key(|(t, _)| t.n);
    let mut ring_far = false;
    if let Some((t, j)) = ring {
        let (rm, rh) = (
            t.total_bytes() / j.total_bytes().max(1.0),
            t.handoff_ns / j.handoff_ns,
        );
        ring_far = !(0.5..=2.0).contains(&rm) || !(0.5..=2.0).contains(&rh);
        let _ = writeln!(
            o,
            "| In the scaling ring at N = {}: memory per unit | {} | {} | {rm:.2}x |\n| In the scaling ring at N = {}: hand-off | {} | {} | {rh:.2}x |",
            t.n,
            bytes(t.total_bytes()),
            bytes(j.total_bytes()),
            t.n,
            nanos(t.handoff_ns),
            nanos(j.handoff_ns),
        );
    }
    let far = |r: Option<f64>| r.is_some_and(|r| !(0.5..=2.0).contains(&r));
    let _ = writeln!(
        o,
        "\nThe joined form is a row of its own when it differs from a spawned task by more than 2x in memory or round trip (in the memory experiment, the round trips, or the scaling ring): here it {}.",
        if far(mem) || far(sw) || ring_far {
            "does"
        } else {
            "does not (it is measured all the same, so the difference can be seen)"
        }
    );
}

/// The scaling curves: table, chart, where each climbs and what stopped each.
fn scaling_section(o: &mut String, report: &Report) {
    if report.scaling.is_empty() && report.rows.iter().all(|r| r.scaling.is_none()) {
        return;
    }
    let m = &report.machine;
    let p = &m.params;
    o.push_str("\n## Scaling: a ring of N live units\n\n");
    let _ = writeln!(
        o,
        "N units of a style, each suspended until a token arrives and then handing it (plus one) to the next; the measuring end starts every lap by handing the token to unit 0 and ends it when the last unit hands it back. Time per hand-off = a lap's time / N (median of {} repetitions, each at least {} hand-offs in whole laps); at N = 1 a lap is a round trip between the measuring end and the unit. Units that wake each other (threads, processes, green threads, goroutines, tasks) pay one switch per hand-off; the coroutine rows are resumed one by one by the measuring end, so each of their hand-offs is a resume and a suspend. Memory per unit = user space + kernel after the first lap, over N (below a few hundred units it is dominated by page granularity). Each N runs in a fresh process pinned to one CPU. Every unit counts the tokens it is handed and checks each came in its turn. A row stops where the next N would exceed the memory budget ({}) or a system limit, predicted from the last N's measured needs per unit (memory, kernel tasks, mappings, open files), or where a ring could not be made.",
        p.reps,
        p.ring_min_handoffs,
        bytes(p.max_memory_bytes as f64)
    );
    if let Some(l) = &m.limits {
        let _ = writeln!(
            o,
            "\nLimits here: kernel.pid_max {}, kernel.threads-max {}, vm.max_map_count {}, open files (ulimit -n) {}, {} tasks alive at the start (a ring may take {:.0}% of the free task ids).",
            l.pid_max,
            l.threads_max,
            l.max_map_count,
            l.open_files,
            l.tasks_in_use,
            100.0 * crate::scaling::TASK_ID_SHARE
        );
    }
    let caches: Vec<String> = m
        .caches
        .iter()
        .map(|c| format!("L{} {}", c.level, bytes(c.size_bytes as f64)))
        .collect();
    let _ = writeln!(
        o,
        "Data caches: {}; data TLB: {}.\n",
        if caches.is_empty() {
            "not readable".to_string()
        } else {
            caches.join(", ")
        },
        m.tlb_entries.map_or(
            "not known (cpuid does not say on this CPU)".to_string(),
            |t| { format!("{t} entries for 4 KiB pages") }
        )
    );
    let mut ns: Vec<u64> = report.scaling.iter().map(|s| s.n).collect();
    ns.sort_unstable();
    ns.dedup();
    o.push_str("Time per hand-off / memory per unit (user + kernel):\n\n| Row |");
    for n in &ns {
        let _ = write!(o, " N = {n} |");
    }
    o.push_str(" Largest N | Stopped by |\n|---|");
    for _ in &ns {
        o.push_str("---|");
    }
    o.push_str("---|---|\n");
    for r in &report.rows {
        let Some(sc) = &r.scaling else { continue };
        let _ = write!(o, "| {} |", r.kind.as_str());
        for n in &ns {
            match report
                .scaling
                .iter()
                .find(|p| p.kind == r.kind && p.n == *n)
            {
                Some(p) => {
                    let _ = write!(
                        o,
                        " {} / {}{} |",
                        nanos(p.handoff_ns),
                        bytes(p.total_bytes()),
                        if p.every_unit_once_per_lap {
                            ""
                        } else {
                            " (**lap check failed**)"
                        }
                    );
                }
                None => o.push_str(" — |"),
            }
        }
        let _ = writeln!(
            o,
            " {} | {} |",
            sc.largest_n.map_or("—".to_string(), |n| n.to_string()),
            sc.stopped_by
        );
    }
    o.push_str(
        "\n![Scaling: time per hand-off and memory per unit against N, log-log](scaling.svg)\n\n",
    );
    let failed: Vec<String> = report
        .scaling
        .iter()
        .filter(|p| !p.every_unit_once_per_lap)
        .map(|p| format!("{} at N = {}", p.kind.as_str(), p.n))
        .collect();
    if failed.is_empty() {
        o.push_str("Every unit was handed the token exactly once per lap, each time in its turn, in every ring.\n\n");
    } else {
        let _ = writeln!(
            o,
            "**Not every unit was handed the token once per lap** in: {} (those figures are wrong).\n",
            failed.join(", ")
        );
    }
    o.push_str("Where the cost per hand-off climbs (more than 1.5x its lowest), and what changed there. Page faults and context switches are counted (system-wide, during the timed laps); caches and the TLB are the ring's measured memory and pages set against the CPU's sizes (this VM exposes no hardware cache or TLB counters).\n\n");
    for r in &report.rows {
        let Some(sc) = &r.scaling else { continue };
        let Some(c) = &sc.climb else { continue };
        let _ = writeln!(
            o,
            "- `{}`: lowest {} per hand-off at N = {}; keeps within 1.5x of it up to N = {}{}. {}.",
            r.kind.as_str(),
            nanos(c.lowest_ns),
            c.lowest_n,
            c.keeps_up_to_n,
            match c.climbs_from_n {
                Some(n) => format!(
                    "; climbs from N = {n}, to {:.1}x at N = {}",
                    c.factor_at_largest,
                    sc.largest_n.unwrap_or(n)
                ),
                None => String::new(),
            },
            upper_first(&c.cause)
        );
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn properties_section(o: &mut String, report: &Report) {
    o.push_str("\n## Properties, each decided by an experiment (or fixed by construction)\n\n");
    o.push_str("| Row | Managed by OS | Own address space | Pre-emptive | Parallel |\n|---|---|---|---|---|\n");
    for r in &report.rows {
        let Some(p) = &r.properties else {
            let _ = writeln!(o, "| {} | {} | | | |", r.label, skip_or(r, String::new()));
            continue;
        };
        let cell = |v: Option<bool>, claim: bool, h: Option<bool>, basis: Basis| {
            format!(
                "{}{} (article: {}, {})",
                yes_no(v),
                if basis == Basis::Construction {
                    ", by construction"
                } else {
                    ""
                },
                claim_word(claim),
                holds_word(h)
            )
        };
        let a = &r.article;
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            r.label,
            cell(
                r.managed_by_os,
                a.managed_by_os,
                a.holds.managed_by_os,
                p.managed_by_os.basis
            ),
            cell(
                r.own_address_space,
                a.own_address_space,
                a.holds.own_address_space,
                p.own_address_space.basis
            ),
            cell(
                r.preemptive,
                a.preemptive,
                a.holds.preemptive,
                p.preemptive.basis
            ),
            cell(r.parallel, a.parallel, a.holds.parallel, p.parallel.basis),
        );
    }
    let uncertain: Vec<String> = report
        .rows
        .iter()
        .flat_map(|r| {
            r.uncertain
                .iter()
                .map(move |u| format!("- `{}` {}: {}", r.kind.as_str(), u.property, u.evidence))
        })
        .collect();
    if !uncertain.is_empty() {
        o.push_str("\n**Uncertain** (the repetitions disagreed; rerun on a quiet machine):\n\n");
        for u in uncertain {
            let _ = writeln!(o, "{u}");
        }
    }
}

/// The full markdown report.
pub fn markdown(report: &Report) -> String {
    let mut o = String::new();
    header(&mut o, report);
    o.push_str("## Summary\n\n");
    o.push_str(&summary_table(report));
    o.push_str("\n\"≠article\" marks a cell where this machine disagrees with the article; \"uncertain\" a property whose repetitions disagreed.\n\n");
    memory_section(&mut o, report);
    timing_section(&mut o, report);
    async_section(&mut o, report);
    scaling_section(&mut o, report);
    properties_section(&mut o, report);

    o.push_str("\n## How each figure was measured\n");
    for r in &report.rows {
        let _ = writeln!(o, "\n### {} (`{}`)\n", r.label, r.kind.as_str());
        if let Some(why) = &r.skipped {
            let _ = writeln!(o, "- **Skipped**: {why}");
        }
        let me = &r.method;
        for (name, text) in [
            ("Memory (user space)", &me.memory_bytes),
            ("Memory (kernel)", &me.kernel_bytes),
            ("Memory (object)", &me.object_bytes),
            ("Memory (virtual)", &me.virtual_bytes),
            ("Create", &me.create_ns),
            ("Switch", &me.switch_ns),
            ("Scaling ring", &me.ring),
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
        if !r.noise.is_empty() {
            let busy: Vec<String> = r
                .noise
                .iter()
                .map(|(e, n)| {
                    format!(
                        "{e} {:.0}% / {:.0}%",
                        100.0 * n.steal_share(),
                        100.0 * n.other_share()
                    )
                })
                .collect();
            let _ = writeln!(
                o,
                "- Noise (steal / other processes, share of the machine's CPU time): {}.",
                busy.join(", ")
            );
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
