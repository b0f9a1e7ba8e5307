//! The report header: what machine, compiler, date and commit the figures come from.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// The machine and software a report was measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// CPUs this process may run on.
    pub cores: usize,
    /// Kernel release (`/proc/sys/kernel/osrelease`).
    pub kernel: String,
    /// `rustc -V` of the compiler that built this program.
    pub rustc: String,
    /// UTC date and time of the run (ISO 8601).
    pub date: String,
    /// Git commit of the source tree, when available (`+dirty` if it had changes).
    pub git_commit: Option<String>,
    /// `go version`, when a goroutine row was measured.
    pub go: Option<String>,
    /// `python3 --version`, when a Python row was measured.
    pub python: Option<String>,
    /// The run's parameters.
    pub params: crate::params::Params,
    /// 1-, 5- and 15-minute load averages (`/proc/loadavg`) when the run started.
    pub load_average_start: Option<[f64; 3]>,
    /// The same when the run ended.
    pub load_average_end: Option<[f64; 3]>,
}

/// Parses the three load averages at the start of a `/proc/loadavg` text.
///
/// ```
/// assert_eq!(comparisons::machine::parse_loadavg("0.50 1.00 2.50 1/100 42\n"), Some([0.5, 1.0, 2.5]));
/// assert_eq!(comparisons::machine::parse_loadavg("x"), None);
/// ```
pub fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut it = text.split_whitespace().map(|w| w.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

/// This machine's load averages now.
pub fn load_average() -> Option<[f64; 3]> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn command_line(program: &str, args: &[&str], dir: Option<&Path>) -> Option<String> {
    let mut c = Command::new(program);
    c.args(args);
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let out = c.output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if s.is_empty() {
        s = String::from_utf8_lossy(&out.stderr).trim().to_string();
    }
    (!s.is_empty()).then_some(s)
}

/// Output of a version command such as `go version`, if the program runs.
pub fn tool_version(program: &Path, args: &[&str]) -> Option<String> {
    command_line(&program.to_string_lossy(), args, None)
}

fn git_commit() -> Option<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let commit = command_line("git", &["rev-parse", "--short=12", "HEAD"], Some(dir))?;
    let dirty = command_line("git", &["status", "--porcelain"], Some(dir)).is_some();
    Some(if dirty {
        format!("{commit}+dirty")
    } else {
        commit
    })
}

/// Formats seconds since the Unix epoch as an ISO 8601 UTC date-time.
///
/// ```
/// assert_eq!(comparisons::machine::iso_utc(0), "1970-01-01T00:00:00Z");
/// assert_eq!(comparisons::machine::iso_utc(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn iso_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // civil-from-days (Howard Hinnant's algorithm)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl Machine {
    /// A warning when other programs kept the CPUs busy during the run (1-minute load average above
    /// the number of cores at its start or end), which makes timings and the parallelism
    /// experiment unreliable.
    pub fn busy_warning(&self) -> Option<String> {
        let loads: Vec<f64> = [self.load_average_start, self.load_average_end]
            .iter()
            .flatten()
            .map(|l| l[0])
            .collect();
        let max = loads.iter().copied().fold(0.0, f64::max);
        (max > self.cores as f64).then(|| {
            format!(
                "the machine was busy during this run (1-minute load average up to {max:.1} on {} cores): timings are noisy, and units that can run in parallel may have found no free core, so rerun on an idle machine before trusting them",
                self.cores
            )
        })
    }

    /// Describes this machine now.
    pub fn detect(params: crate::params::Params) -> Machine {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cpu_model: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".to_string()),
            rustc: env!("COMPARISONS_RUSTC_VERSION").to_string(),
            date: iso_utc(secs),
            git_commit: git_commit(),
            go: None,
            python: None,
            params,
            load_average_start: load_average(),
            load_average_end: None,
        }
    }
}
