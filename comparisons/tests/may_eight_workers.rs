//! `may` with 8 workers, as on an 8-core machine, here on however few cores: its green threads
//! are still not kernel tasks. Eight units on eight workers each run on a thread of their own, so
//! counting distinct thread ids would call them OS-managed; the experiment uses more units than
//! workers and counts the kernel threads the process gains. This file is its own test binary, so
//! the runtime starts here, with 8 workers.

use comparisons::classify;
use comparisons::rows::Style;
use comparisons::rows::green::GreenThread;

#[test]
fn may_with_eight_workers_is_not_managed_by_the_os() {
    may::config().set_workers(8);
    assert_eq!(GreenThread::workers(), 8);
    let workers = GreenThread::workers() as u64;
    let samples: Vec<_> = (0..3).map(|_| GreenThread::managed(32).unwrap()).collect();
    let v = classify::managed_by_os(&samples, workers);
    assert_eq!(v.value, Some(false), "{}", v.evidence);
    // as many units as workers cannot tell a runtime from the OS: no verdict, not a wrong one
    let few: Vec<_> = (0..3).map(|_| GreenThread::managed(8).unwrap()).collect();
    let v = classify::managed_by_os(&few, workers);
    assert_eq!(v.value, None, "{}", v.evidence);
}
