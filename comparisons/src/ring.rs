//! The scaling ring: N live units passing a token around, for N from 1 to a million, to see how
//! each style's cost per hand-off and memory per unit grow with the number of live units.
//!
//! Every row builds the same ring in its own way ([`crate::rows::Style::ring`], and the Go and
//! Python programs): N units, each suspended until the token arrives, then handing it (plus one)
//! to the next; the measuring end starts every lap by handing the token to unit 0 and ends it when
//! unit N-1 hands it back. One lap hands the token to every unit once, so the time per hand-off is
//! a lap's time / N (at N = 1, a lap is a round trip between the measuring end and the unit).
//! Each unit counts the tokens it was handed and checks that each came in its turn (token mod N =
//! its place in the ring); at the end every unit hands in its counts, and [`RingSample`] says
//! whether every unit was handed the token exactly once per lap.
//!
//! [`RingMeter`] takes the readings around the ring the same way for every row: memory (user space
//! and the kernel layer) before the units were made and after a first lap, the process's mappings,
//! open files and kernel tasks per unit (which tell what system limit a bigger ring would meet),
//! system-wide page faults and context switches during the timed laps, and the memory budget,
//! checked while the units are being made so a ring that outgrows it stops cleanly.

use crate::procfs;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// The token that stops a unit: it passes it on, hands in its counts and ends.
pub const STOP: u64 = u64::MAX;
/// A token slot's value while it holds no token.
pub const EMPTY: u64 = u64::MAX - 1;

/// How often (in units made) the memory budget is checked while a ring is being made.
pub const CHECK_EVERY: u64 = 256;

/// Least memory left to the rest of the machine: a ring stops making units below it, whatever
/// its budget says.
pub const MACHINE_FLOOR_BYTES: u64 = 2 << 30;

/// One ring to build and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingPlan {
    /// Live units.
    pub n: u64,
    /// Timed repetitions.
    pub reps: usize,
    /// Hand-offs a repetition runs at least (whole laps; at least one lap).
    pub min_handoffs: u64,
    /// A repetition stops at the first whole lap past this many ms (after at least one lap).
    pub rep_budget_ms: u64,
    /// The most memory the ring may take (MemAvailable's drop while its units are made).
    pub memory_budget_bytes: u64,
}

/// What one ring measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RingSample {
    /// Live units in the ring.
    pub n: u64,
    /// ns per hand-off (a repetition's time / its laps / N), one per repetition.
    pub reps_ns: Vec<f64>,
    /// Laps run in all, the first (untimed) one included: what every unit should have been handed.
    pub laps: u64,
    /// User-space memory per unit (resident; PSS for processes), after the first lap.
    pub memory_bytes: f64,
    /// Kernel memory per unit (system-wide `KernelStack` + `PageTables` + `SUnreclaim` growth).
    pub kernel_bytes: f64,
    /// Fewest tokens any unit was handed.
    pub visits_min: u64,
    /// Most tokens any unit was handed.
    pub visits_max: u64,
    /// Units whose counts came back (should be N).
    pub units_counted: u64,
    /// Tokens a unit was handed out of its turn.
    pub order_errors: u64,
    /// System-wide page faults (`/proc/vmstat` pgfault) per hand-off during the timed laps.
    pub faults_per_handoff: f64,
    /// System-wide context switches (`/proc/stat` ctxt) per hand-off during the timed laps.
    pub context_switches_per_handoff: f64,
    /// Memory mappings of the measuring process per unit.
    pub maps_per_unit: f64,
    /// Mappings of the measuring process before the units were made.
    pub maps_before: u64,
    /// Open files of the measuring process per unit.
    pub fds_per_unit: f64,
    /// Kernel tasks (threads and child processes) of the measuring process per unit.
    pub tasks_per_unit: f64,
    /// Set when the units could not all be made (the memory budget, or a system limit): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Units made before it stopped (N when it did not).
    #[serde(default)]
    pub made: u64,
}

impl RingSample {
    /// Whether every unit was handed the token exactly once per lap, each time in its turn.
    pub fn every_unit_once_per_lap(&self) -> bool {
        self.stopped.is_none()
            && self.units_counted == self.n
            && self.visits_min == self.laps
            && self.visits_max == self.laps
            && self.order_errors == 0
    }

    /// Median ns per hand-off.
    pub fn handoff_ns(&self) -> Option<f64> {
        crate::stats::median(&self.reps_ns)
    }

    /// User-space plus kernel memory per unit.
    pub fn total_bytes(&self) -> f64 {
        self.memory_bytes + self.kernel_bytes.max(0.0)
    }
}

/// What one unit does with a token, the same in every row: counts it, checks it came in its turn,
/// and gives the token for the next unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitCount {
    /// Tokens handed to this unit.
    pub visits: u64,
    /// Tokens that came out of turn.
    pub errors: u64,
}

impl UnitCount {
    /// Takes `token` as unit `place` of a ring of `n`; returns the token to pass on.
    ///
    /// ```
    /// let mut c = comparisons::ring::UnitCount::default();
    /// assert_eq!(c.take(7, 2, 5), 8); // token 7 is unit 2's turn in a ring of 5
    /// assert_eq!(c.take(9, 2, 5), 10); // but token 9 is not
    /// assert_eq!((c.visits, c.errors), (2, 1));
    /// ```
    pub fn take(&mut self, token: u64, place: u64, n: u64) -> u64 {
        self.visits += 1;
        if token % n != place {
            self.errors += 1;
        }
        token.wrapping_add(1)
    }
}

/// The counts of every unit, gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visits {
    /// Fewest visits.
    pub min: u64,
    /// Most visits.
    pub max: u64,
    /// Out-of-turn tokens in all.
    pub errors: u64,
    /// Units counted.
    pub units: u64,
}

impl Default for Visits {
    fn default() -> Visits {
        Visits {
            min: u64::MAX,
            max: 0,
            errors: 0,
            units: 0,
        }
    }
}

impl Visits {
    /// Adds one unit's counts.
    pub fn add(&mut self, c: UnitCount) {
        self.min = self.min.min(c.visits);
        self.max = self.max.max(c.visits);
        self.errors += c.errors;
        self.units += 1;
    }
}

/// What the measuring process holds that a system limit caps: memory mappings, open files and
/// kernel tasks (its threads and child processes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// Lines of `/proc/self/maps`.
    pub maps: u64,
    /// Entries of `/proc/self/fd`.
    pub fds: u64,
    /// Threads plus child processes.
    pub tasks: u64,
}

impl Held {
    /// Counts them now.
    pub fn now() -> Result<Held> {
        let maps = std::fs::read("/proc/self/maps").context("reading /proc/self/maps")?;
        let fds = std::fs::read_dir("/proc/self/fd")
            .context("listing /proc/self/fd")?
            .count() as u64;
        Ok(Held {
            maps: maps.iter().filter(|&&b| b == b'\n').count() as u64,
            fds,
            tasks: procfs::threads()? + procfs::children()?,
        })
    }
}

/// System-wide page faults and context switches so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Events {
    /// `pgfault` of `/proc/vmstat`.
    pub faults: u64,
    /// `ctxt` of `/proc/stat`.
    pub switches: u64,
}

/// The number after `name ` on a line of `text` that starts with it.
///
/// ```
/// assert_eq!(comparisons::ring::field("cpu 1 2\nctxt 42\n", "ctxt"), Some(42));
/// assert_eq!(comparisons::ring::field("ctxtx 1\n", "ctxt"), None);
/// ```
pub fn field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        (w.next()? == name).then(|| w.next()?.parse().ok())?
    })
}

impl Events {
    /// Reads them now.
    pub fn now() -> Result<Events> {
        let vmstat = std::fs::read_to_string("/proc/vmstat").context("reading /proc/vmstat")?;
        let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
        Ok(Events {
            faults: field(&vmstat, "pgfault").context("no pgfault in /proc/vmstat")?,
            switches: field(&stat, "ctxt").context("no ctxt in /proc/stat")?,
        })
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
pub fn mem_available() -> Result<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").context("reading /proc/meminfo")?;
    field(&text, "MemAvailable:")
        .map(|kb| kb * 1024)
        .context("no MemAvailable in /proc/meminfo")
}

/// This process's resident memory (`VmRSS`), in bytes.
pub fn rss() -> Result<f64> {
    Ok(procfs::status(None)?.rss_bytes as f64)
}

/// The readings of one ring, taken the same way for every row; see the [module](self).
#[derive(Debug)]
pub struct RingMeter {
    plan: RingPlan,
    user_before: f64,
    kernel_before: procfs::KernelMem,
    held_before: Held,
    available_before: u64,
    rss_before: u64,
    user_during: f64,
    kernel_during: procfs::KernelMem,
    held_during: Held,
    events: Option<Events>,
    reps_ns: Vec<f64>,
    laps: u64,
    timed_handoffs: u64,
    faults: u64,
    switches: u64,
}

/// A reason to stop making units.
pub type Stop = String;

impl RingMeter {
    /// Readings before any unit is made: `user_before` is the process's user-space memory now
    /// ([`rss`], or PSS for the process row).
    pub fn start(plan: &RingPlan, user_before: f64) -> Result<RingMeter> {
        Ok(RingMeter {
            plan: *plan,
            user_before,
            kernel_before: procfs::kernel_mem()?,
            held_before: Held::now()?,
            available_before: mem_available()?,
            rss_before: rss()? as u64,
            user_during: user_before,
            kernel_during: procfs::KernelMem::default(),
            held_during: Held::default(),
            events: None,
            reps_ns: Vec::new(),
            laps: 0,
            timed_handoffs: 0,
            faults: 0,
            switches: 0,
        })
    }

    /// The plan.
    pub fn plan(&self) -> &RingPlan {
        &self.plan
    }

    /// Called after each unit made (`made` so far): every [`CHECK_EVERY`] units, checks that the
    /// ring is within its memory budget (the larger of this process's resident growth and the
    /// drop of the machine's available memory) and leaves the machine [`MACHINE_FLOOR_BYTES`].
    pub fn check(&self, made: u64) -> std::result::Result<(), Stop> {
        if !made.is_multiple_of(CHECK_EVERY) {
            return Ok(());
        }
        let now = mem_available().map_err(|e| format!("{e:#}"))?;
        // this process's own growth is exact and immediate; the machine's available memory also
        // sees units in other processes (forked children), but the kernel updates it lazily
        let own = rss().map_err(|e| format!("{e:#}"))? as u64;
        let used = self
            .available_before
            .saturating_sub(now)
            .max(own.saturating_sub(self.rss_before));
        if used > self.plan.memory_budget_bytes {
            return Err(format!(
                "memory budget: after {made} units they took {}, over the budget of {} (--max-memory)",
                crate::report::bytes(used as f64),
                crate::report::bytes(self.plan.memory_budget_bytes as f64)
            ));
        }
        if now < MACHINE_FLOOR_BYTES {
            return Err(format!(
                "machine memory: after {made} units only {} was available, less than the {} left to the rest of the machine",
                crate::report::bytes(now as f64),
                crate::report::bytes(MACHINE_FLOOR_BYTES as f64)
            ));
        }
        Ok(())
    }

    /// Readings with every unit made and run once (after the first lap, counted in `laps`):
    /// `user_during` as for [`RingMeter::start`].
    pub fn made(&mut self, user_during: f64) -> Result<()> {
        self.user_during = user_during;
        self.kernel_during = procfs::kernel_mem()?;
        self.held_during = Held::now()?;
        self.laps += 1;
        self.events = Some(Events::now()?);
        Ok(())
    }

    /// Starts a timed repetition.
    pub fn rep(&self) -> Rep {
        Rep {
            started: Instant::now(),
            laps: 0,
            n: self.plan.n,
            min_handoffs: self.plan.min_handoffs,
            budget: Duration::from_millis(self.plan.rep_budget_ms),
        }
    }

    /// Records a finished repetition.
    pub fn rep_done(&mut self, rep: Rep) {
        let ns = rep.started.elapsed().as_nanos() as f64;
        let handoffs = rep.laps.max(1) * self.plan.n.max(1);
        self.reps_ns.push(ns / handoffs as f64);
        self.laps += rep.laps;
        self.timed_handoffs += rep.laps * self.plan.n;
    }

    /// Ends the timed repetitions (reads the system's event counters).
    pub fn timed_done(&mut self) -> Result<()> {
        let end = Events::now()?;
        if let Some(start) = self.events {
            self.faults = end.faults.saturating_sub(start.faults);
            self.switches = end.switches.saturating_sub(start.switches);
        }
        Ok(())
    }

    /// Runs the plan's repetitions, `lap(token)` passing the token around once and returning it,
    /// and reads the event counters around them.
    pub fn time_laps(
        &mut self,
        mut token: u64,
        mut lap: impl FnMut(u64) -> Result<u64>,
    ) -> Result<u64> {
        for _ in 0..self.plan.reps.max(1) {
            let mut rep = self.rep();
            while rep.another() {
                token = lap(token)?;
            }
            self.rep_done(rep);
        }
        self.timed_done()?;
        Ok(token)
    }

    /// The sample, with every unit's counts.
    pub fn finish(self, visits: Visits) -> RingSample {
        let n = self.plan.n.max(1) as f64;
        let per = |a: u64, b: u64| (b as f64 - a as f64) / n;
        let handoffs = self.timed_handoffs.max(1) as f64;
        RingSample {
            n: self.plan.n,
            reps_ns: self.reps_ns,
            laps: self.laps,
            memory_bytes: (self.user_during - self.user_before) / n,
            kernel_bytes: per(self.kernel_before.total(), self.kernel_during.total()),
            visits_min: if visits.units == 0 { 0 } else { visits.min },
            visits_max: visits.max,
            units_counted: visits.units,
            order_errors: visits.errors,
            faults_per_handoff: self.faults as f64 / handoffs,
            context_switches_per_handoff: self.switches as f64 / handoffs,
            maps_per_unit: per(self.held_before.maps, self.held_during.maps),
            maps_before: self.held_before.maps,
            fds_per_unit: per(self.held_before.fds, self.held_during.fds),
            tasks_per_unit: per(self.held_before.tasks, self.held_during.tasks),
            stopped: None,
            made: self.plan.n,
        }
    }

    /// The sample of a ring whose units could not all be made: `made` were, `why` says what
    /// stopped it.
    pub fn stopped(self, made: u64, why: Stop) -> RingSample {
        RingSample {
            n: self.plan.n,
            maps_before: self.held_before.maps,
            stopped: Some(why),
            made,
            ..RingSample::default()
        }
    }
}

/// One timed repetition of laps: [`Rep::another`] says whether to run another lap.
#[derive(Debug)]
pub struct Rep {
    started: Instant,
    laps: u64,
    n: u64,
    min_handoffs: u64,
    budget: Duration,
}

impl Rep {
    /// Whether to run another lap (counting it): always a first one, then until the repetition
    /// has its hand-offs or its time budget is spent.
    pub fn another(&mut self) -> bool {
        let more = self.laps == 0
            || (self.laps * self.n.max(1) < self.min_handoffs
                && self.started.elapsed() < self.budget);
        if more {
            self.laps += 1;
        }
        more
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repetition_runs_whole_laps_until_it_has_its_handoffs() {
        let plan = RingPlan {
            n: 10,
            reps: 2,
            min_handoffs: 35,
            rep_budget_ms: 60_000,
            memory_budget_bytes: 1 << 30,
        };
        let mut m = RingMeter::start(&plan, 0.0).unwrap();
        m.made(0.0).unwrap();
        let mut laps = 0;
        let token = m
            .time_laps(0, |t| {
                laps += 1;
                Ok(t + 10)
            })
            .unwrap();
        // 4 laps of 10 reach 35 hand-offs, twice
        assert_eq!((laps, token), (8, 80));
        let mut v = Visits::default();
        for _ in 0..10 {
            v.add(UnitCount {
                visits: 9,
                errors: 0,
            });
        }
        let s = m.finish(v);
        assert_eq!((s.laps, s.reps_ns.len()), (9, 2));
        assert!(s.every_unit_once_per_lap(), "{s:?}");
    }

    #[test]
    fn a_unit_missed_or_out_of_turn_is_seen() {
        let base = RingSample {
            n: 2,
            laps: 3,
            visits_min: 3,
            visits_max: 3,
            units_counted: 2,
            ..RingSample::default()
        };
        assert!(base.every_unit_once_per_lap());
        for bad in [
            RingSample {
                visits_min: 2,
                ..base.clone()
            },
            RingSample {
                order_errors: 1,
                ..base.clone()
            },
            RingSample {
                units_counted: 1,
                ..base.clone()
            },
        ] {
            assert!(!bad.every_unit_once_per_lap(), "{bad:?}");
        }
    }

    #[test]
    fn the_budget_stops_a_ring_that_outgrows_it() {
        let plan = RingPlan {
            n: 1000,
            reps: 1,
            min_handoffs: 1,
            rep_budget_ms: 1,
            memory_budget_bytes: 32 << 20,
        };
        let m = RingMeter::start(&plan, 0.0).unwrap();
        // 256 MiB touched: far more than the 32 MiB budget (the check reads MemAvailable,
        // system-wide, so the margin covers what other programs free meanwhile)
        let hog = vec![1u8; 256 << 20];
        std::hint::black_box(&hog);
        let e = m.check(CHECK_EVERY).unwrap_err();
        assert!(e.starts_with("memory budget"), "{e}");
        assert!(
            m.check(CHECK_EVERY + 1).is_ok(),
            "checked only every {CHECK_EVERY} units"
        );
    }
}
