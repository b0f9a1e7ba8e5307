//! The rows measured by programs the crate ships: a Go program for goroutines and a Python script
//! for generators. Their sources are embedded in this binary, written to a work directory and
//! run there (the Go program is built with `go build` first, and rebuilt only when its source
//! changed). Both take the same parts (`memory`, `timing` for one placement, `properties`) and
//! print [`Samples`] (or, for `timing`, [`FreshTiming`]) as JSON; the noise of each part is read
//! here. When the tool is not installed the row is skipped with the reason, never estimated.

use crate::kind::Kind;
use crate::noise;
use crate::params::Params;
use crate::placement::Placement;
use crate::ring::{RingPlan, RingSample};
use crate::rows::FreshTiming;
use crate::samples::{Samples, Scheduler};
use anyhow::{Context, Result, bail};
use common::affinity;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Sources of the goroutine measurement program (file name, text): the program, the `getcpu`
/// system call number per architecture, and its module file.
pub const GO_FILES: [(&str, &str); 5] = [
    ("main.go", include_str!("../go/main.go")),
    ("getcpu_amd64.go", include_str!("../go/getcpu_amd64.go")),
    ("getcpu_arm64.go", include_str!("../go/getcpu_arm64.go")),
    ("getcpu_other.go", include_str!("../go/getcpu_other.go")),
    ("go.mod", include_str!("../go/go.mod")),
];
/// Source of the Python generator measurement script.
pub const PY_SCRIPT: &str = include_str!("../python/generators.py");

/// Reason given when `go` is missing.
pub const GO_MISSING: &str = "go not found: apt-get install golang-go";
/// Reason given when `python3` is missing.
pub const PYTHON_MISSING: &str = "python3 not found: apt-get install python3";

/// Finds an executable `name` in the directories of `path_var` (a `PATH` value).
pub fn find_in_path(name: &str, path_var: &OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path_var)
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn write_if_changed(path: &Path, text: &str) -> Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(true)
}

/// Writes the Go sources into `dir/go` and builds them with `go`, unless an up-to-date binary is
/// there. Returns the binary's path.
pub fn build_go(go: &Path, dir: &Path) -> Result<PathBuf> {
    let src = dir.join("go");
    std::fs::create_dir_all(&src).with_context(|| format!("creating {}", src.display()))?;
    let mut changed = false;
    for (name, text) in GO_FILES {
        changed |= write_if_changed(&src.join(name), text)?;
    }
    let bin = src.join("goroutines");
    if changed || !bin.exists() {
        crate::progress!("  building the Go program with {}", go.display());
        let mut cmd = Command::new(go);
        cmd.args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
            .env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOFLAGS", "-mod=mod");
        if std::env::var_os("HOME").is_none() && std::env::var_os("GOCACHE").is_none() {
            cmd.env("GOCACHE", dir.join("gocache"));
        }
        let out = cmd
            .output()
            .with_context(|| format!("running {}", go.display()))?;
        if !out.status.success() {
            bail!(
                "go build failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    Ok(bin)
}

/// Runs `cmd` and parses its standard output as JSON (a [`Samples`] or a [`FreshTiming`]).
pub fn run_json<T: serde::de::DeserializeOwned>(mut cmd: Command) -> Result<T> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("parsing the JSON printed by {cmd:?}"))
}

/// Adds a separate memory run's figures to `s` (and, from the first run, its notes).
fn add_memory(s: &mut Samples, m: Samples, first: bool) {
    s.memory_bytes.extend(m.memory_bytes);
    s.virtual_bytes.extend(m.virtual_bytes);
    s.object_bytes.extend(m.object_bytes);
    s.kernel_stack_bytes.extend(m.kernel_stack_bytes);
    s.page_tables_bytes.extend(m.page_tables_bytes);
    s.slab_unreclaimable_bytes
        .extend(m.slab_unreclaimable_bytes);
    if first {
        s.notes.extend(
            m.notes
                .into_iter()
                .map(|n| format!("{n} (first repetition)")),
        );
    }
}

/// The program of an external row, ready to run, and its tool's version; `Ok(Err(reason))` when
/// the tool is missing or cannot build the program.
fn tool(
    kind: Kind,
    dir: &Path,
    path_var: &OsStr,
) -> Result<(std::result::Result<Tool, String>, Option<String>)> {
    let (program, base_args, version, dash): (PathBuf, Vec<String>, Option<String>, &str) =
        match kind {
            Kind::Goroutine => {
                let Some(go) = find_in_path("go", path_var) else {
                    return Ok((Err(GO_MISSING.to_string()), None));
                };
                let version = crate::machine::tool_version(&go, &["version"]);
                let bin = match build_go(&go, dir) {
                    Ok(b) => b,
                    Err(e) => return Ok((Err(format!("{e:#}")), version)),
                };
                (bin, Vec::new(), version, "-")
            }
            Kind::PythonGenerator => {
                let Some(py) = find_in_path("python3", path_var) else {
                    return Ok((Err(PYTHON_MISSING.to_string()), None));
                };
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let script = dir.join("generators.py");
                write_if_changed(&script, PY_SCRIPT)?;
                let version = crate::machine::tool_version(&py, &["--version"]);
                (
                    py,
                    vec![script.to_string_lossy().into_owned()],
                    version,
                    "--",
                )
            }
            _ => bail!("{} is not an external row", kind.as_str()),
        };
    Ok((
        Ok(Tool {
            kind,
            program,
            base_args,
            dash,
        }),
        version,
    ))
}

/// Measures an external row (goroutine or Python generator). `Ok(Err(reason))` means the row is
/// skipped because its tool is missing or cannot build the program; `path_var` is the `PATH` to
/// search and `dir` a work directory. Also returns the tool's version.
pub fn measure(
    kind: Kind,
    params: &Params,
    dir: &Path,
    path_var: &OsStr,
) -> Result<(std::result::Result<Samples, String>, Option<String>)> {
    match tool(kind, dir, path_var)? {
        (Ok(tool), version) => tool.measure(params).map(|s| (Ok(s), version)),
        (Err(why), version) => Ok((Err(why), version)),
    }
}

/// The scaling ring of an external row in a fresh run of its program (which inherits the
/// caller's CPU pin); `Ok(Err(reason))` when the row is skipped (see [`measure`]).
pub fn ring(
    kind: Kind,
    plan: &RingPlan,
    dir: &Path,
    path_var: &OsStr,
) -> Result<std::result::Result<RingSample, String>> {
    match tool(kind, dir, path_var)? {
        (Ok(tool), _) => tool
            .run(
                "ring",
                &[
                    ("n", plan.n.to_string()),
                    ("reps", plan.reps.to_string()),
                    ("min-handoffs", plan.min_handoffs.to_string()),
                    ("budget-ms", plan.rep_budget_ms.to_string()),
                    ("memory-budget", plan.memory_budget_bytes.to_string()),
                ],
            )
            .map(Ok),
        (Err(why), _) => Ok(Err(why)),
    }
}

/// An external program and how it takes its options.
struct Tool {
    kind: Kind,
    program: PathBuf,
    base_args: Vec<String>,
    /// `-` for Go's flags, `--` for Python's.
    dash: &'static str,
}

impl Tool {
    fn run<T: serde::de::DeserializeOwned>(
        &self,
        part: &str,
        opts: &[(&str, String)],
    ) -> Result<T> {
        let mut c = Command::new(&self.program);
        c.args(&self.base_args)
            .arg(format!("{}part", self.dash))
            .arg(part);
        for (name, value) in opts {
            c.arg(format!("{}{name}", self.dash)).arg(value);
        }
        run_json(c)
    }

    fn timing(&self, params: &Params, placement: Placement, cpus: &[usize]) -> Result<FreshTiming> {
        let (create, switch) = (params.create_plan(self.kind), params.switch_plan(self.kind));
        let ends = placement.ends(cpus)?;
        let _pin = ends
            .caller
            .filter(|_| placement == Placement::SameCpu)
            .map(affinity::pin_current_thread)
            .transpose()
            .context("pinning before starting the program")?;
        let cpu_list = [ends.caller, ends.other]
            .iter()
            .flatten()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        self.run(
            "timing",
            &[
                ("placement", placement.as_str().to_string()),
                (
                    "cpus",
                    if cpu_list.is_empty() {
                        "-".into()
                    } else {
                        cpu_list
                    },
                ),
                ("reps", params.reps.to_string()),
                ("create", create.ops.to_string()),
                ("create-batch", create.batch.to_string()),
                ("switch", switch.ops.to_string()),
                ("switch-batch", switch.batch.to_string()),
                ("warmup", switch.warmup.to_string()),
                ("budget-ms", params.rep_budget_ms.to_string()),
            ],
        )
    }

    fn measure(&self, params: &Params) -> Result<Samples> {
        let kind = self.kind;
        let tag = kind.as_str();
        let count = params.memory_count(kind);
        let (mem, mem_noise) = noise::during(|| -> Result<Vec<Samples>> {
            (0..params.reps)
                .map(|rep| {
                    crate::progress!(
                        "  {tag}: memory of {count} live units, rep {}/{}",
                        rep + 1,
                        params.reps
                    );
                    self.run("memory", &[("count", count.to_string())])
                })
                .collect()
        });
        crate::progress!(
            "  {tag}: managed by OS, address space, pre-emption, parallelism, {} repetitions each",
            params.property_reps
        );
        let (props, prop_noise) = noise::during(|| -> Result<Samples> {
            self.run(
                "properties",
                &[
                    ("reps", params.property_reps.to_string()),
                    ("spin-ms", params.spin_ms.to_string()),
                    ("work-ms", params.work_ms.to_string()),
                    ("units", params.managed_units.to_string()),
                ],
            )
        });
        let mut s = props?;
        for (i, m) in mem?.into_iter().enumerate() {
            add_memory(&mut s, m, i == 0);
        }
        if let Some(n) = mem_noise {
            s.noise.insert("memory".into(), n);
        }
        if let Some(n) = prop_noise {
            s.noise.insert("properties".into(), n);
        }
        let cpus = affinity::allowed_cpus().context("reading this process's CPUs")?;
        let placements: &[Placement] = if s.scheduler == Scheduler::CallerThread {
            &[Placement::SameCpu]
        } else {
            &Placement::ALL
        };
        for &placement in placements {
            crate::progress!("  {tag}: create and switch, {}", placement.as_str());
            let (t, n) = noise::during(|| self.timing(params, placement, &cpus));
            if let Some(n) = n {
                s.noise.insert(format!("switch {}", placement.as_str()), n);
            }
            let t = match t {
                Ok(t) => t,
                Err(e) if placement == Placement::CrossCpu => {
                    s.notes.push(format!("cross-cpu: not measured: {e:#}"));
                    continue;
                }
                Err(e) => return Err(e),
            };
            let create = (!t.create.reps_ns.is_empty()).then_some(t.create);
            match placement {
                Placement::SameCpu => {
                    s.create_ns = create;
                    s.switch_ns = Some(t.switch);
                }
                Placement::CrossCpu => s.switch_cross_cpu_ns = Some(t.switch),
                Placement::Unpinned => {
                    s.create_unpinned_ns = create;
                    s.switch_unpinned_ns = Some(t.switch);
                }
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_are_skipped_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("cmp-ext-{}", std::process::id()));
        let empty = OsStr::new("");
        for (kind, reason) in [
            (Kind::Goroutine, GO_MISSING),
            (Kind::PythonGenerator, PYTHON_MISSING),
        ] {
            let (r, v) = measure(kind, &Params::tiny(), &dir, empty).expect("no hard error");
            assert_eq!(r, Err(reason.to_string()));
            assert!(v.is_none());
        }
    }

    #[test]
    fn non_external_row_is_an_error() {
        let dir = std::env::temp_dir();
        assert!(measure(Kind::Stackless, &Params::tiny(), &dir, OsStr::new("")).is_err());
    }
}
