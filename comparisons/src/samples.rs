//! The raw evidence one row's measurement produces. The Rust rows, the Go program and the Python
//! script all emit this same shape (as JSON for the external ones), so every row is summarised and
//! classified by the same code.

use serde::{Deserialize, Serialize};

use crate::procfs::StatusMem;

/// Raw measurements of one row: repetitions of each figure and the experiments' evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Samples {
    /// Resident bytes per live suspended unit, one value per repetition.
    pub memory_bytes: Vec<f64>,
    /// Reserved virtual bytes per live suspended unit, one value per repetition.
    pub virtual_bytes: Vec<f64>,
    /// Nanoseconds to create, run to first suspension and destroy one unit, per repetition.
    pub create_ns: Vec<f64>,
    /// Nanoseconds per round trip (two switches), per repetition.
    pub switch_ns: Vec<f64>,
    /// Kernel thread id of the code that created the units.
    pub creator_tid: i64,
    /// Kernel thread id seen inside each of several simultaneously live units.
    pub unit_tids: Vec<i64>,
    /// Value a unit wrote to a variable that was 0 before it ran.
    pub written: u64,
    /// Value the creator then read from that variable.
    pub seen: u64,
    /// How long each spinning unit spun without yielding, in ns.
    pub spin_ns: f64,
    /// How many units spun at once (the scheduler's worker count).
    pub spinners: u64,
    /// Time from making a probe unit runnable to its first run while the spinners spun, in ns.
    pub probe_latency_ns: f64,
    /// Wall time of one CPU-bound unit, per repetition, in ns.
    pub one_ns: Vec<f64>,
    /// Wall time of two such units at once, per repetition, in ns.
    pub two_ns: Vec<f64>,
    /// CPU time the two units consumed together, per repetition, in ns.
    pub two_cpu_ns: Vec<f64>,
    /// Stackless rows: `size_of` one unit.
    #[serde(default)]
    pub size_of_bytes: Option<f64>,
    /// Stackless rows: heap bytes per unit counted by the allocator wrapper, per repetition.
    #[serde(default)]
    pub heap_bytes: Vec<f64>,
    /// Row-specific remarks on how the figures were obtained.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One repetition of the memory measurement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemSample {
    /// Resident bytes per unit.
    pub memory_bytes: f64,
    /// Reserved virtual bytes per unit.
    pub virtual_bytes: f64,
    /// Heap bytes per unit counted by the allocator wrapper, when it applies.
    pub heap_bytes: Option<f64>,
    /// `size_of` one unit, when it applies.
    pub size_of_bytes: Option<f64>,
    /// A remark on this measurement, when there is one.
    #[serde(default)]
    pub note: Option<String>,
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
            heap_bytes: None,
            size_of_bytes: None,
            note: None,
        }
    }
}
