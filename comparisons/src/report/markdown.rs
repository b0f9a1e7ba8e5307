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
