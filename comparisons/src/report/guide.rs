//! The closing guide to choosing a style, written from the measured medians: memory is user space
//! plus kernel, round trips are the same-CPU figure (with the cross-CPU one for threads).

use std::fmt::Write as _;

use super::model::{Report, Row, Timing};
use super::units::{bytes, nanos};
use crate::kind::Kind;

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
    let thread = find(report, Kind::OsThread);
    let by = |f: fn(&Row) -> Option<f64>| {
        let mut v: Vec<(&Row, f64)> = measured(report)
            .filter_map(|r| f(r).map(|x| (r, x)))
            .collect();
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
        v
    };
    let mem = by(|r| r.total_memory().map(|x| x.max(1.0)));
    if let Some((best, b)) = mem.first() {
        let _ = write!(
            g,
            "- **Many units alive at once** (connections, timers, pipeline stages): the cheapest to hold here (user space + kernel) is `{}` at {} per unit",
            best.kind.as_str(),
            bytes(*b)
        );
        if let Some(t) = thread.and_then(Row::total_memory) {
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
    fn tmed(t: &Option<Timing>) -> Option<f64> {
        t.as_ref().map(|t| t.stat.median)
    }
    let sw = by(|r| tmed(&r.switch_ns));
    if let (Some((best, b)), Some((worst, w))) = (sw.first(), sw.last()) {
        let _ = write!(
            g,
            "- **Frequent hand-offs** (generators, parsers, producer/consumer): the fastest round trip is `{}` at {}, the slowest `{}` at {} ({:.0}x), with both ends on one CPU.",
            best.kind.as_str(),
            nanos(*b),
            worst.kind.as_str(),
            nanos(*w),
            w / b
        );
        if let Some(t) = thread
            && let Some(same) = tmed(&t.switch_ns)
        {
            let _ = write!(
                g,
                " Between OS threads a round trip costs {} on one CPU",
                nanos(same)
            );
            match tmed(&t.switch_cross_cpu_ns) {
                Some(cross) => {
                    let _ = write!(
                        g,
                        " and {} across two CPUs, where the other end has to be woken up; unpinned, it is whichever the scheduler picks ({}).",
                        nanos(cross),
                        tmed(&t.switch_unpinned_ns).map_or("not measured".to_string(), nanos)
                    );
                }
                None => g.push('.'),
            }
        }
        g.push('\n');
    }
    many_live_units(&mut g, report);
    // a row with a pooled stack creates on it
    let cr = by(|r| match (tmed(&r.create_pooled_ns), tmed(&r.create_ns)) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (p, c) => p.or(c),
    });
    if let Some((best, b)) = cr.first() {
        let _ = writeln!(
            g,
            "- **Short-lived units** (one per request or item): creating and destroying one costs from {} (`{}`) to {}.",
            nanos(*b),
            best.kind.as_str(),
            cr.iter()
                .skip(1)
                .map(|(r, x)| {
                    let pooled = tmed(&r.create_pooled_ns) == Some(*x);
                    format!(
                        "{} (`{}`{})",
                        nanos(*x),
                        r.kind.as_str(),
                        if pooled { ", pooled stack" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let pick = |f: fn(&Row) -> Option<bool>| -> Vec<&Row> {
        measured(report).filter(|r| f(r) == Some(true)).collect()
    };
    let par = pick(|r| r.parallel);
    let unsure: Vec<&Row> = measured(report)
        .filter(|r| !r.uncertain.is_empty())
        .collect();
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
    if !unsure.is_empty() {
        let _ = writeln!(
            g,
            "- **Undecided here**: {} had a property whose repetitions disagreed (listed under Properties); the lines above leave them out of that property.",
            names(&unsure)
        );
    }
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
        && let (Some(a), Some(b)) = (sl.total_memory(), sf.total_memory())
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

/// The scaling point of `k` at `n`, if measured.
fn point(report: &Report, k: Kind, n: u64) -> Option<&crate::scaling::ScalingPoint> {
    report.scaling.iter().find(|p| p.kind == k && p.n == n)
}

/// The largest N measured for `k`, with its point.
fn largest(report: &Report, k: Kind) -> Option<&crate::scaling::ScalingPoint> {
    report
        .scaling
        .iter()
        .filter(|p| p.kind == k)
        .max_by_key(|p| p.n)
}

/// The scaling lines: when an async task beats a thread or a stackful coroutine for many live
/// units, and up to what N each style keeps its cost per hand-off.
fn many_live_units(g: &mut String, report: &Report) {
    if report.scaling.is_empty() {
        return;
    }
    let reach = |k: Kind| -> Option<String> {
        let r = find(report, k)?;
        let sc = r.scaling.as_ref()?;
        // the limit's name; the Scaling section has the whole reason
        let why = sc.stopped_by.split(':').next().unwrap_or(&sc.stopped_by);
        Some(format!(
            "`{}` up to N = {} ({why})",
            k.as_str(),
            sc.largest_n.map_or("—".to_string(), |n| n.to_string()),
        ))
    };
    if let Some(task) = largest(report, Kind::AsyncTask) {
        let _ = write!(
            g,
            "- **Async task, thread or stackful coroutine, for many live units** (connections that mostly wait): at N = {} an async task (tokio::spawn) held {} per unit and passed the token in {}",
            task.n,
            bytes(task.total_bytes()),
            nanos(task.handoff_ns)
        );
        for (k, what) in [
            (Kind::OsThread, "an OS thread"),
            (Kind::Stackful, "a stackful coroutine"),
        ] {
            // the same N if the other style reached it, else its largest
            let other = point(report, k, task.n).or_else(|| largest(report, k));
            if let Some(o) = other {
                let _ = write!(
                    g,
                    "; {what} at N = {} {} per unit ({:.0}x the task's) and {} per hand-off ({:.1}x)",
                    o.n,
                    bytes(o.total_bytes()),
                    o.total_bytes() / task.total_bytes().max(1.0),
                    nanos(o.handoff_ns),
                    o.handoff_ns / task.handoff_ns
                );
            }
        }
        g.push_str(". A task keeps only its future's state (no stack of its own), and a waiting task costs the kernel nothing. ");
        let reached: Vec<String> = [
            Kind::AsyncTask,
            Kind::OsThread,
            Kind::Stackful,
            Kind::Process,
        ]
        .into_iter()
        .filter_map(reach)
        .collect();
        if !reached.is_empty() {
            let _ = write!(g, "How far each went here: {}.", reached.join("; "));
        }
        g.push('\n');
    }
    let keeps: Vec<String> = report
        .rows
        .iter()
        .filter_map(|r| {
            let c = r.scaling.as_ref()?.climb.as_ref()?;
            Some(match c.climbs_from_n {
                Some(n) => format!(
                    "`{}` up to N = {} (climbs from N = {n})",
                    r.kind.as_str(),
                    c.keeps_up_to_n
                ),
                None => format!(
                    "`{}` up to N = {}, the largest measured",
                    r.kind.as_str(),
                    c.keeps_up_to_n
                ),
            })
        })
        .collect();
    if !keeps.is_empty() {
        let _ = writeln!(
            g,
            "- **Up to what N each style keeps its cost per hand-off** (within 1.5x of its lowest; the Scaling section says what changes where it climbs): {}.",
            keeps.join(", ")
        );
    }
}
