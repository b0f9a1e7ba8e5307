//! The JSON document, `comparison.json`: one [`Row`] per kind of row, with the article's claims
//! and whether they hold, and how each figure was measured.

use crate::kind::Kind;
use crate::machine::Machine;
use crate::stats::Stat;
use serde::{Deserialize, Serialize};

/// Whether each of the article's claims holds for a measured row (`None`: not measured).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Holds {
    /// The memory cell, checked against the resident median.
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

/// How each figure of a row was measured, with the experiments' evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Method {
    /// How `memory_bytes` was measured.
    pub memory_bytes: String,
    /// How `virtual_bytes` was measured.
    pub virtual_bytes: String,
    /// How `create_ns` was measured.
    pub create_ns: String,
    /// How `switch_ns` was measured.
    pub switch_ns: String,
    /// The kernel-thread-id experiment and its evidence.
    pub managed_by_os: String,
    /// The address-space experiment and its evidence.
    pub own_address_space: String,
    /// The pre-emption experiment and its evidence.
    pub preemptive: String,
    /// The parallelism experiment and its evidence.
    pub parallel: String,
    /// Stackless rows: `size_of` one unit, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_of_bytes: Option<f64>,
    /// Stackless rows: heap bytes per unit counted by the allocator wrapper.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heap_bytes: Option<Stat>,
    /// Row-specific remarks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// One row of `comparison.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Which row.
    pub kind: Kind,
    /// What was measured.
    pub label: String,
    /// Resident bytes per live suspended unit.
    pub memory_bytes: Option<Stat>,
    /// Reserved virtual bytes per live suspended unit.
    pub virtual_bytes: Option<Stat>,
    /// ns to create, run to first suspension and destroy a unit.
    pub create_ns: Option<Stat>,
    /// ns per round trip (two switches).
    pub switch_ns: Option<Stat>,
    /// Decided by the kernel-thread-id experiment.
    pub managed_by_os: Option<bool>,
    /// Decided by the address-space experiment.
    pub own_address_space: Option<bool>,
    /// Decided by the pre-emption experiment.
    pub preemptive: Option<bool>,
    /// Decided by the parallelism experiment.
    pub parallel: Option<bool>,
    /// The article's claims and whether they hold.
    pub article: Article,
    /// How each figure was measured.
    pub method: Method,
    /// Why the row was not measured, if it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

/// The whole `comparison.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Where and how it was measured.
    pub machine: Machine,
    /// One row per kind, in table order.
    pub rows: Vec<Row>,
}
