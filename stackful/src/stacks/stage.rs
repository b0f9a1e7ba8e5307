//! The stacks of the log-analysis pipeline's stages ([`crate::pipeline`]): their size, chosen
//! from the stages' measured use, and this thread's pool of them, which the pipeline trims after
//! each count. A filter per address then costs one 20 KiB span of address space and the page or
//! two it touches, and the pool's chunks are single mappings, so any number of addresses that
//! fits in memory works (50,000 filters: about 1 GiB of address space, some 200 MiB resident).
//!
//! ```
//! use stackful::stacks::stage::{STAGE_STACK_SIZE, with_stage_stacks};
//!
//! let counts = stackful::pipeline::count(&b"10.0.0.1 - x\n"[..], &["10.0.0.1", "10.0.0.2"])?;
//! assert_eq!(counts.get("10.0.0.1"), 1);
//! // four stages (two filters, the broadcast, the reducer) gave their stacks back
//! let (live, size) = with_stage_stacks(|pool| (pool.live(), pool.stack_size()));
//! assert_eq!((live, size), (0, STAGE_STACK_SIZE));
//! # Ok::<(), stackful::pipeline::PipelineError>(())
//! ```

use std::cell::RefCell;
use std::io;

use super::{CoroutineStack, StackPool};

/// The usable stack of each pipeline stage: 16 KiB, plus one guard page.
///
/// A stage is a loop, a comparison and a resume of the next stage; the reducer inserts into a
/// `BTreeMap` (the allocator runs on its stack). The test `every_stage_fits_its_stack_with_room`
/// measures each stage's high-water mark over a whole run: 2.3-3.9 KiB unoptimised, about 0.5
/// KiB in a release build, so the top page is all that a stage touches, and 16 KiB leaves a factor
/// of four for the allocator's slow paths in a debug build.
pub const STAGE_STACK_SIZE: usize = 16 * 1024;

thread_local! {
    /// The stacks of this thread's pipeline stages.
    static STAGE_STACKS: RefCell<StackPool> = RefCell::new(StackPool::new(STAGE_STACK_SIZE));
}

/// A stack for a new stage: from this thread's pool, or a fresh one if the pool is gone (thread
/// exit) or busy. Mapping one can fail (out of memory or of mappings): that is an error, not a
/// panic.
pub(crate) fn stage_stack() -> io::Result<CoroutineStack> {
    super::pool::from_thread_pool(&STAGE_STACKS, STAGE_STACK_SIZE)
}

/// Runs `f` on this thread's pool of stage stacks (to read its counters, or trim it).
///
/// # Panics
/// If called from inside `f`.
pub fn with_stage_stacks<T>(f: impl FnOnce(&mut StackPool) -> T) -> T {
    STAGE_STACKS.with_borrow_mut(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::count;
    use std::fmt::Write as _;

    /// A log of `lines` requests from `10.0.x.y` addresses, a few of them repeated.
    fn small_log(lines: u32) -> Vec<u8> {
        let mut log = String::new();
        for i in 0..lines {
            let _ = writeln!(
                log,
                "10.0.{}.{} - - [x] \"GET / HTTP/1.1\" 200 1",
                i % 3,
                i % 7
            );
        }
        log.into_bytes()
    }

    /// The deepest any stage reached on its stack over a whole count: the stage pool's stacks are
    /// painted before the count, the stages take them, and afterwards the lowest byte no longer
    /// painted in each is its high-water mark.
    #[test]
    fn every_stage_fits_its_stack_with_room() {
        const PAINT: u8 = 0xA5;
        let page = crate::stacks::sizes::page_size();
        let addresses = ["10.0.0.0", "10.0.1.1", "10.0.2.2"];
        with_stage_stacks(|pool| {
            *pool = StackPool::new(STAGE_STACK_SIZE);
            // Five stages: three filters, the broadcast and the reducer.
            let stacks: Vec<_> = (0..5).map(|_| pool.get().unwrap()).collect();
            drop(stacks);
            for range in pool.idle_ranges() {
                let low = range.start + page;
                // SAFETY: the usable part of an idle stack of this thread's pool, which nothing
                // runs on (the pool is borrowed here, so no stage can take it meanwhile).
                unsafe { std::ptr::write_bytes(low as *mut u8, PAINT, range.end - low) };
            }
        });
        let log = small_log(200);
        let counts = count(&log[..], &addresses).unwrap();
        assert_eq!(
            counts,
            common::logdata::count_plain(&log[..], &addresses).unwrap()
        );
        let used: Vec<usize> = with_stage_stacks(|pool| pool.idle_ranges())
            .into_iter()
            .map(|range| {
                let low = range.start + page;
                // SAFETY: as above; the count is over, so every stage gave its stack back.
                let bytes =
                    unsafe { std::slice::from_raw_parts(low as *const u8, range.end - low) };
                bytes.len() - bytes.iter().take_while(|&&b| b == PAINT).count()
            })
            .collect();
        println!("stage stack high-water marks: {used:?} bytes of {STAGE_STACK_SIZE}");
        let deepest = used.iter().copied().max().unwrap_or(0);
        assert_eq!(
            used.iter().filter(|&&u| u > 0).count(),
            5,
            "five stages ran"
        );
        assert!(deepest <= STAGE_STACK_SIZE / 2, "{deepest} bytes");
    }

    /// 50,000 addresses, a filter each, on one pipeline: the counts match the stackless pipeline's.
    #[test]
    fn fifty_thousand_addresses_count_as_the_stackless_pipeline_does() {
        let addresses: Vec<String> = (0..50_000_u32)
            .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff))
            .collect();
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let log = small_log(40);
        let counts = count(&log[..], &addresses).unwrap();
        let expected = stackless::pipeline::count(&log[..], &addresses).unwrap();
        assert_eq!(counts, expected);
        assert_eq!(
            counts.total(),
            40,
            "every line is from one of the addresses"
        );
        let (live, idle) = with_stage_stacks(|pool| (pool.live(), pool.idle()));
        assert_eq!(live, 0, "every stage gave its stack back");
        assert!(idle >= 50_002, "{idle} stacks kept for the next count");
    }
}
