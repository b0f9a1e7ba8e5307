//! A trimmed pool gives its memory back: the resident size of the task pool's stacks after a burst
//! of 10,000 scheduler tasks, and after a trim, read from `/proc/self/smaps`.
//!
//! One test in its own process (this file), so the task pool of its thread is the only owner of
//! coroutine stacks here and the mappings counted hold nothing else.

use stackful::scheduler::run_workload;
use stackful::stacks::mapping::smaps_resident;
use stackful::stacks::pool::{MAX_STACKS_PER_MAPPING, TASK_STACK_SIZE, with_task_stacks};
use stackful::stacks::sizes::page_size;
use stackful::stacks::{PageRelease, StackPool};

const TASKS: usize = 10_000;

#[test]
fn a_trimmed_task_pool_gives_its_memory_back() -> std::io::Result<()> {
    for release in [PageRelease::DontNeed, PageRelease::Free] {
        with_task_stacks(|pool| {
            *pool = StackPool::new(TASK_STACK_SIZE);
            pool.set_page_release(release);
        });
        let n = (TASKS * 2) as u64;
        assert_eq!(run_workload(TASKS, 2), n * (n + 1) / 2);
        // Every task was alive at once: the pool keeps all their stacks (and the trim at the end
        // of the run kept them, since the run took every one).
        let ranges = with_task_stacks(|pool| pool.idle_ranges());
        assert!(ranges.len() >= TASKS, "{} idle stacks", ranges.len());
        let burst = smaps_resident(&ranges)?;
        // Each task touched at least the top page of its stack; the pool keeps its high-water
        // mark of stacks, which may include a few spare ones mapped with the last chunk and never
        // touched (then as many touched ones were unmapped when they came back).
        let touched = TASKS - MAX_STACKS_PER_MAPPING;
        assert!(burst.rss >= touched * page_size(), "{release:?}: {burst:?}");
        let trimmed = with_task_stacks(|pool| pool.trim())?;
        let after = smaps_resident(&ranges)?;
        let idle = with_task_stacks(|pool| pool.idle());
        println!(
            "{release:?}: {} stacks hold {} KiB after the burst ({} mappings); trimmed \
             ({trimmed:?}): {idle} stacks hold {} KiB, {} KiB of it lazily freed",
            ranges.len(),
            burst.rss / 1024,
            burst.mappings,
            after.rss / 1024,
            after.lazy_free / 1024
        );
        assert_eq!(trimmed.unmapped, ranges.len().div_ceil(2));
        assert_eq!(idle, ranges.len() / 2);
        // Other mappings of the process can merge with the pool's (under AddressSanitizer, its
        // own `MAP_NORESERVE` ones do): a sixteenth of the burst is allowed for them.
        let slack = burst.rss / 16;
        match release {
            // Freed in the call: nothing of the pool is resident any more.
            PageRelease::DontNeed => assert!(after.rss <= slack, "{release:?}: {after:?}"),
            // Freed when the kernel needs memory: the unmapped half is gone, and what is still
            // resident of the other half is lazily freed.
            PageRelease::Free => {
                assert!(after.rss <= burst.rss / 2 + slack, "{release:?}: {after:?}");
                assert!(
                    after.rss - after.lazy_free <= slack,
                    "{release:?}: {after:?}"
                );
            }
        }
        // The pool still works, and the next burst maps only the half that was unmapped.
        let mapped = with_task_stacks(|pool| pool.stacks_allocated());
        assert_eq!(run_workload(TASKS, 2), n * (n + 1) / 2);
        let mapped_again = with_task_stacks(|pool| pool.stacks_allocated()) - mapped;
        assert!(
            mapped_again < (TASKS as u64) / 2 + 128,
            "{mapped_again} stacks mapped again"
        );
    }
    Ok(())
}
