//! The rows measured by programs the crate ships: a Go program for goroutines and a Python script
//! for generators. Their sources are embedded in this binary, written to a work directory and
//! run there (the Go program is built with `go build` first, and rebuilt only when its source
//! changed). Both print [`Samples`] as JSON. When the tool is not installed the row is skipped with
//! the reason, never estimated.

use crate::kind::Kind;
use crate::params::Params;
use crate::samples::Samples;
use anyhow::{Context, Result, bail};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Source of the goroutine measurement program.
pub const GO_MAIN: &str = include_str!("../go/main.go");
/// Its module file.
pub const GO_MOD: &str = include_str!("../go/go.mod");
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
    let changed = write_if_changed(&src.join("main.go"), GO_MAIN)?
        | write_if_changed(&src.join("go.mod"), GO_MOD)?;
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

/// Runs `cmd` and parses its standard output as [`Samples`].
pub fn run_json(mut cmd: Command) -> Result<Samples> {
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

/// Fills `rest` with the figures of a separate memory run per repetition (and the first memory
/// run's notes).
fn merge(mut rest: Samples, memory: Vec<Samples>) -> Samples {
    for (i, m) in memory.into_iter().enumerate() {
        rest.memory_bytes.extend(m.memory_bytes);
        rest.virtual_bytes.extend(m.virtual_bytes);
        if i == 0 {
            rest.notes.extend(
                m.notes
                    .into_iter()
                    .map(|n| format!("{n} (first repetition)")),
            );
        }
    }
    rest
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
    let (program, base_args): (PathBuf, Vec<String>) = match kind {
        Kind::Goroutine => {
            let Some(go) = find_in_path("go", path_var) else {
                return Ok((Err(GO_MISSING.to_string()), None));
            };
            let version = crate::machine::tool_version(&go, &["version"]);
            let bin = match build_go(&go, dir) {
                Ok(b) => b,
                Err(e) => return Ok((Err(format!("{e:#}")), version)),
            };
            return run_parts(kind, params, bin, Vec::new(), "-").map(|s| (Ok(s), version));
        }
        Kind::PythonGenerator => {
            let Some(py) = find_in_path("python3", path_var) else {
                return Ok((Err(PYTHON_MISSING.to_string()), None));
            };
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let script = dir.join("generators.py");
            write_if_changed(&script, PY_SCRIPT)?;
            (py, vec![script.to_string_lossy().into_owned()])
        }
        _ => bail!("{} is not an external row", kind.as_str()),
    };
    let version = crate::machine::tool_version(&program, &["--version"]);
    run_parts(kind, params, program, base_args, "--").map(|s| (Ok(s), version))
}

fn run_parts(
    kind: Kind,
    params: &Params,
    program: PathBuf,
    base: Vec<String>,
    dash: &str,
) -> Result<Samples> {
    let cmd = |extra: Vec<String>| {
        let mut c = Command::new(&program);
        c.args(&base).args(extra);
        c
    };
    let count = params.memory_count(kind);
    let mut memory = Vec::new();
    for rep in 0..params.reps {
        crate::progress!(
            "  {}: memory of {count} live units, rep {}/{}",
            kind.as_str(),
            rep + 1,
            params.reps
        );
        memory.push(run_json(cmd(vec![
            format!("{dash}part"),
            "memory".into(),
            format!("{dash}count"),
            count.to_string(),
        ]))?);
    }
    crate::progress!("  {}: create, switch and the experiments", kind.as_str());
    let rest = run_json(cmd(vec![
        format!("{dash}part"),
        "rest".into(),
        format!("{dash}create"),
        params.create_iters(kind).to_string(),
        format!("{dash}switch"),
        params.switch_iters(kind).to_string(),
        format!("{dash}reps"),
        params.reps.to_string(),
        format!("{dash}spin-ms"),
        params.spin_ms.to_string(),
        format!("{dash}work-ms"),
        params.work_ms.to_string(),
        format!("{dash}tid-units"),
        params.tid_units.to_string(),
    ]))?;
    Ok(merge(rest, memory))
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
