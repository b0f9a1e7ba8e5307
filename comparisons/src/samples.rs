//! The raw evidence one row's measurement produces. The Rust rows, the Go program and the Python
//! script all emit this same shape (as JSON for the external ones), so every row is summarised and
//! classified by the same code.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::noise::Noise;
use crate::procfs::{KernelMem, StatusMem};
use crate::timing::TimingSample;

/// Who schedules a row's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scheduler {
    /// Their creator's thread resumes them one at a time: a unit runs only when resumed and
    /// until it suspends, so "pre-emptive" and "parallel" are "no" by construction.
    #[default]
    CallerThread,
    /// The OS kernel: each unit is a kernel task (thread or process).
    Kernel,
    /// A runtime, on its worker threads.
    Runtime,
}

/// The "managed by OS" experiment once: `units` units alive at once, and the kernel threads and
/// child processes of the measuring process before and while they lived.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManagedSample {
    /// Units alive at once.
    pub units: u64,
    /// Kernel threads of the measuring process before the units were made.
    pub threads_before: u64,
    /// The same while all the units were alive.
    pub threads_during: u64,
    /// Child processes of the measuring process before the units were made.
    pub children_before: u64,
    /// The same while all the units were alive.
    pub children_during: u64,
    /// Kernel thread id of the code that made the units.
    pub creator_tid: i64,
    /// Kernel thread id each unit saw (`gettid()` inside it).
    pub unit_tids: Vec<i64>,
    /// How many of the distinct `unit_tids` name a kernel task (thread or child process) that
    /// was absent before the units were made and present while they lived. Unlike the counts,
    /// threads that other code of the process starts or ends meanwhile do not change it. `None`
    /// where only the counts were taken (the external programs, which run alone in their process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units_on_new_tasks: Option<u64>,
}

/// The pre-emption experiment once. Times are ns after the last spinner started spinning.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreemptSample {
    /// Units that spun at once without yielding (one per CPU or worker the units run on).
    pub spinners: u64,
    /// How long each spinner spun, ns.
    pub spin_ns: f64,
    /// Whether every spinner was spinning when the probe unit was made runnable.
    pub all_spinning: bool,
    /// When the probe unit first ran.
    pub probe_ran_ns: f64,
    /// When the first spinner stopped spinning (and yielded or ended).
    pub first_spinner_done_ns: f64,
}

/// Raw measurements of one row: repetitions of each figure and the experiments' evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Who schedules the units.
    #[serde(default)]
    pub scheduler: Scheduler,
    /// Worker threads the units ran on (runtime rows: the runtime's workers; kernel rows: the
    /// CPUs; caller-thread rows: 1).
    #[serde(default)]
    pub workers: u64,
    /// User-space memory per live suspended unit (resident; PSS for processes), per repetition.
    pub memory_bytes: Vec<f64>,
    /// Reserved virtual bytes per live suspended unit, per repetition.
    pub virtual_bytes: Vec<f64>,
    /// The unit as an object: `size_of` the handle its creator holds plus the heap per unit,
    /// per repetition (rows where it applies).
    #[serde(default)]
    pub object_bytes: Vec<f64>,
    /// Heap bytes per unit counted by the allocator wrapper, per repetition.
    #[serde(default)]
    pub heap_bytes: Vec<f64>,
    /// `size_of` one unit's state, where the language says.
    #[serde(default)]
    pub size_of_bytes: Option<f64>,
    /// System-wide `KernelStack` growth per live unit, per repetition.
    #[serde(default)]
    pub kernel_stack_bytes: Vec<f64>,
    /// System-wide `PageTables` growth per live unit, per repetition.
    #[serde(default)]
    pub page_tables_bytes: Vec<f64>,
    /// System-wide `SUnreclaim` growth per live unit, per repetition.
    #[serde(default)]
    pub slab_unreclaimable_bytes: Vec<f64>,
    /// Create, run to the first suspension, resume to the end, free (placed rows: on one CPU).
    #[serde(default)]
    pub create_ns: Option<TimingSample>,
    /// The same with nothing pinned (placed rows).
    #[serde(default)]
    pub create_unpinned_ns: Option<TimingSample>,
    /// The same on a pooled stack (stackful rows).
    #[serde(default)]
    pub create_pooled_ns: Option<TimingSample>,
    /// Create on a pooled stack, run to the first suspension, drop while suspended (stackful rows:
    /// the stack is unwound).
    #[serde(default)]
    pub drop_suspended_ns: Option<TimingSample>,
    /// Round trip (two switches); placed rows: both ends on one CPU.
    #[serde(default)]
    pub switch_ns: Option<TimingSample>,
    /// Round trip with the ends on two different CPUs.
    #[serde(default)]
    pub switch_cross_cpu_ns: Option<TimingSample>,
    /// Round trip with neither end pinned.
    #[serde(default)]
    pub switch_unpinned_ns: Option<TimingSample>,
    /// The "managed by OS" experiment, per repetition.
    #[serde(default)]
    pub managed: Vec<ManagedSample>,
    /// Value a unit wrote to a variable that was 0 before it ran.
    pub written: u64,
    /// Value the creator then read from that variable.
    pub seen: u64,
    /// The pre-emption experiment, per repetition.
    #[serde(default)]
    pub preempt: Vec<PreemptSample>,
    /// Wall time of one CPU-bound unit, per repetition, in ns.
    pub one_ns: Vec<f64>,
    /// Wall time of two such units at once, per repetition, in ns.
    pub two_ns: Vec<f64>,
    /// CPU time the two units consumed together, per repetition, in ns.
    pub two_cpu_ns: Vec<f64>,
    /// Row-specific remarks on how the figures were obtained.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The machine's activity during each experiment (filled by the Rust side).
    #[serde(default)]
    pub noise: BTreeMap<String, Noise>,
}

/// One repetition of the memory measurement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemSample {
    /// User-space resident bytes per unit.
    pub memory_bytes: f64,
    /// Reserved virtual bytes per unit.
    pub virtual_bytes: f64,
    /// `size_of` the handle the creator holds plus heap per unit, when it applies.
    #[serde(default)]
    pub object_bytes: Option<f64>,
    /// Heap bytes per unit counted by the allocator wrapper, when it applies.
    pub heap_bytes: Option<f64>,
    /// `size_of` one unit's state, when it applies.
    pub size_of_bytes: Option<f64>,
    /// System-wide kernel memory growth per unit (`/proc/meminfo`).
    #[serde(default)]
    pub kernel: Option<KernelPerUnit>,
    /// A remark on this measurement, when there is one.
    #[serde(default)]
    pub note: Option<String>,
}

/// System-wide kernel memory growth per live unit, from `/proc/meminfo` read before the units
/// were made and while they were all alive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelPerUnit {
    /// `KernelStack` growth per unit.
    pub kernel_stack_bytes: f64,
    /// `PageTables` growth per unit.
    pub page_tables_bytes: f64,
    /// `SUnreclaim` growth per unit.
    pub slab_unreclaimable_bytes: f64,
}

impl KernelPerUnit {
    /// Growth per unit between two readings around `count` units.
    ///
    /// ```
    /// use comparisons::procfs::KernelMem;
    /// use comparisons::samples::KernelPerUnit;
    /// let a = KernelMem { kernel_stack: 100, page_tables: 100, slab_unreclaimable: 100 };
    /// let b = KernelMem { kernel_stack: 1700, page_tables: 500, slab_unreclaimable: 80 };
    /// let k = KernelPerUnit::between(&a, &b, 100);
    /// assert_eq!((k.kernel_stack_bytes, k.page_tables_bytes, k.slab_unreclaimable_bytes), (16.0, 4.0, -0.2));
    /// ```
    pub fn between(before: &KernelMem, during: &KernelMem, count: usize) -> KernelPerUnit {
        let d = |a: u64, b: u64| (b as f64 - a as f64) / count.max(1) as f64;
        KernelPerUnit {
            kernel_stack_bytes: d(before.kernel_stack, during.kernel_stack),
            page_tables_bytes: d(before.page_tables, during.page_tables),
            slab_unreclaimable_bytes: d(before.slab_unreclaimable, during.slab_unreclaimable),
        }
    }
}

impl MemSample {
    /// Resident and virtual bytes per unit from the process's `/proc` status read `before` and
    /// `after` making `count` units; the optional fields are left empty for the caller to fill.
    ///
    /// ```
    /// use comparisons::procfs::StatusMem;
    /// use comparisons::samples::MemSample;
    ///
    /// let before = StatusMem { rss_bytes: 1000, vm_bytes: 8000, pte_bytes: 0 };
    /// let after = StatusMem { rss_bytes: 5000, vm_bytes: 16000, pte_bytes: 0 };
    /// let m = MemSample::per_unit(&before, &after, 4);
    /// assert_eq!((m.memory_bytes, m.virtual_bytes), (1000.0, 2000.0));
    /// assert_eq!((m.heap_bytes, m.size_of_bytes, m.note), (None, None, None));
    /// ```
    pub fn per_unit(before: &StatusMem, after: &StatusMem, count: usize) -> Self {
        MemSample {
            memory_bytes: (after.rss_bytes as f64 - before.rss_bytes as f64) / count as f64,
            virtual_bytes: (after.vm_bytes as f64 - before.vm_bytes as f64) / count as f64,
            ..MemSample::default()
        }
    }
}
