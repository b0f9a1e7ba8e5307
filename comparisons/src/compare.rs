//! `comparisons compare A.json B.json [...]`: one report from the JSON of runs on different
//! machines. Each figure is shown per machine, and beside it each style's ratio to the OS thread
//! of the same machine: a machine twice as fast moves every figure, but the ratios between styles
//! are what carries from one machine to another, so the report gives their spread across the
//! machines too. A run's JSON holds everything this needs (the machine, the parameters, every
//! figure with its repetitions, the scaling curves), and a row skipped on one machine stays in
//! the tables with its reason.

use crate::chart::{self, Bar, Line};
use crate::kind::Kind;
use crate::report::model::{Report, Row, Timing};
use crate::report::{bytes, nanos};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One run to compare: its label (A, B, ...), where it came from, and its report.
#[derive(Debug, Clone)]
pub struct Run {
    /// A, B, C, ... in the order given.
    pub label: String,
    /// The file it was read from.
    pub path: PathBuf,
    /// The run's report.
    pub report: Report,
}

/// The style every ratio is taken against: the article's native thread.
pub const REFERENCE: Kind = Kind::OsThread;

/// Reads a run's `comparison.json`.
pub fn load(path: &Path) -> Result<Report> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a comparison report (comparison.json)",
            path.display()
        )
    })
}

/// Labels runs A, B, C, ... (then A2, B2, ... past Z).
pub fn label(i: usize) -> String {
    let letter = char::from(b'A' + (i % 26) as u8);
    if i < 26 {
        letter.to_string()
    } else {
        format!("{letter}{}", i / 26 + 1)
    }
}

/// Reads every file, labelled in order.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Run>> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(Run {
                label: label(i),
                path: p.clone(),
                report: load(p)?,
            })
        })
        .collect()
}

/// The kinds any of the runs has, in report order.
fn kinds(runs: &[Run]) -> Vec<Kind> {
    Kind::ALL
        .into_iter()
        .filter(|k| {
            runs.iter()
                .any(|r| r.report.rows.iter().any(|x| x.kind == *k))
        })
        .collect()
}

fn row(run: &Run, k: Kind) -> Option<&Row> {
    run.report.rows.iter().find(|r| r.kind == k)
}

/// A figure of a row.
type Figure = fn(&Row) -> Option<f64>;

fn timing(t: &Option<Timing>) -> Option<f64> {
    t.as_ref().map(|t| t.stat.median)
}

/// A figure compared: its name, how to print it, how to read it from a row.
type Compared = (&'static str, fn(f64) -> String, Figure);

/// The figures compared.
const FIGURES: [Compared; 5] = [
    (
        "Memory per live unit (user + kernel)",
        bytes,
        Row::total_memory,
    ),
    ("Create, run to the end, free", nanos, |r| {
        timing(&r.create_ns)
    }),
    ("Round trip, same CPU", nanos, |r| timing(&r.switch_ns)),
    ("Round trip, two CPUs", nanos, |r| {
        timing(&r.switch_cross_cpu_ns)
    }),
    ("Round trip, unpinned", nanos, |r| {
        timing(&r.switch_unpinned_ns)
    }),
];

/// A row's figure on a run, or why there is none.
fn cell(run: &Run, k: Kind, f: Figure, unit: fn(f64) -> String) -> String {
    match row(run, k) {
        None => "not in this run".to_string(),
        Some(r) => match (&r.skipped, f(r)) {
            (Some(why), _) => format!("skipped: {why}"),
            (None, Some(x)) => unit(x),
            (None, None) => "—".to_string(),
        },
    }
}

/// A row's figure over the reference row's on the same run.
fn ratio(run: &Run, k: Kind, f: Figure) -> Option<f64> {
    let a = f(row(run, k).filter(|r| r.skipped.is_none())?)?;
    let b = f(row(run, REFERENCE).filter(|r| r.skipped.is_none())?)?;
    (b > 0.0).then(|| a / b)
}

/// A ratio as the tables print it: `12x`, `0.45x`, or `1/130` below a tenth.
///
/// ```
/// use comparisons::compare::ratio_text;
/// assert_eq!((ratio_text(12.3), ratio_text(0.456), ratio_text(0.0077)), ("12x".into(), "0.46x".into(), "1/130".into()));
/// ```
pub fn ratio_text(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.0}x")
    } else if x >= 0.1 {
        format!("{x:.2}x")
    } else if x > 0.0 {
        format!("1/{:.0}", 1.0 / x)
    } else {
        "—".to_string()
    }
}

fn header(o: &mut String, runs: &[Run]) {
    o.push_str("# Coroutine styles compared across machines\n\n");
    let _ = writeln!(
        o,
        "{} runs of `cargo run --release -p comparisons`, side by side. Each figure is the median of its run's repetitions (see each run's own report for ranges and percentiles). The ratios divide each style's figure by the OS thread's on the same machine: absolute figures move with the machine, the ratios between styles are what carries across machines, and their spread (largest / smallest across the machines) says how well.\n",
        runs.len()
    );
    o.push_str("| | Machine | Cores | VM | Kernel | Compiler | Go | Python | Run | Date | Commit | Noise |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in runs {
        let m = &r.report.machine;
        let _ = writeln!(
            o,
            "| **{}** ({}) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.label,
            r.path.display(),
            m.cpu_model,
            m.cores,
            match m.virtualised {
                Some(true) => "yes",
                Some(false) => "no",
                None => "?",
            },
            m.kernel,
            m.rustc,
            m.go.as_deref().unwrap_or("—"),
            m.python.as_deref().unwrap_or("—"),
            if m.params.quick { "quick" } else { "full" },
            m.date,
            m.git_commit.as_deref().unwrap_or("—"),
            m.noise.map_or("—".to_string(), |n| n.describe()),
        );
    }
    o.push('\n');
}

fn figures(o: &mut String, runs: &[Run]) {
    let ks = kinds(runs);
    for (name, unit, f) in FIGURES {
        let _ = writeln!(o, "## {name}\n");
        o.push_str("| Row |");
        for r in runs {
            let _ = write!(o, " {} |", r.label);
        }
        for r in runs {
            let _ = write!(o, " {} / os-thread |", r.label);
        }
        o.push_str(" Ratio spread |\n|---|");
        for _ in 0..2 * runs.len() + 1 {
            o.push_str("---|");
        }
        o.push('\n');
        for &k in &ks {
            let _ = write!(o, "| {} |", k.as_str());
            for r in runs {
                let _ = write!(o, " {} |", cell(r, k, f, unit));
            }
            let ratios: Vec<Option<f64>> = runs.iter().map(|r| ratio(r, k, f)).collect();
            for x in &ratios {
                let _ = write!(o, " {} |", x.map_or("—".to_string(), ratio_text));
            }
            let known: Vec<f64> = ratios.iter().flatten().copied().collect();
            let spread = match (
                known.iter().copied().reduce(f64::min),
                known.iter().copied().reduce(f64::max),
            ) {
                (Some(lo), Some(hi)) if known.len() > 1 && lo > 0.0 => format!("{:.2}", hi / lo),
                _ => "—".to_string(),
            };
            let _ = writeln!(o, " {spread} |");
        }
        o.push('\n');
    }
}

fn scaling(o: &mut String, runs: &[Run]) {
    if runs.iter().all(|r| r.report.scaling.is_empty()) {
        return;
    }
    o.push_str("## Scaling: a ring of N live units\n\nPer machine: the largest N reached (and what stopped it), where the cost per hand-off climbs, and the time per hand-off at each N.\n\n| Row |");
    for r in runs {
        let _ = write!(o, " {} |", r.label);
    }
    o.push_str("\n|---|");
    for _ in runs {
        o.push_str("---|");
    }
    o.push('\n');
    for k in kinds(runs) {
        let _ = write!(o, "| {} |", k.as_str());
        for r in runs {
            let text = match row(r, k).and_then(|x| x.scaling.as_ref()) {
                None => "—".to_string(),
                Some(s) => {
                    let mut t = format!(
                        "up to N = {} ({})",
                        s.largest_n.map_or("—".to_string(), |n| n.to_string()),
                        s.stopped_by
                    );
                    if let Some(c) = &s.climb {
                        let _ = write!(t, "; keeps its cost up to N = {}", c.keeps_up_to_n);
                        if let Some(n) = c.climbs_from_n {
                            let _ = write!(t, ", climbs from N = {n}");
                        }
                    }
                    t
                }
            };
            let _ = write!(o, " {text} |");
        }
        o.push('\n');
    }
    let mut ns: Vec<u64> = runs
        .iter()
        .flat_map(|r| r.report.scaling.iter().map(|p| p.n))
        .collect();
    ns.sort_unstable();
    ns.dedup();
    o.push_str("\nTime per hand-off:\n\n| Row | Machine |");
    for n in &ns {
        let _ = write!(o, " N = {n} |");
    }
    o.push_str("\n|---|---|");
    for _ in &ns {
        o.push_str("---|");
    }
    o.push('\n');
    for k in kinds(runs) {
        for r in runs {
            if !r.report.scaling.iter().any(|p| p.kind == k) {
                continue;
            }
            let _ = write!(o, "| {} | {} |", k.as_str(), r.label);
            for n in &ns {
                let p = r.report.scaling.iter().find(|p| p.kind == k && p.n == *n);
                let _ = write!(
                    o,
                    " {} |",
                    p.map_or("—".to_string(), |p| nanos(p.handoff_ns))
                );
            }
            o.push('\n');
        }
    }
    o.push_str("\n![Scaling per machine](compare-scaling.svg)\n");
}

/// The markdown report of `runs`.
pub fn markdown(runs: &[Run]) -> String {
    let mut o = String::new();
    header(&mut o, runs);
    figures(&mut o, runs);
    o.push_str("![Memory per live unit per machine](compare-memory.svg)\n\n![Round trip on one CPU per machine](compare-switch.svg)\n\n![Creation per machine](compare-create.svg)\n\n");
    scaling(&mut o, runs);
    o
}

/// Bars of one figure: for every row, one bar per machine that measured it.
fn bars(runs: &[Run], f: Figure) -> Vec<Bar> {
    let mut out = Vec::new();
    for k in kinds(runs) {
        for (i, r) in runs.iter().enumerate() {
            let Some(x) = row(r, k).filter(|x| x.skipped.is_none()).and_then(f) else {
                continue;
            };
            let Some(stat) = crate::stats::Stat::from_samples(&[x]) else {
                continue;
            };
            out.push(Bar {
                label: format!("{} {}", k.as_str(), r.label),
                stat,
                on_top: None,
                color: Some(i),
            });
        }
    }
    out
}

/// Writes `compare.md` and its charts into `dir`.
pub fn write(runs: &[Run], dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let md = dir.join("compare.md");
    std::fs::write(&md, markdown(runs)).with_context(|| format!("writing {}", md.display()))?;
    let legend = runs
        .iter()
        .map(|r| format!("{}: {}", r.label, r.report.machine.cpu_model))
        .collect::<Vec<_>>()
        .join("; ");
    for (file, (name, unit, f)) in [
        ("compare-memory.svg", FIGURES[0]),
        ("compare-create.svg", FIGURES[1]),
        ("compare-switch.svg", FIGURES[2]),
    ] {
        chart::bar_chart(
            &dir.join(file),
            &format!("{name} ({legend})"),
            "log scale",
            &bars(runs, f),
            unit,
        )?;
    }
    let mut handoff = Vec::new();
    let mut memory = Vec::new();
    for r in runs {
        let (h, m) = chart::scaling_lines(&r.report);
        let relabel = |mut l: Line| {
            l.label = format!("{} {}", l.label, r.label);
            l
        };
        handoff.extend(h.into_iter().map(relabel));
        memory.extend(m.into_iter().map(relabel));
    }
    chart::scaling_chart(
        &dir.join("compare-scaling.svg"),
        &format!("A ring of N live units, per machine ({legend})"),
        &handoff,
        &memory,
    )?;
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_run_past_the_alphabet() {
        assert_eq!(label(0), "A");
        assert_eq!(label(25), "Z");
        assert_eq!(label(26), "A2");
    }
}
