//! The scaling curves: for each row, the ring of [`crate::ring`] at N = 1, 10, 100, ... live
//! units, each N in a fresh process pinned to one CPU, for as long as the row stays within the
//! memory budget and the system's limits.
//!
//! Before each N the next ring's needs are predicted from the last one's measured figures (memory
//! per unit, and the mappings, open files and kernel tasks per unit that a system limit caps):
//! a ring that would not fit is not tried, and the row says which limit stopped it. While a ring
//! is made, its memory is checked against the budget too (a misprediction stops cleanly).
//! [`climb`] then reads each curve: up to what N the cost per hand-off stays near its lowest, from
//! what N it climbs, and which of the measured causes changed there.

use crate::kind::Kind;
use crate::report::{bytes, nanos};
use crate::ring::RingSample;
use crate::stats::Stat;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// The system limits a ring of many units can meet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemLimits {
    /// `kernel.pid_max`: task ids in all (every thread and process takes one).
    pub pid_max: u64,
    /// `kernel.threads-max`.
    pub threads_max: u64,
    /// `vm.max_map_count`: memory mappings per process.
    pub max_map_count: u64,
    /// Open files per process (`ulimit -n`, the soft limit).
    pub open_files: u64,
    /// Kernel tasks alive on the machine when the run started (`/proc/loadavg`).
    pub tasks_in_use: u64,
}

/// Share of the free task ids a ring may take: the rest stays for the machine's other programs.
pub const TASK_ID_SHARE: f64 = 0.8;

fn read_u64(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

impl SystemLimits {
    /// Reads them now (0 where a file cannot be read: that limit is then not checked).
    pub fn read() -> SystemLimits {
        let open_files = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
            .map_or(0, |(soft, _)| soft);
        let tasks_in_use = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|t| {
                let f = t.split_whitespace().nth(3)?;
                f.split_once('/')?.1.parse().ok()
            })
            .unwrap_or(0);
        SystemLimits {
            pid_max: read_u64("/proc/sys/kernel/pid_max").unwrap_or(0),
            threads_max: read_u64("/proc/sys/kernel/threads-max").unwrap_or(0),
            max_map_count: read_u64("/proc/sys/vm/max_map_count").unwrap_or(0),
            open_files,
            tasks_in_use,
        }
    }

    /// Why a ring of `next` units, with the needs per unit `last` measured, should not be tried
    /// (`None`: it fits): the memory budget and every system limit it would exceed, the one that
    /// allows the fewest units first.
    ///
    /// ```
    /// use comparisons::ring::RingSample;
    /// use comparisons::scaling::SystemLimits;
    /// let limits = SystemLimits { pid_max: 32768, threads_max: 100_000, max_map_count: 65530, open_files: 1024, tasks_in_use: 200 };
    /// let thread = RingSample { n: 10_000, memory_bytes: 10_000.0, kernel_bytes: 26_000.0, tasks_per_unit: 1.0, maps_per_unit: 2.0, maps_before: 30, ..Default::default() };
    /// let why = limits.stop_for(100_000, &thread, 4 << 30).expect("too many threads");
    /// assert!(why.starts_with("kernel.pid_max"), "{why}");
    /// assert!(limits.stop_for(10_000, &thread, 4 << 30).is_none());
    /// let big = RingSample { n: 100_000, memory_bytes: 4500.0, ..Default::default() };
    /// assert!(limits.stop_for(1_000_000, &big, 4 << 30).expect("over budget").starts_with("memory budget"));
    /// ```
    pub fn stop_for(&self, next: u64, last: &RingSample, budget: u64) -> Option<String> {
        // (units allowed, why)
        let mut blocks: Vec<(f64, String)> = Vec::new();
        let per = last.total_bytes();
        let need = per * next as f64;
        if need > budget as f64 {
            blocks.push((
                budget as f64 / per.max(1.0),
                format!(
                    "memory budget: {next} units would need about {} ({} per unit, user + kernel, at N = {}), over the budget of {} (--max-memory)",
                    bytes(need),
                    bytes(per),
                    last.n,
                    bytes(budget as f64)
                ),
            ));
        }
        if last.tasks_per_unit >= 0.5 {
            let tasks = last.tasks_per_unit * next as f64;
            let free = self.pid_max.saturating_sub(self.tasks_in_use) as f64 * TASK_ID_SHARE;
            if self.pid_max > 0 && tasks > free {
                blocks.push((
                    free / last.tasks_per_unit,
                    format!(
                        "kernel.pid_max ({}): {next} units need {tasks:.0} kernel tasks (threads or processes, {:.1} per unit), and {} task ids were in use, of which the ring may take {:.0}%",
                        self.pid_max,
                        last.tasks_per_unit,
                        self.tasks_in_use,
                        100.0 * TASK_ID_SHARE
                    ),
                ));
            }
            let free = self.threads_max.saturating_sub(self.tasks_in_use) as f64 * TASK_ID_SHARE;
            if self.threads_max > 0 && tasks > free {
                blocks.push((
                    free / last.tasks_per_unit,
                    format!(
                        "kernel.threads-max ({}): {next} units need {tasks:.0} kernel tasks",
                        self.threads_max
                    ),
                ));
            }
        }
        if last.maps_per_unit > 0.01 && self.max_map_count > 0 {
            let maps = last.maps_before as f64 + last.maps_per_unit * next as f64;
            if maps > self.max_map_count as f64 {
                blocks.push((
                    (self.max_map_count as f64 - last.maps_before as f64) / last.maps_per_unit,
                    format!(
                        "vm.max_map_count ({}): {next} units need about {maps:.0} memory mappings in one process ({:.2} per unit)",
                        self.max_map_count, last.maps_per_unit
                    ),
                ));
            }
        }
        if last.fds_per_unit > 0.01 && self.open_files > 0 {
            let fds = last.fds_per_unit * next as f64;
            if fds > self.open_files as f64 {
                blocks.push((
                    self.open_files as f64 / last.fds_per_unit,
                    format!(
                        "open files (ulimit -n {}): {next} units need about {fds:.0} ({:.1} per unit)",
                        self.open_files, last.fds_per_unit
                    ),
                ));
            }
        }
        blocks.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut it = blocks.into_iter().map(|(_, why)| why);
        let first = it.next()?;
        let rest: Vec<String> = it.collect();
        Some(if rest.is_empty() {
            first
        } else {
            format!("{first}; also {}", rest.join("; "))
        })
    }
}

/// One CPU cache, from `/sys/devices/system/cpu/cpu0/cache`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    /// 1, 2, 3.
    pub level: u64,
    /// `Data`, `Instruction` or `Unified`.
    pub kind: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// Parses a cache size as sysfs gives it (`32K`, `1024K`, `32M`).
///
/// ```
/// assert_eq!(comparisons::scaling::parse_cache_size("32K"), Some(32 * 1024));
/// assert_eq!(comparisons::scaling::parse_cache_size("32M"), Some(32 << 20));
/// assert_eq!(comparisons::scaling::parse_cache_size("x"), None);
/// ```
pub fn parse_cache_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let (num, mult) = match t.chars().last()? {
        'K' => (&t[..t.len() - 1], 1024),
        'M' => (&t[..t.len() - 1], 1 << 20),
        'G' => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

/// The data caches of CPU 0 (data and unified), smallest level first.
pub fn data_caches() -> Vec<Cache> {
    let mut out = Vec::new();
    for i in 0..8 {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
        let read = |f: &str| std::fs::read_to_string(format!("{dir}/{f}")).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        let kind = kind.trim().to_string();
        if kind == "Instruction" {
            continue;
        }
        if let (Ok(level), Some(size_bytes)) = (level.trim().parse(), parse_cache_size(&size)) {
            out.push(Cache {
                level,
                kind,
                size_bytes,
            });
        }
    }
    out.sort_by_key(|c| c.level);
    out
}

/// Entries of the CPU's last-level data TLB for 4 KiB pages, where `cpuid` says (AMD's extended
/// leaves 0x80000005 and 0x80000006); `None` elsewhere.
pub fn tlb_entries() -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::__cpuid;
        let vendor = __cpuid(0);
        // "AuthenticAMD" / "HygonGenuine": the extended leaves describe the TLBs
        let amd = matches!(vendor.ebx, 0x6874_7541 | 0x6f67_7948);
        if !amd || __cpuid(0x8000_0000).eax < 0x8000_0006 {
            return None;
        }
        let l2 = u64::from((__cpuid(0x8000_0006).ebx >> 16) & 0xfff);
        let l1 = u64::from((__cpuid(0x8000_0005).ebx >> 16) & 0xff);
        let n = l2.max(l1);
        (n > 0).then_some(n)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// One point of a scaling curve (`"scaling"` in the JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    /// The row.
    pub kind: Kind,
    /// Live units in the ring.
    pub n: u64,
    /// ns per hand-off, median of the repetitions.
    pub handoff_ns: f64,
    /// User-space memory per unit (resident; PSS for processes).
    pub memory_bytes: f64,
    /// Kernel memory per unit (system-wide `KernelStack` + `PageTables` + `SUnreclaim` growth).
    pub kernel_bytes: f64,
    /// The repetitions of `handoff_ns`.
    pub handoff: Stat,
    /// System-wide page faults per hand-off during the timed laps.
    pub faults_per_handoff: f64,
    /// System-wide context switches per hand-off during the timed laps.
    pub context_switches_per_handoff: f64,
    /// Memory mappings, open files and kernel tasks of the measuring process per unit.
    pub maps_per_unit: f64,
    /// Open files of the measuring process per unit.
    pub fds_per_unit: f64,
    /// Kernel tasks (threads, child processes) of the measuring process per unit.
    pub tasks_per_unit: f64,
    /// Laps run in all.
    pub laps: u64,
    /// Whether every unit was handed the token exactly once per lap, in its turn.
    pub every_unit_once_per_lap: bool,
}

impl ScalingPoint {
    /// The point of a measured ring (`None` if it has no timing).
    pub fn from_sample(kind: Kind, s: &RingSample) -> Option<ScalingPoint> {
        let handoff = Stat::from_samples(&s.reps_ns)?;
        Some(ScalingPoint {
            kind,
            n: s.n,
            handoff_ns: handoff.median,
            memory_bytes: s.memory_bytes,
            kernel_bytes: s.kernel_bytes,
            handoff,
            faults_per_handoff: s.faults_per_handoff,
            context_switches_per_handoff: s.context_switches_per_handoff,
            maps_per_unit: s.maps_per_unit,
            fds_per_unit: s.fds_per_unit,
            tasks_per_unit: s.tasks_per_unit,
            laps: s.laps,
            every_unit_once_per_lap: s.every_unit_once_per_lap(),
        })
    }

    /// User space plus kernel per unit.
    pub fn total_bytes(&self) -> f64 {
        self.memory_bytes + self.kernel_bytes.max(0.0)
    }
}

/// How far one row's ring went, and how its cost grew (`"scaling"` of a row in the JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowScaling {
    /// The largest N measured (`None`: not even N = 1).
    pub largest_n: Option<u64>,
    /// What stopped it: the memory budget, a system limit, the run's largest N, or an error.
    pub stopped_by: String,
    /// The curve read: where the cost per hand-off climbs, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub climb: Option<Climb>,
}

/// Where a curve's cost per hand-off climbs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Climb {
    /// The lowest cost per hand-off, ns, and the N it was measured at.
    pub lowest_ns: f64,
    /// N of the lowest cost.
    pub lowest_n: u64,
    /// The largest N up to which the cost stayed within [`CLIMB_FACTOR`] of the lowest.
    pub keeps_up_to_n: u64,
    /// The first N beyond the lowest's where the cost exceeded it by more than [`CLIMB_FACTOR`]
    /// (`None`: it never did, up to the largest N).
    pub climbs_from_n: Option<u64>,
    /// The cost at the largest N over the lowest.
    pub factor_at_largest: f64,
    /// What changed where it climbed, from the measured figures.
    pub cause: String,
}

/// A cost per hand-off this many times its lowest counts as climbing.
pub const CLIMB_FACTOR: f64 = 1.5;

/// Names the cache level a working set of `bytes` fits in (or "memory").
fn cache_fit(bytes: f64, caches: &[Cache]) -> String {
    caches.iter().find(|c| bytes <= c.size_bytes as f64).map_or(
        "beyond every cache".to_string(),
        |c| {
            format!(
                "within the {} L{}",
                crate::report::bytes(c.size_bytes as f64),
                c.level
            )
        },
    )
}

/// Reads a curve (its points in increasing N): up to what N the cost per hand-off stays within
/// [`CLIMB_FACTOR`] of its lowest, where it climbs beyond that, and which of the measured causes
/// changed between the lowest point and the climbing one: page faults and context switches per
/// hand-off (counted), the ring's working set against the data caches and its pages against the
/// TLB's entries (compared; this machine's hardware counters would say more where available).
///
/// ```
/// use comparisons::scaling::{climb, Cache, ScalingPoint};
/// use comparisons::kind::Kind;
/// use comparisons::stats::Stat;
/// let p = |n: u64, ns: f64| ScalingPoint {
///     kind: Kind::Stackful, n, handoff_ns: ns, memory_bytes: 4096.0, kernel_bytes: 0.0,
///     handoff: Stat::from_samples(&[ns]).unwrap(), faults_per_handoff: 0.0,
///     context_switches_per_handoff: 0.0, maps_per_unit: 0.0, fds_per_unit: 0.0,
///     tasks_per_unit: 0.0, laps: 3, every_unit_once_per_lap: true,
/// };
/// let caches = [Cache { level: 2, kind: "Unified".into(), size_bytes: 1 << 20 }];
/// let c = climb(&[p(1, 5.0), p(100, 4.0), p(10_000, 12.0)], &caches, Some(3072)).unwrap();
/// assert_eq!((c.lowest_n, c.keeps_up_to_n, c.climbs_from_n), (100, 100, Some(10_000)));
/// assert!(c.cause.contains("TLB") && c.cause.contains("caches"), "{}", c.cause);
/// ```
pub fn climb(points: &[ScalingPoint], caches: &[Cache], tlb: Option<u64>) -> Option<Climb> {
    let lowest = points
        .iter()
        .min_by(|a, b| a.handoff_ns.total_cmp(&b.handoff_ns))?;
    let largest = points.last()?;
    let climbing = points
        .iter()
        .find(|p| p.n > lowest.n && p.handoff_ns > CLIMB_FACTOR * lowest.handoff_ns);
    let keeps_up_to_n = match climbing {
        Some(c) => points
            .iter()
            .filter(|p| p.n < c.n)
            .map(|p| p.n)
            .max()
            .unwrap_or(lowest.n),
        None => largest.n,
    };
    let cause = match climbing {
        None => format!(
            "it does not climb: at N = {} a hand-off costs {} ({:.2}x its lowest)",
            largest.n,
            nanos(largest.handoff_ns),
            largest.handoff_ns / lowest.handoff_ns
        ),
        Some(c) => cause_between(lowest, c, caches, tlb),
    };
    Some(Climb {
        lowest_ns: lowest.handoff_ns,
        lowest_n: lowest.n,
        keeps_up_to_n,
        climbs_from_n: climbing.map(|c| c.n),
        factor_at_largest: largest.handoff_ns / lowest.handoff_ns,
        cause,
    })
}

/// What changed between the lowest point `a` and the climbing point `b`.
fn cause_between(a: &ScalingPoint, b: &ScalingPoint, caches: &[Cache], tlb: Option<u64>) -> String {
    let mut found: Vec<String> = Vec::new();
    let df = b.faults_per_handoff - a.faults_per_handoff;
    if df > 0.02 {
        found.push(format!(
            "page faults: {:.2} per hand-off at N = {} against {:.2} at N = {}",
            b.faults_per_handoff, b.n, a.faults_per_handoff, a.n
        ));
    }
    let ds = b.context_switches_per_handoff - a.context_switches_per_handoff;
    if ds > 0.1 {
        found.push(format!(
            "scheduler: {:.2} context switches per hand-off at N = {} against {:.2} at N = {}",
            b.context_switches_per_handoff, b.n, a.context_switches_per_handoff, a.n
        ));
    }
    let ws = |p: &ScalingPoint| p.total_bytes().max(1.0) * p.n as f64;
    let (wa, wb) = (ws(a), ws(b));
    let (fa, fb) = (cache_fit(wa, caches), cache_fit(wb, caches));
    if fa != fb {
        found.push(format!(
            "caches: the ring's memory grows from {} at N = {} ({fa}) to {} at N = {} ({fb})",
            bytes(wa),
            a.n,
            bytes(wb),
            b.n
        ));
    }
    if let Some(entries) = tlb {
        // a unit of a page or more is a page (or more) of its own; smaller ones share pages
        let pages = |p: &ScalingPoint| {
            let per = p.total_bytes().max(1.0);
            if per >= 4096.0 {
                p.n as f64 * (per / 4096.0).floor()
            } else {
                (per * p.n as f64 / 4096.0).ceil()
            }
        };
        let (pa, pb) = (pages(a), pages(b));
        if pa <= entries as f64 && pb > entries as f64 {
            found.push(format!(
                "TLB: a lap touches about {pb:.0} pages at N = {} against {pa:.0} at N = {}, beyond the CPU's {entries} data-TLB entries",
                b.n, a.n
            ));
        }
    }
    let mut s = String::new();
    if found.is_empty() {
        let _ = write!(
            s,
            "none of the measured causes changed between N = {} and N = {} (page faults and context switches per hand-off stay put, the ring's memory stays {fb}): the runtime's own bookkeeping, or noise",
            a.n, b.n
        );
    } else {
        s = found.join("; ");
    }
    s
}
