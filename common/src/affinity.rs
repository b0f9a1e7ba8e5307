//! Where a thread runs: the CPUs this process may use, pinning the calling thread to one of them
//! for a while ([`pin_current_thread`], undone when the guard drops), and the CPU the caller is on
//! now. The comparison places the two ends of a round trip with these (same CPU, two CPUs, or
//! wherever the scheduler puts them), and the `switch` benchmark pins its thread ping-pong the
//! same way. A thread created or process forked while pinned inherits the pin.
//!
//! ```
//! use common::affinity;
//!
//! let cpus = affinity::allowed_cpus().expect("sched_getaffinity");
//! let first = cpus[0];
//! {
//!     let _pinned = affinity::pin_current_thread(first).expect("sched_setaffinity");
//!     assert_eq!(affinity::current_cpu(), Some(first));
//! }
//! // the guard restored the thread's former CPUs
//! assert_eq!(affinity::allowed_cpus().expect("sched_getaffinity"), cpus);
//! ```

use nix::sched::{CpuSet, sched_getaffinity, sched_getcpu, sched_setaffinity};
use nix::unistd::Pid;
use std::io;

fn to_io(e: nix::Error) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// The CPUs the calling thread may run on, in increasing order (never empty).
///
/// # Errors
///
/// The `sched_getaffinity` error.
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0)).map_err(to_io)?;
    let cpus: Vec<usize> = (0..CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect();
    if cpus.is_empty() {
        return Err(io::Error::other("sched_getaffinity returned no CPU"));
    }
    Ok(cpus)
}

/// Restricts the calling thread to `cpu`. Only what a forked child may call: no allocation, no
/// lock (one `sched_setaffinity` system call on a stack value).
///
/// # Errors
///
/// `EINVAL` if `cpu` is out of range or not allowed to this thread.
pub fn set_current_thread_cpu(cpu: usize) -> io::Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu).map_err(to_io)?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(to_io)
}

/// Restores the calling thread's former CPUs when dropped (see [`pin_current_thread`]). It must be
/// dropped on the thread that made it, so it is neither `Send` nor `Sync`.
#[derive(Debug)]
pub struct PinGuard {
    former: CpuSet,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for PinGuard {
    fn drop(&mut self) {
        // Restoring a mask the thread had a moment ago cannot fail unless CPUs went offline;
        // then the thread stays pinned, which only costs placement freedom.
        let _ = sched_setaffinity(Pid::from_raw(0), &self.former);
    }
}

/// Pins the calling thread to `cpu` until the returned guard drops, then lets it run where it
/// could before.
///
/// # Errors
///
/// The `sched_getaffinity`/`sched_setaffinity` error (`EINVAL` for a CPU not allowed here).
pub fn pin_current_thread(cpu: usize) -> io::Result<PinGuard> {
    let former = sched_getaffinity(Pid::from_raw(0)).map_err(to_io)?;
    set_current_thread_cpu(cpu)?;
    Ok(PinGuard {
        former,
        _not_send: std::marker::PhantomData,
    })
}

/// The CPU the calling thread is running on now (`sched_getcpu`), if the kernel says.
pub fn current_cpu() -> Option<usize> {
    sched_getcpu().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_that_does_not_exist_is_refused_and_nothing_changes() {
        let before = allowed_cpus().unwrap();
        assert!(pin_current_thread(CpuSet::count() + 1).is_err());
        assert_eq!(allowed_cpus().unwrap(), before);
    }

    #[test]
    fn a_pinned_thread_stays_on_its_cpu() {
        let cpus = allowed_cpus().unwrap();
        let last = *cpus.last().unwrap();
        let _g = pin_current_thread(last).unwrap();
        assert_eq!(allowed_cpus().unwrap(), vec![last]);
        for _ in 0..1000 {
            std::thread::yield_now();
            assert_eq!(current_cpu(), Some(last));
        }
    }
}
