//! The JSON document, `comparison.json`: one [`Row`] per kind of row, with the article's claims
//! and whether they hold, every experiment's verdict and evidence, the machine's activity during
//! each experiment, and how each figure was measured. Every figure keeps its repetitions, so two
//! runs (two machines) can be compared from their JSON alone.

use crate::classify::Verdict;
use crate::kind::Kind;
use crate::machine::Machine;
use crate::noise::Noise;
use crate::samples::Scheduler;
use crate::stats::Stat;
use crate::timing::TimingSample;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether each of the article's claims holds for a measured row (`None`: not measured, or the
/// measurement was uncertain).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holds {
    /// The memory cell, checked against user-space plus kernel memory per unit.
    pub memory_bytes: Option<bool>,
    /// "Managed by OS".
    pub managed_by_os: Option<bool>,
    /// "Own address space".
    pub own_address_space: Option<bool>,
    /// "Pre-emptive scheduling".
    pub preemptive: Option<bool>,
    /// "Parallel".
    pub parallel: Option<bool>,
}

/// The article's column for a row, and whether each claim holds here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Column heading in the article's table.
    pub column: String,
    /// The memory cell, verbatim ("Mb" read as MiB per unit).
    pub memory: String,
    /// "Managed by OS".
    pub managed_by_os: bool,
    /// "Own address space".
    pub own_address_space: bool,
    /// "Pre-emptive scheduling".
    pub preemptive: bool,
    /// "Parallel".
    pub parallel: bool,
    /// Whether each claim holds on this machine.
    pub holds: Holds,
}

/// A timed figure: the median, min and max of the repetitions' means, and the percentiles of
/// every timed entry (single operations, or batches for the fastest rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// The repetitions' means (ns per operation).
    #[serde(flatten)]
    pub stat: Stat,
    /// Median of the histogram entries, ns per operation.
    pub p50: f64,
    /// 99th percentile of the histogram entries, ns per operation.
    pub p99: f64,
    /// Entries in the histogram.
    pub entries: u64,
    /// Operations per entry (1: each timed on its own).
    pub batch: u64,
    /// Round trips: the share of checked round trips whose ends ran on different CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_on_different_cpus: Option<f64>,
}

impl Timing {
    /// The figure from a row's [`TimingSample`]; `None` without repetitions.
    pub fn from_sample(t: &TimingSample) -> Option<Timing> {
        Some(Timing {
            stat: Stat::from_samples(&t.reps_ns)?,
            p50: t.p50_ns,
            p99: t.p99_ns,
            entries: t.entries,
            batch: t.batch,
            ends_on_different_cpus: t.ends_on_different_cpus,
        })
    }
}

/// The kernel's memory per live unit, system-wide, by `/proc/meminfo` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KernelParts {
    /// `KernelStack` growth per unit.
    pub kernel_stack_bytes: Stat,
    /// `PageTables` growth per unit.
    pub page_tables_bytes: Stat,
    /// `SUnreclaim` growth per unit.
    pub slab_unreclaimable_bytes: Stat,
}

/// How each figure of a row was measured, with the experiments' evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// How `memory_bytes` (user space) was measured.
    pub memory_bytes: String,
    /// How `virtual_bytes` was measured.
    pub virtual_bytes: String,
    /// How `object_bytes` was measured (empty where it does not apply).
    #[serde(default)]
    pub object_bytes: String,
    /// How `kernel_bytes` was measured.
    #[serde(default)]
    pub kernel_bytes: String,
    /// What one creation is, for this row.
    pub create_ns: String,
    /// What one round trip is, and where its ends ran.
    pub switch_ns: String,
    /// How the row's scaling ring is built.
    #[serde(default)]
    pub ring: String,
    /// The kernel-task experiment and its evidence.
    pub managed_by_os: String,
    /// The address-space experiment and its evidence.
    pub own_address_space: String,
    /// The pre-emption experiment and its evidence.
    pub preemptive: String,
    /// The parallelism experiment and its evidence.
    pub parallel: String,
    /// `size_of` one unit's state, in bytes, where the language says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_of_bytes: Option<f64>,
    /// Heap bytes per unit counted by the allocator wrapper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heap_bytes: Option<Stat>,
    /// Row-specific remarks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// A property the run could not decide: its repetitions disagreed or could not decide.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uncertain {
    /// The property (`managed_by_os`, `preemptive`, `parallel`, ...).
    pub property: String,
    /// The evidence of every repetition.
    pub evidence: String,
}

/// The four properties' verdicts, with their basis, repetitions and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Properties {
    /// "Managed by OS".
    pub managed_by_os: Verdict,
    /// "Own address space".
    pub own_address_space: Verdict,
    /// "Pre-emptive scheduling".
    pub preemptive: Verdict,
    /// "Parallel".
    pub parallel: Verdict,
}

impl Properties {
    /// The four, with their JSON names.
    pub fn named(&self) -> [(&'static str, &Verdict); 4] {
        [
            ("managed_by_os", &self.managed_by_os),
            ("own_address_space", &self.own_address_space),
            ("preemptive", &self.preemptive),
            ("parallel", &self.parallel),
        ]
    }
}

/// One row of `comparison.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Which row.
    pub kind: Kind,
    /// What was measured.
    pub label: String,
    /// Who schedules the units (`caller-thread`, `kernel`, `runtime`).
    pub scheduler: Option<Scheduler>,
    /// Worker threads the units ran on.
    pub workers: Option<u64>,
    /// User-space memory per live suspended unit (resident; PSS for processes).
    pub memory_bytes: Option<Stat>,
    /// Kernel memory per live unit: system-wide growth of `KernelStack` + `PageTables` +
    /// `SUnreclaim` in `/proc/meminfo`.
    pub kernel_bytes: Option<Stat>,
    /// The three parts of `kernel_bytes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_parts: Option<KernelParts>,
    /// The unit as an object: `size_of` its handle plus its heap (rows where it applies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_bytes: Option<Stat>,
    /// Reserved virtual bytes per live suspended unit.
    pub virtual_bytes: Option<Stat>,
    /// ns to create a unit, run it to its first suspension, resume it to its end and free it
    /// (placed rows: on one CPU).
    pub create_ns: Option<Timing>,
    /// The same with nothing pinned (placed rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_unpinned_ns: Option<Timing>,
    /// The same on a pooled stack (the stackful row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_pooled_ns: Option<Timing>,
    /// ns to create on a pooled stack, run to the first suspension and drop while suspended
    /// (the stackful row: the drop unwinds the stack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_suspended_ns: Option<Timing>,
    /// ns per round trip (two switches); placed rows: both ends pinned to one CPU.
    pub switch_ns: Option<Timing>,
    /// The same with the ends pinned to two different CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch_cross_cpu_ns: Option<Timing>,
    /// The same with neither end pinned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch_unpinned_ns: Option<Timing>,
    /// Decided by the kernel-task experiment (`None`: uncertain or not measured).
    pub managed_by_os: Option<bool>,
    /// Decided by the address-space experiment.
    pub own_address_space: Option<bool>,
    /// Decided by the pre-emption experiment (or by construction).
    pub preemptive: Option<bool>,
    /// Decided by the parallelism experiment (or by construction).
    pub parallel: Option<bool>,
    /// Each property's verdict in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
    /// The properties this run could not decide, with the evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertain: Vec<Uncertain>,
    /// The machine's activity during each experiment of the row.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub noise: BTreeMap<String, Noise>,
    /// The article's claims and whether they hold.
    pub article: Article,
    /// How each figure was measured.
    pub method: Method,
    /// How far the row's scaling ring went and how its cost grew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling: Option<crate::scaling::RowScaling>,
    /// Why the row was not measured, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl Row {
    /// User-space plus kernel memory per unit (median of each), when both were measured; the
    /// user-space figure alone when the kernel's was not.
    pub fn total_memory(&self) -> Option<f64> {
        let user = self.memory_bytes.as_ref()?.median;
        Some(
            user + self
                .kernel_bytes
                .as_ref()
                .map_or(0.0, |k| k.median.max(0.0)),
        )
    }
}

/// The whole `comparison.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Where and how it was measured, and how busy the machine was.
    pub machine: Machine,
    /// One row per kind, in table order.
    pub rows: Vec<Row>,
    /// The scaling curves: every row's ring at every N it reached.
    #[serde(default)]
    pub scaling: Vec<crate::scaling::ScalingPoint>,
}
