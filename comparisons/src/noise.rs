//! What else the machine did while an experiment ran: CPU time the hypervisor gave to other
//! guests (steal, from `/proc/stat`) and CPU time other processes used (every CPU's busy time
//! from `/proc/stat` minus this process's own and its waited-for children's). The tool's own
//! threads and children are not "other", so its own work cannot make it warn.

use serde::{Deserialize, Serialize};
use std::time::Instant;

/// CPU time of the whole machine, in seconds, from the `cpu` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MachineCpu {
    /// user + nice + system + irq + softirq over every CPU.
    pub busy_s: f64,
    /// steal: time a virtual CPU wanted to run but the hypervisor ran something else.
    pub steal_s: f64,
    /// CPUs the machine has (the `cpuN` lines).
    pub cpus: usize,
}

/// Parses the first (`cpu `) line of a `/proc/stat` text, with `ticks_per_s` (`USER_HZ`).
///
/// ```
/// let text = "cpu  100 5 50 1000 7 1 2 30 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
/// let c = comparisons::noise::parse_stat(text, 100.0).expect("a cpu line");
/// assert_eq!(c.busy_s, 1.58); // (100 + 5 + 50 + 1 + 2) / 100
/// assert_eq!(c.steal_s, 0.3);
/// assert_eq!(c.cpus, 1);
/// ```
pub fn parse_stat(text: &str, ticks_per_s: f64) -> Option<MachineCpu> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|w| w.parse().ok())
        .collect::<Option<_>>()?;
    let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
    if v.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user
    Some(MachineCpu {
        busy_s: (at(0) + at(1) + at(2) + at(5) + at(6)) / ticks_per_s,
        steal_s: at(7) / ticks_per_s,
        cpus: text
            .lines()
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count()
            .max(1),
    })
}

fn ticks_per_s() -> f64 {
    match nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK) {
        Ok(Some(t)) if t > 0 => t as f64,
        _ => 100.0,
    }
}

/// This machine's CPU times now, if `/proc/stat` is readable.
pub fn machine_cpu() -> Option<MachineCpu> {
    parse_stat(&std::fs::read_to_string("/proc/stat").ok()?, ticks_per_s())
}

/// CPU seconds used by this process and its waited-for children so far.
pub fn own_cpu_s() -> f64 {
    use nix::sys::resource::{UsageWho, getrusage};
    let secs = |who| {
        getrusage(who).map_or(0.0, |u| {
            let t = |tv: nix::sys::time::TimeVal| tv.tv_sec() as f64 + tv.tv_usec() as f64 / 1e6;
            t(u.user_time()) + t(u.system_time())
        })
    };
    secs(UsageWho::RUSAGE_SELF) + secs(UsageWho::RUSAGE_CHILDREN)
}

/// The machine's activity over one experiment.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Noise {
    /// Wall time of the experiment, s.
    pub seconds: f64,
    /// CPUs of the machine (what the shares are of).
    pub cpus: usize,
    /// Steal time over all CPUs, s.
    pub steal_s: f64,
    /// CPU time used by other processes, s (busy time minus this process's own).
    pub other_cpu_s: f64,
    /// CPU time used by this process and its children, s.
    pub own_cpu_s: f64,
}

/// Share of the machine's CPU time stolen, above which a run is flagged.
pub const STEAL_LIMIT: f64 = 0.05;
/// Share of the machine's CPU time used by other processes, above which a run is flagged.
pub const OTHER_LIMIT: f64 = 0.10;
/// CPU seconds of steal or of other processes below which nothing is flagged, whatever the share:
/// `/proc/stat` counts in ticks (10 ms), so a short experiment's shares are coarse.
pub const MIN_FLAGGED_S: f64 = 0.05;

impl Noise {
    /// Steal as a share of the machine's CPU time over the experiment.
    pub fn steal_share(&self) -> f64 {
        self.steal_s / (self.seconds * self.cpus.max(1) as f64).max(1e-9)
    }

    /// Other processes' CPU time as a share of the machine's CPU time over the experiment.
    pub fn other_share(&self) -> f64 {
        self.other_cpu_s / (self.seconds * self.cpus.max(1) as f64).max(1e-9)
    }

    /// Whether the machine was busy with something else (steal or other processes above the
    /// limits).
    ///
    /// ```
    /// use comparisons::noise::Noise;
    /// let quiet = Noise { seconds: 10.0, cpus: 2, steal_s: 0.1, other_cpu_s: 0.5, own_cpu_s: 12.0 };
    /// assert!(!quiet.busy());
    /// let busy = Noise { other_cpu_s: 8.0, ..quiet };
    /// assert!(busy.busy());
    /// ```
    pub fn busy(&self) -> bool {
        (self.steal_share() > STEAL_LIMIT && self.steal_s > MIN_FLAGGED_S)
            || (self.other_share() > OTHER_LIMIT && self.other_cpu_s > MIN_FLAGGED_S)
    }

    /// The figures in words.
    pub fn describe(&self) -> String {
        format!(
            "over {:.1} s on {} CPUs: steal {:.1}%, other processes {:.1}% of the CPU time (this tool {:.1}%)",
            self.seconds,
            self.cpus,
            100.0 * self.steal_share(),
            100.0 * self.other_share(),
            100.0 * self.own_cpu_s / (self.seconds * self.cpus.max(1) as f64).max(1e-9)
        )
    }

    /// The sum of several experiments' noise (for a row or a run).
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Noise>) -> Option<Noise> {
        all.into_iter().fold(None, |acc: Option<Noise>, n| {
            Some(match acc {
                None => *n,
                Some(a) => Noise {
                    seconds: a.seconds + n.seconds,
                    cpus: a.cpus.max(n.cpus),
                    steal_s: a.steal_s + n.steal_s,
                    other_cpu_s: a.other_cpu_s + n.other_cpu_s,
                    own_cpu_s: a.own_cpu_s + n.own_cpu_s,
                },
            })
        })
    }
}

/// A reading of the machine's and this process's CPU times, to compare with a later one.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    at: Instant,
    machine: Option<MachineCpu>,
    own_s: f64,
}

impl Mark {
    /// Reads the times now.
    pub fn now() -> Mark {
        Mark {
            at: Instant::now(),
            machine: machine_cpu(),
            own_s: own_cpu_s(),
        }
    }

    /// What happened since this mark (`None` when `/proc/stat` is unreadable).
    pub fn since(&self) -> Option<Noise> {
        let end = Mark::now();
        let (a, b) = (self.machine?, end.machine?);
        let own = (end.own_s - self.own_s).max(0.0);
        Some(Noise {
            seconds: (end.at - self.at).as_secs_f64(),
            cpus: b.cpus,
            steal_s: (b.steal_s - a.steal_s).max(0.0),
            other_cpu_s: (b.busy_s - a.busy_s - own).max(0.0),
            own_cpu_s: own,
        })
    }
}

/// Runs `f` and returns what it returned with the machine's activity meanwhile.
pub fn during<T>(f: impl FnOnce() -> T) -> (T, Option<Noise>) {
    let m = Mark::now();
    let out = f();
    (out, m.since())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_work_is_not_other_processes_work() {
        let (_, n) = during(|| crate::work::cpu_work(30_000_000));
        let n = n.expect("/proc/stat is readable here");
        assert!(n.own_cpu_s > 0.0 && n.seconds > 0.0, "{n:?}");
        assert!(n.describe().contains("steal"));
    }

    #[test]
    fn sums_add_up() {
        let a = Noise {
            seconds: 1.0,
            cpus: 2,
            steal_s: 0.1,
            other_cpu_s: 0.2,
            own_cpu_s: 1.0,
        };
        let s = Noise::sum([&a, &a]).unwrap();
        assert_eq!((s.seconds, s.steal_s, s.other_cpu_s), (2.0, 0.2, 0.4));
        assert!(Noise::sum([]).is_none());
    }
}
