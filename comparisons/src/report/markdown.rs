//! The markdown report, `comparison.md`: the machine, the summary table, each figure next to the
//! article's claim, how each was measured, and the guide. [`summary_table`] is also what the
//! `comparisons` binary prints.

use std::fmt::Write as _;

use super::guide::guide;
use super::model::{Report, Row};
use super::units::{bytes, nanos};
use crate::kind::Kind;
use crate::stats::Stat;

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
