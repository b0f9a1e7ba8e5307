//! Summary statistics: every figure in the report is the median of several repetitions, with the
//! minimum and maximum next to it.

use serde::{Deserialize, Serialize};

/// Median, minimum and maximum of a set of repetitions of one measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Median of the repetitions (mean of the two middle ones for an even count).
    pub median: f64,
    /// Smallest repetition.
    pub min: f64,
    /// Largest repetition.
    pub max: f64,
    /// Number of repetitions.
    pub samples: usize,
    /// The repetitions themselves, in the order they were taken.
    #[serde(default)]
    pub values: Vec<f64>,
}

impl Stat {
    /// Max / min: how far apart the repetitions were (1 when they all agree; infinite if the
    /// smallest is not positive).
    ///
    /// ```
    /// let s = comparisons::stats::Stat::from_samples(&[10.0, 15.0, 12.0]).expect("samples");
    /// assert_eq!(s.spread(), 1.5);
    /// ```
    pub fn spread(&self) -> f64 {
        if self.min > 0.0 {
            self.max / self.min
        } else {
            f64::INFINITY
        }
    }

    /// Summarises `samples`; `None` when there is none or one is not a finite number.
    ///
    /// ```
    /// let s = comparisons::stats::Stat::from_samples(&[3.0, 1.0, 2.0]).expect("three samples");
    /// assert_eq!((s.median, s.min, s.max, s.samples), (2.0, 1.0, 3.0, 3));
    /// ```
    pub fn from_samples(samples: &[f64]) -> Option<Stat> {
        if samples.is_empty() || samples.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Stat {
            median,
            min: v[0],
            max: v[n - 1],
            samples: n,
            values: samples.to_vec(),
        })
    }
}

/// Median of `samples`, or `None` when empty.
pub fn median(samples: &[f64]) -> Option<f64> {
    Stat::from_samples(samples).map(|s| s.median)
}

/// Runs `f` `reps` times and collects what each run returns.
pub fn repeat<T, E>(reps: usize, mut f: impl FnMut(usize) -> Result<T, E>) -> Result<Vec<T>, E> {
    (0..reps).map(&mut f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_count_median_is_mean_of_middle() {
        let s = Stat::from_samples(&[4.0, 1.0, 3.0, 2.0]).expect("samples");
        assert_eq!(s.median, 2.5);
        assert_eq!(s.min, 1.0);
        assert_eq!(s.max, 4.0);
    }

    #[test]
    fn empty_or_nan_gives_none() {
        assert!(Stat::from_samples(&[]).is_none());
        assert!(Stat::from_samples(&[1.0, f64::NAN]).is_none());
    }
}
