//! What the article's table claims for each row of the comparison: its column's words and yes/no
//! answers, and the memory cell as a claim a measured figure can be checked against.

use crate::kind::Kind;

/// A memory claim of the article.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemoryClaim {
    /// "≤ X": at most this many bytes per unit.
    AtMost(f64),
    /// "≥ X": at least this many bytes per unit.
    AtLeast(f64),
}

impl MemoryClaim {
    /// Whether a measured per-unit resident figure agrees with the claim.
    pub fn holds(self, bytes: f64) -> bool {
        match self {
            MemoryClaim::AtMost(x) => bytes <= x,
            MemoryClaim::AtLeast(x) => bytes >= x,
        }
    }
}

/// The article's column for a row: its words and its yes/no answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArticleClaim {
    /// The article's column heading.
    pub column: &'static str,
    /// The article's memory cell, verbatim.
    pub memory: &'static str,
    /// The memory cell as a checkable claim ("Mb" read as MiB, per unit); `None` when no figure
    /// could contradict it (the coroutine column's "≥ 0Mb").
    pub memory_claim: Option<MemoryClaim>,
    /// "Managed by OS".
    pub managed_by_os: bool,
    /// "Own address space".
    pub own_address_space: bool,
    /// "Pre-emptive scheduling".
    pub preemptive: bool,
    /// "Parallel".
    pub parallel: bool,
}

const MIB: f64 = 1024.0 * 1024.0;
const KIB: f64 = 1024.0;

impl Kind {
    /// The article's column for this row.
    pub fn article(self) -> ArticleClaim {
        let coroutine = ArticleClaim {
            column: "Coroutine",
            memory: "≥ 0Mb",
            memory_claim: None,
            managed_by_os: false,
            own_address_space: false,
            preemptive: false,
            parallel: false,
        };
        match self {
            Kind::Process => ArticleClaim {
                column: "Process",
                memory: "≤ 8Mb",
                memory_claim: Some(MemoryClaim::AtMost(8.0 * MIB)),
                managed_by_os: true,
                own_address_space: true,
                preemptive: true,
                parallel: true,
            },
            Kind::OsThread => ArticleClaim {
                column: "Native thread",
                memory: "≤ Nx2Mb",
                memory_claim: Some(MemoryClaim::AtMost(2.0 * MIB)),
                managed_by_os: true,
                own_address_space: false,
                preemptive: true,
                parallel: true,
            },
            Kind::GreenThread => ArticleClaim {
                column: "Green thread",
                memory: "≥ 64Kb",
                memory_claim: Some(MemoryClaim::AtLeast(64.0 * KIB)),
                managed_by_os: false,
                own_address_space: false,
                preemptive: true,
                parallel: false,
            },
            Kind::Goroutine => ArticleClaim {
                column: "Goroutine",
                memory: "≥ 8Kb",
                memory_claim: Some(MemoryClaim::AtLeast(8.0 * KIB)),
                managed_by_os: false,
                own_address_space: false,
                preemptive: false,
                parallel: true,
            },
            Kind::AsyncTaskMt
            | Kind::AsyncTask
            | Kind::AsyncJoined
            | Kind::Stackful
            | Kind::Stackless
            | Kind::StacklessGenawaiter
            | Kind::PythonGenerator => coroutine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_check_both_ways() {
        assert!(MemoryClaim::AtMost(10.0).holds(5.0));
        assert!(!MemoryClaim::AtMost(10.0).holds(50.0));
        assert!(MemoryClaim::AtLeast(10.0).holds(50.0));
        assert!(!MemoryClaim::AtLeast(10.0).holds(5.0));
    }
}
