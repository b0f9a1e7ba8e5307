//! Where the two ends of a round trip run. For units scheduled by the OS or by a runtime's worker
//! threads, the CPUs decide the figure: both ends on one CPU time the context switch itself; on
//! two CPUs, a wake-up across cores (on a VM, whatever it takes the hypervisor to wake an idle
//! virtual CPU); unpinned, wherever the scheduler happened to put them.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// A placement of a round trip's two ends.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Both ends pinned to the same CPU.
    SameCpu,
    /// The ends pinned to two different CPUs.
    CrossCpu,
    /// Neither end pinned.
    Unpinned,
}

/// The CPUs of the two ends: the measuring end's and the other end's (`None`: not pinned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ends {
    /// CPU of the end that times the round trips.
    pub caller: Option<usize>,
    /// CPU of the end that answers.
    pub other: Option<usize>,
}

impl Placement {
    /// Every placement, in report order.
    pub const ALL: [Placement; 3] = [Placement::SameCpu, Placement::CrossCpu, Placement::Unpinned];

    /// Its name on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::SameCpu => "same-cpu",
            Placement::CrossCpu => "cross-cpu",
            Placement::Unpinned => "unpinned",
        }
    }

    /// In words, for the report.
    pub fn words(self) -> &'static str {
        match self {
            Placement::SameCpu => "both ends pinned to one CPU",
            Placement::CrossCpu => "the ends pinned to two different CPUs",
            Placement::Unpinned => "neither end pinned",
        }
    }

    /// The CPUs for the two ends, chosen among `allowed` (the CPUs this process may use): the
    /// first one for both, the first two, or none.
    ///
    /// ```
    /// use comparisons::placement::{Ends, Placement};
    /// assert_eq!(Placement::SameCpu.ends(&[2, 5]).unwrap(), Ends { caller: Some(2), other: Some(2) });
    /// assert_eq!(Placement::CrossCpu.ends(&[2, 5]).unwrap(), Ends { caller: Some(2), other: Some(5) });
    /// assert_eq!(Placement::Unpinned.ends(&[2, 5]).unwrap(), Ends::default());
    /// assert!(Placement::CrossCpu.ends(&[0]).is_err());
    /// ```
    pub fn ends(self, allowed: &[usize]) -> Result<Ends> {
        let Some(&first) = allowed.first() else {
            bail!("no CPU is allowed to this process");
        };
        Ok(match self {
            Placement::SameCpu => Ends {
                caller: Some(first),
                other: Some(first),
            },
            Placement::CrossCpu => match allowed.get(1) {
                Some(&second) => Ends {
                    caller: Some(first),
                    other: Some(second),
                },
                None => bail!("only one CPU is allowed to this process: no two ends on two CPUs"),
            },
            Placement::Unpinned => Ends::default(),
        })
    }
}

/// Counts, over the checked round trips, how often the two ends were on different CPUs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuCheck {
    checked: u64,
    apart: u64,
}

impl CpuCheck {
    /// Records one round trip: the measuring end's CPU now and the CPU the other end reported.
    pub fn record(&mut self, here: Option<usize>, there: Option<u32>) {
        if let (Some(h), Some(t)) = (here, there) {
            self.checked += 1;
            self.apart += u64::from(h as u32 != t);
        }
    }

    /// The share of checked round trips with the ends apart (`None` if none could be checked).
    ///
    /// ```
    /// let mut c = comparisons::placement::CpuCheck::default();
    /// c.record(Some(0), Some(1));
    /// c.record(Some(0), Some(0));
    /// c.record(None, Some(0));
    /// assert_eq!(c.share_apart(), Some(0.5));
    /// ```
    pub fn share_apart(&self) -> Option<f64> {
        (self.checked > 0).then(|| self.apart as f64 / self.checked as f64)
    }
}
