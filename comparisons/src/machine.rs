//! The report header: what machine, compiler, date and commit the figures come from, and what
//! else the machine was doing meanwhile (the noise behind the figures): whether it is a virtual
//! machine, the steal time and other processes' CPU time over the run, the transparent huge page
//! mode and the CPU frequency governor.

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
    /// Their numbers (the placed round trips pin to the first two).
    #[serde(default)]
    pub cpus_allowed: Vec<usize>,
    /// Whether the CPU says it runs under a hypervisor (the `hypervisor` flag of
    /// `/proc/cpuinfo`); `None` when unreadable.
    #[serde(default)]
    pub virtualised: Option<bool>,
    /// `/sys/hypervisor/type`, where the kernel shows it.
    #[serde(default)]
    pub hypervisor: Option<String>,
    /// Transparent huge pages mode (`always`, `madvise`, `never`), where readable.
    #[serde(default)]
    pub transparent_hugepages: Option<String>,
    /// CPU frequency governor of the first allowed CPU, where readable (often absent in a VM).
    #[serde(default)]
    pub cpu_governor: Option<String>,
    /// Total memory (`MemTotal`), bytes.
    #[serde(default)]
    pub mem_total_bytes: Option<u64>,
    /// The system limits a ring of many units can meet.
    #[serde(default)]
    pub limits: Option<crate::scaling::SystemLimits>,
    /// CPU 0's data caches.
    #[serde(default)]
    pub caches: Vec<crate::scaling::Cache>,
    /// Entries of the last-level data TLB for 4 KiB pages, where `cpuid` says.
    #[serde(default)]
    pub tlb_entries: Option<u64>,
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
    /// The same when the run ended (recorded, not judged: the tool's own children raise it).
    pub load_average_end: Option<[f64; 3]>,
    /// Steal and other processes' CPU time over the whole run.
    #[serde(default)]
    pub noise: Option<crate::noise::Noise>,
    /// Rows and experiments during which the machine was busy with something else.
    #[serde(default)]
    pub busy_experiments: Vec<String>,
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

/// Whether the first `flags` line of a `/proc/cpuinfo` text has `flag`.
///
/// ```
/// let text = "model name : X\nflags : fpu vme hypervisor sse\n";
/// assert!(comparisons::machine::cpu_flag(text, "hypervisor"));
/// assert!(!comparisons::machine::cpu_flag(text, "hyper"));
/// ```
pub fn cpu_flag(cpuinfo: &str, flag: &str) -> bool {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .and_then(|l| l.split_once(':'))
        .is_some_and(|(_, v)| v.split_whitespace().any(|f| f == flag))
}

/// The bracketed choice of a sysfs setting such as `always [madvise] never`.
///
/// ```
/// assert_eq!(comparisons::machine::bracketed("always [madvise] never").as_deref(), Some("madvise"));
/// assert_eq!(comparisons::machine::bracketed("none"), None);
/// ```
pub fn bracketed(text: &str) -> Option<String> {
    let start = text.find('[')? + 1;
    let end = start + text[start..].find(']')?;
    Some(text[start..end].to_string())
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
    /// A warning when the machine was busy with something else during the run: steal time or
    /// other processes' CPU time over the limits of [`crate::noise`], over the whole run or in
    /// any experiment. The tool's own threads and children do not count.
    pub fn busy_warning(&self) -> Option<String> {
        let whole = self.noise.filter(|n| n.busy());
        if whole.is_none() && self.busy_experiments.is_empty() {
            return None;
        }
        let mut w = String::from("the machine was busy with other work during this run");
        if let Some(n) = whole.or(self.noise) {
            w.push_str(&format!(" ({})", n.describe()));
        }
        if !self.busy_experiments.is_empty() {
            w.push_str(&format!(
                "; experiments that saw over {:.0}% steal or {:.0}% other processes' CPU: {}",
                100.0 * crate::noise::STEAL_LIMIT,
                100.0 * crate::noise::OTHER_LIMIT,
                self.busy_experiments.join(", ")
            ));
        }
        w.push_str(": timings are noisy, and units that can run in parallel may have found no free core, so rerun on an idle machine before trusting them");
        Some(w)
    }

    /// Describes this machine now.
    pub fn detect(params: crate::params::Params) -> Machine {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cpus_allowed = common::affinity::allowed_cpus().unwrap_or_default();
        let read = |path: &str| {
            std::fs::read_to_string(path)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let governor = cpus_allowed.first().and_then(|c| {
            read(&format!(
                "/sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor"
            ))
        });
        Machine {
            cpu_model: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            virtualised: std::fs::read_to_string("/proc/cpuinfo")
                .ok()
                .map(|t| cpu_flag(&t, "hypervisor")),
            hypervisor: read("/sys/hypervisor/type"),
            transparent_hugepages: read("/sys/kernel/mm/transparent_hugepage/enabled")
                .and_then(|t| bracketed(&t)),
            cpu_governor: governor,
            mem_total_bytes: crate::procfs::mem_total().ok(),
            limits: Some(crate::scaling::SystemLimits::read()),
            caches: crate::scaling::data_caches(),
            tlb_entries: crate::scaling::tlb_entries(),
            cpus_allowed,
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
            noise: None,
            busy_experiments: Vec::new(),
        }
    }
}
