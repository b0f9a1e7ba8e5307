//! What criterion saved: one [`Measurement`] per `<group>/<function>/<parameter>/new/` directory,
//! collected into [`Results`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One benchmark's result as criterion saved it (`<group>/<function>/<parameter>/new/`).
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Criterion group, e.g. `switch`.
    pub group: String,
    /// Style, e.g. `native` (criterion's function id: a [`common::style::Style`] name for every
    /// benchmark of this crate).
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

/// Sorts parameters by the numbers in them (`4 < 16`, `10x1000 < 1000x100`), else as text.
pub fn parameter_order(a: &Option<String>, b: &Option<String>) -> std::cmp::Ordering {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_criterion_layout() {
        let dir = std::env::temp_dir().join(format!("benches-report-{}", std::process::id()));
        let new = dir.join("fib").join("native").join("20").join("new");
        fs::create_dir_all(&new).expect("a temporary directory");
        fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"fib","function_id":"native","value_str":"20",
                "throughput":{"Elements":20},"full_id":"fib/native/20",
                "directory_name":"fib/native/20","title":"fib/native/20"}"#,
        )
        .expect("writing benchmark.json");
        fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":40.0,"standard_error":1.0,
                "confidence_interval":{"confidence_level":0.95,"lower_bound":39.0,"upper_bound":41.0}}}"#,
        )
        .expect("writing estimates.json");
        // A baseline directory must be ignored.
        fs::create_dir_all(dir.join("fib").join("native").join("20").join("base"))
            .expect("a base directory");
        let results = load(&dir);
        fs::remove_dir_all(&dir).expect("removing the temporary directory");
        let results = results.expect("the results load");
        assert_eq!(results.len(), 1);
        let got = results
            .get("fib", "native", Some("20"))
            .expect("fib/native/20 was loaded");
        assert_eq!(got.median_ns, 40.0);
        assert_eq!(got.ns_per_element(), Some(2.0));
    }

    #[test]
    fn missing_dir_is_an_error_that_says_what_to_run() {
        let err = load(Path::new("/nonexistent/criterion")).expect_err("no such directory");
        assert!(err.to_string().contains("run `cargo bench` first"), "{err}");
    }

    #[test]
    fn parameters_sort_by_their_numbers() {
        let mut params = ["1000x100", "10x1000", "16", "4"].map(|p| Some(p.to_owned()));
        params.sort_by(parameter_order);
        assert_eq!(
            params.map(Option::unwrap),
            ["4", "10x1000", "16", "1000x100"]
        );
    }
}
