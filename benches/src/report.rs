//! Reads the medians criterion saved under `target/criterion` and renders the README's benchmark
//! table and the ratios the project promises (native vs manual, corosensei vs native, thread vs
//! corosensei, pooled vs fresh stacks), so every published figure is computed from a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One benchmark's result as criterion saved it (`<group>/<function>/<parameter>/new/`).
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Criterion group, e.g. `switch`.
    pub group: String,
    /// Style, e.g. `native` (criterion's function id).
    pub function: String,
    /// Parameter, e.g. `20` for `fib/native/20`, if the benchmark has one.
    pub parameter: Option<String>,
    /// Median time of one iteration, nanoseconds.
    pub median_ns: f64,
    /// Elements (or bytes) one iteration processes, from the benchmark's `Throughput`.
    pub per_iteration: Option<u64>,
}

impl Measurement {
    /// Median nanoseconds per element, when the benchmark declared a throughput.
    pub fn ns_per_element(&self) -> Option<f64> {
        self.per_iteration
            .filter(|&n| n > 0)
            .map(|n| self.median_ns / n as f64)
    }
}

/// All measurements of a run, keyed by (group, function, parameter).
#[derive(Debug, Default)]
pub struct Results {
    by_id: BTreeMap<(String, String, Option<String>), Measurement>,
}

impl Results {
    /// Looks one measurement up.
    pub fn get(
        &self,
        group: &str,
        function: &str,
        parameter: Option<&str>,
    ) -> Option<&Measurement> {
        self.by_id.get(&(
            group.to_owned(),
            function.to_owned(),
            parameter.map(str::to_owned),
        ))
    }

    /// Adds (or replaces) a measurement.
    pub fn insert(&mut self, m: Measurement) {
        self.by_id.insert(
            (m.group.clone(), m.function.clone(), m.parameter.clone()),
            m,
        );
    }

    /// Every measurement, in group/function/parameter order.
    pub fn iter(&self) -> impl Iterator<Item = &Measurement> {
        self.by_id.values()
    }

    /// Number of measurements.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when no benchmark result was found.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// Where criterion writes: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the
/// workspace's `target/criterion`.
pub fn default_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("criterion")
}

/// Loads every `*/new/benchmark.json` + `estimates.json` pair under `dir`.
pub fn load(dir: &Path) -> Result<Results> {
    if !dir.is_dir() {
        bail!(
            "no criterion results in {} (run `cargo bench` first)",
            dir.display()
        );
    }
    let mut results = Results::default();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("reading {}", d.display()))?
                .path();
            if !path.is_dir() {
                continue;
            }
            // `base`, `change` and the HTML report are not results of this run.
            if path.file_name().is_some_and(|n| n == "new") {
                if path.join("benchmark.json").is_file() {
                    results.insert(load_one(&path)?);
                }
            } else {
                pending.push(path);
            }
        }
    }
    Ok(results)
}

fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Reads one `new/` directory.
fn load_one(new_dir: &Path) -> Result<Measurement> {
    let bench_path = new_dir.join("benchmark.json");
    let est_path = new_dir.join("estimates.json");
    let bench = read_json(&bench_path)?;
    let est = read_json(&est_path)?;
    let text = |key: &str| bench.get(key).and_then(Value::as_str).map(str::to_owned);
    let group =
        text("group_id").with_context(|| format!("no group_id in {}", bench_path.display()))?;
    let parameter = text("value_str");
    // A benchmark made with `bench_with_input(BenchmarkId::from_parameter(..))` has no function
    // id; call it after its group.
    let function = text("function_id").unwrap_or_else(|| group.clone());
    let median_ns = est
        .pointer("/median/point_estimate")
        .and_then(Value::as_f64)
        .with_context(|| format!("no median point estimate in {}", est_path.display()))?;
    // `Throughput` is serialised as `{"Elements": n}` (or Bytes, ...): take the count.
    let per_iteration = bench
        .get("throughput")
        .and_then(Value::as_object)
        .and_then(|o| o.values().next())
        .and_then(Value::as_u64);
    Ok(Measurement {
        group,
        function,
        parameter,
        median_ns,
        per_iteration,
    })
}

/// Formats nanoseconds with a unit that keeps three significant figures.
pub fn format_ns(ns: f64) -> String {
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if v < 10.0 {
        format!("{v:.2} {unit}")
    } else if v < 100.0 {
        format!("{v:.1} {unit}")
    } else {
        format!("{v:.0} {unit}")
    }
}

/// Sorts parameters by the numbers in them (`4 < 16`, `10x1000 < 1000x100`), else as text.
fn parameter_order(a: &Option<String>, b: &Option<String>) -> std::cmp::Ordering {
    fn numbers(p: &Option<String>) -> Option<Vec<u64>> {
        let parts: Vec<u64> = p
            .as_deref()?
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        (!parts.is_empty()).then_some(parts)
    }
    match (numbers(a), numbers(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Table rows in a fixed order, baseline first, then from stackless to stackful to threads, so
/// tables of two runs line up; styles not listed come last, alphabetically.
const STYLE_ORDER: &[&str] = &[
    "manual",
    "plain",
    "native",
    "native-pinned",
    "native-boxed",
    "gen",
    "genawaiter",
    "genawaiter-stack",
    "genawaiter-rc",
    "genawaiter-sync",
    "stackless",
    "stackless-explicit-stack",
    "stackless-boxed",
    "stackless-genawaiter",
    "corosensei",
    "corosensei-pooled",
    "corosensei-pooled-drop-suspended",
    "corosensei-fresh",
    "stackful",
    "stackful-recursion",
    "thread",
    "threaded",
];

fn style_rank(style: &str) -> usize {
    STYLE_ORDER
        .iter()
        .position(|s| *s == style)
        .unwrap_or(STYLE_ORDER.len())
}

/// One markdown table per group: a row per style, a column per parameter, each cell the median
/// time per iteration and, when an iteration handles several elements, the time per element.
pub fn tables(results: &Results) -> String {
    let mut groups: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
    for m in results.iter() {
        groups.entry(m.group.as_str()).or_default().push(m);
    }
    let mut out = String::new();
    for (group, ms) in groups {
        let mut params: Vec<Option<String>> = Vec::new();
        let mut functions: Vec<&str> = Vec::new();
        for m in &ms {
            if !params.contains(&m.parameter) {
                params.push(m.parameter.clone());
            }
            if !functions.contains(&m.function.as_str()) {
                functions.push(&m.function);
            }
        }
        params.sort_by(parameter_order);
        functions.sort_by_key(|f| (style_rank(f), *f));
        let _ = writeln!(out, "### `{group}`\n");
        let _ = write!(out, "| style |");
        for p in &params {
            let _ = write!(out, " {} |", p.as_deref().unwrap_or("median"));
        }
        let _ = write!(out, "\n|---|");
        for _ in &params {
            let _ = write!(out, "---:|");
        }
        out.push('\n');
        for f in functions {
            let _ = write!(out, "| {f} |");
            for p in &params {
                let cell = match results.get(group, f, p.as_deref()) {
                    None => "–".to_owned(),
                    Some(m) => match (m.per_iteration, m.ns_per_element()) {
                        (Some(n), Some(per)) if n > 1 => {
                            format!("{} ({}/elem)", format_ns(m.median_ns), format_ns(per))
                        }
                        _ => format_ns(m.median_ns),
                    },
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// What a ratio or figure is held to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Informative only.
    None,
    /// The value must be at most this.
    AtMost(f64),
    /// The value must be at least this.
    AtLeast(f64),
}

impl Target {
    fn verdict(self, v: f64) -> &'static str {
        match self {
            Target::None => "",
            Target::AtMost(t) if v <= t => "met",
            Target::AtLeast(t) if v >= t => "met",
            _ => "**MISSED**",
        }
    }

    fn describe(self, unit: &str) -> String {
        match self {
            Target::None => String::new(),
            Target::AtMost(t) => format!("≤ {t}{unit}"),
            Target::AtLeast(t) => format!("≥ {t}{unit}"),
        }
    }
}

/// A ratio of two measurements of the same group and parameter: `numerator / denominator`.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    /// Criterion group.
    pub group: &'static str,
    /// Style on top.
    pub numerator: &'static str,
    /// Style below.
    pub denominator: &'static str,
    /// What the ratio must be.
    pub target: Target,
}

/// The ratios the README reports; targets come from the project's issue 7.
pub const RATIOS: &[Ratio] = &[
    Ratio {
        group: "switch",
        numerator: "native",
        denominator: "manual",
        target: Target::AtMost(1.3),
    },
    Ratio {
        group: "fib",
        numerator: "native",
        denominator: "manual",
        target: Target::AtMost(1.3),
    },
    Ratio {
        group: "switch",
        numerator: "corosensei",
        denominator: "native",
        target: Target::None,
    },
    Ratio {
        group: "switch",
        numerator: "thread",
        denominator: "corosensei",
        target: Target::None,
    },
    Ratio {
        group: "create",
        numerator: "corosensei-fresh",
        denominator: "corosensei-pooled",
        target: Target::AtLeast(20.0),
    },
    Ratio {
        group: "create",
        numerator: "corosensei-fresh",
        denominator: "native-boxed",
        target: Target::None,
    },
    Ratio {
        group: "fib",
        numerator: "corosensei",
        denominator: "native",
        target: Target::None,
    },
    Ratio {
        group: "counter",
        numerator: "native",
        denominator: "manual",
        target: Target::None,
    },
    Ratio {
        group: "tree",
        numerator: "stackful-recursion",
        denominator: "stackless-explicit-stack",
        target: Target::None,
    },
    Ratio {
        group: "tree",
        numerator: "stackless-boxed",
        denominator: "stackless-explicit-stack",
        target: Target::None,
    },
    Ratio {
        group: "scheduler",
        numerator: "stackful",
        denominator: "stackless",
        target: Target::None,
    },
];

/// Absolute targets: (group, style, at most this many ns per iteration).
pub const ABSOLUTE: &[(&str, &str, f64)] = &[("switch", "corosensei", 10.0)];

/// The ratio table: one row per ratio and parameter both sides were measured at.
pub fn ratios(results: &Results) -> String {
    let mut out =
        String::from("| ratio (medians) | value | target | verdict |\n|---|---:|---|---|\n");
    for r in RATIOS {
        let mut params: Vec<Option<String>> = results
            .iter()
            .filter(|m| m.group == r.group && m.function == r.numerator)
            .map(|m| m.parameter.clone())
            .collect();
        params.sort_by(parameter_order);
        let mut any = false;
        for p in params {
            let (Some(num), Some(den)) = (
                results.get(r.group, r.numerator, p.as_deref()),
                results.get(r.group, r.denominator, p.as_deref()),
            ) else {
                continue;
            };
            any = true;
            let v = num.median_ns / den.median_ns;
            let at = p.map(|p| format!(" at {p}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{g}`{at}: {n} / {d} | {v:.2}x | {t} | {verdict} |",
                g = r.group,
                n = r.numerator,
                d = r.denominator,
                t = r.target.describe("x"),
                verdict = r.target.verdict(v),
            );
        }
        if !any {
            let _ = writeln!(
                out,
                "| `{}`: {} / {} | not measured | {} | |",
                r.group,
                r.numerator,
                r.denominator,
                r.target.describe("x")
            );
        }
    }
    for &(group, function, limit) in ABSOLUTE {
        let target = Target::AtMost(limit);
        match results.get(group, function, None) {
            Some(m) => {
                let _ = writeln!(
                    out,
                    "| `{group}`: {function} round trip | {} | {} | {} |",
                    format_ns(m.median_ns),
                    target.describe(" ns"),
                    target.verdict(m.median_ns)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "| `{group}`: {function} round trip | not measured | {} | |",
                    target.describe(" ns")
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(group: &str, function: &str, parameter: Option<&str>, median_ns: f64) -> Measurement {
        Measurement {
            group: group.into(),
            function: function.into(),
            parameter: parameter.map(Into::into),
            median_ns,
            per_iteration: Some(1),
        }
    }

    #[test]
    fn loads_criterion_layout() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("benches-report-{}", std::process::id()));
        let new = dir.join("fib").join("native").join("20").join("new");
        fs::create_dir_all(&new)?;
        fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"fib","function_id":"native","value_str":"20",
                "throughput":{"Elements":20},"full_id":"fib/native/20",
                "directory_name":"fib/native/20","title":"fib/native/20"}"#,
        )?;
        fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":40.0,"standard_error":1.0,
                "confidence_interval":{"confidence_level":0.95,"lower_bound":39.0,"upper_bound":41.0}}}"#,
        )?;
        // A baseline directory must be ignored.
        fs::create_dir_all(dir.join("fib").join("native").join("20").join("base"))?;
        let results = load(&dir)?;
        fs::remove_dir_all(&dir)?;
        assert_eq!(results.len(), 1);
        let got = results.get("fib", "native", Some("20"));
        assert_eq!(got.map(|m| m.median_ns), Some(40.0));
        assert_eq!(got.and_then(Measurement::ns_per_element), Some(2.0));
        Ok(())
    }

    #[test]
    fn missing_dir_is_an_error() {
        assert!(load(Path::new("/nonexistent/criterion")).is_err());
    }

    #[test]
    fn ratios_and_verdicts() {
        let mut r = Results::default();
        r.insert(m("switch", "manual", None, 1.0));
        r.insert(m("switch", "native", None, 1.5));
        r.insert(m("switch", "corosensei", None, 12.0));
        r.insert(m("create", "corosensei-fresh", None, 5000.0));
        r.insert(m("create", "corosensei-pooled", None, 50.0));
        let text = ratios(&r);
        assert!(text.contains("| `switch`: native / manual | 1.50x | ≤ 1.3x | **MISSED** |"));
        assert!(text.contains("corosensei-fresh / corosensei-pooled | 100.00x | ≥ 20x | met |"));
        assert!(
            text.contains("| `switch`: corosensei round trip | 12.0 ns | ≤ 10 ns | **MISSED** |")
        );
        assert!(text.contains("| `fib`: native / manual | not measured |"));
    }

    #[test]
    fn tables_order_parameters_numerically() {
        let mut r = Results::default();
        r.insert(m("tree", "stackful-recursion", Some("16"), 100.0));
        r.insert(m("tree", "stackful-recursion", Some("4"), 2_500.0));
        let text = tables(&r);
        assert!(text.contains("| style | 4 | 16 |"), "{text}");
        assert!(
            text.contains("| stackful-recursion | 2.50 µs | 100 ns |"),
            "{text}"
        );
    }

    #[test]
    fn formats_units() {
        assert_eq!(format_ns(1.234), "1.23 ns");
        assert_eq!(format_ns(12_345.0), "12.3 µs");
        assert_eq!(format_ns(2.5e9), "2.50 s");
    }
}
