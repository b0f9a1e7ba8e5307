//! The CPU-bound work used by the parallelism experiment, and its calibration.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Runs `iters` rounds of a xorshift generator: pure CPU work with no memory traffic.
pub fn cpu_work(iters: u64) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15_u64);
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

/// CPU time consumed so far by all threads of this process, in ns (`CLOCK_PROCESS_CPUTIME_ID`).
pub fn process_cpu_ns() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// CPU time (user + system) consumed by this process's waited-for children so far, in ns.
pub fn children_cpu_ns() -> f64 {
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: ru is a valid rusage for getrusage to fill.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e9 + t.tv_usec as f64 * 1e3;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Number of [`cpu_work`] iterations that take about `target` on this machine (at least 1000).
pub fn calibrate(target: Duration) -> u64 {
    let mut iters = 100_000u64;
    loop {
        let t = Instant::now();
        cpu_work(iters);
        let el = t.elapsed();
        if el >= Duration::from_millis(20) || iters > 1 << 40 {
            let per = el.as_secs_f64() / iters as f64;
            return ((target.as_secs_f64() / per.max(1e-12)) as u64).max(1000);
        }
        iters *= 4;
    }
}
