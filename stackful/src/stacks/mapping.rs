//! The memory under the pool's stacks: many stacks mapped with one `mmap`, each with a guard page
//! at its low end, and the system calls that give an idle stack's pages back to the kernel.
//!
//! A chunk of `n` stacks is one read-write anonymous mapping of `n` spans; the lowest page of
//! each span is made a guard page. On Linux 6.13 and later that is `madvise(MADV_GUARD_INSTALL)`,
//! which marks the page in the page tables without splitting the mapping: a chunk stays one entry
//! of `/proc/self/maps` however many stacks it holds, so 100,000 live stacks fit well under the
//! kernel's limit of 65,530 mappings per process (`vm.max_map_count`). Where the kernel does not
//! know that advice, the guard page is `mprotect`ed to no access instead, as `corosensei`'s
//! `DefaultStack` does: two mappings per stack, so about 32,000 stacks at most. Either way a touch
//! of the guard page is a `SIGSEGV`, and `MADV_DONTNEED`/`MADV_FREE` leave the guard in place.
//!
//! The mapping is `MAP_STACK` (no transparent huge pages under a stack) and `MAP_NORESERVE`
//! (address space, not commit charge: only touched pages use memory).
//!
//! ```
//! use stackful::stacks::mapping::{Region, guard_is_inaccessible, map_stacks};
//! use stackful::stacks::sizes::page_size;
//!
//! let span = 4 * page_size(); // a guard page and three usable pages
//! let regions: Vec<Region> = map_stacks(span, 8)?;
//! assert_eq!(regions.len(), 8);
//! for region in &regions {
//!     assert!(guard_is_inaccessible(region.low())?);
//! }
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};

use corosensei::stack::valgrind::ValgrindStackRegistration;

use super::sizes::page_size;

/// `madvise` advice that installs a guard region (Linux 6.13): accesses fault with `SIGSEGV`, the
/// mapping is not split. Not in the `libc` crate yet; the value is the kernel's ABI.
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// Set once the kernel has refused [`MADV_GUARD_INSTALL`]: guards are `mprotect`ed from then on.
static GUARDS_BY_MPROTECT: AtomicBool = AtomicBool::new(false);

/// How many cache lines below the top of a stack the scheduler loads before a task runs: the
/// frames a coroutine of a few calls keeps (about 0.5 KiB).
pub const PREFETCH_LINES: usize = 8;

/// How a trimmed pool gives the pages of an idle stack back to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageRelease {
    /// `MADV_DONTNEED`: the pages are freed at once (resident size drops in the call); the next
    /// touch of each page faults in a zeroed page.
    #[default]
    DontNeed,
    /// `MADV_FREE`: the kernel may free the pages when it needs memory; until then they stay
    /// resident (counted as `LazyFree` in `/proc/self/smaps`) and a write simply keeps them.
    Free,
}

/// One stack's span of a mapping: `[low, low + span)`, whose lowest page is the guard page.
/// Dropping it unmaps the span (the rest of the chunk stays mapped).
#[derive(Debug)]
pub struct Region {
    low: usize,
    span: usize,
    valgrind: ManuallyDrop<ValgrindStackRegistration>,
}

impl Region {
    /// The lowest address of the span: the start of its guard page.
    pub fn low(&self) -> usize {
        self.low
    }

    /// One past the highest address of the span: the top of the stack.
    pub fn top(&self) -> usize {
        self.low + self.span
    }

    /// Gives the pages of the usable part back to the kernel with `advice`; the guard page stays.
    ///
    /// # Errors
    /// The `madvise` error.
    pub fn release_pages(&self, advice: PageRelease) -> io::Result<()> {
        let page = page_size();
        let advice = match advice {
            PageRelease::DontNeed => libc::MADV_DONTNEED,
            PageRelease::Free => libc::MADV_FREE,
        };
        // SAFETY: `[low + page, low + span)` is the read-write part of a span this `Region` owns;
        // the stack is idle (only the pool holds idle regions), so no frame lives there and the
        // zeroed or lazily freed pages are never read as data. Tested by the pool's trim tests.
        let rc = unsafe {
            libc::madvise(
                (self.low + page) as *mut libc::c_void,
                self.span - page,
                advice,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: registered in `map_stacks` and dropped exactly once, here.
        unsafe { ManuallyDrop::drop(&mut self.valgrind) };
        // SAFETY: `[low, low + span)` was mapped by `map_stacks` and is owned by this region alone
        // (no two regions overlap, and dropping the region is the only way to unmap it).
        let rc = unsafe { libc::munmap(self.low as *mut libc::c_void, self.span) };
        debug_assert_eq!(rc, 0, "munmap of a stack region");
    }
}

/// Makes the page at `addr` the guard page of a stack: no access, `SIGSEGV` on touch.
fn install_guard(addr: usize, page: usize) -> io::Result<()> {
    if !GUARDS_BY_MPROTECT.load(Ordering::Relaxed) {
        // SAFETY: `[addr, addr + page)` lies in a mapping just made by `map_stacks` that nothing
        // else uses yet; the advice only makes the page inaccessible.
        let rc = unsafe { libc::madvise(addr as *mut libc::c_void, page, MADV_GUARD_INSTALL) };
        if rc == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        if error.raw_os_error() != Some(libc::EINVAL) {
            return Err(error);
        }
        GUARDS_BY_MPROTECT.store(true, Ordering::Relaxed); // a kernel before 6.13
    }
    // SAFETY: as above; `mprotect` makes the page inaccessible.
    let rc = unsafe { libc::mprotect(addr as *mut libc::c_void, page, libc::PROT_NONE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Maps `count` stacks of `span` bytes each (a multiple of the page size, at least two pages) with
/// one `mmap`, and puts a guard page at the low end of each.
///
/// # Errors
/// The `mmap` error (out of address space or of mappings), or the error installing a guard page
/// (then nothing stays mapped).
///
/// # Panics
/// If `span` is not a multiple of the page size of at least two pages, or `count` is 0.
pub fn map_stacks(span: usize, count: usize) -> io::Result<Vec<Region>> {
    let page = page_size();
    assert!(
        span.is_multiple_of(page) && span >= 2 * page && count > 0,
        "a stack span of {span} bytes, {count} stacks"
    );
    let len = span
        .checked_mul(count)
        .ok_or_else(|| io::Error::other("stack mapping size overflows"))?;
    // SAFETY: an anonymous private mapping at an address the kernel chooses: it overlaps nothing
    // of ours.
    let chunk = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if chunk == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    let chunk = chunk as usize;
    for i in 0..count {
        if let Err(e) = install_guard(chunk + i * span, page) {
            // SAFETY: the mapping just made, not yet handed to anyone.
            unsafe { libc::munmap(chunk as *mut libc::c_void, len) };
            return Err(e);
        }
    }
    Ok((0..count)
        .map(|i| {
            let low = chunk + i * span;
            Region {
                low,
                span,
                valgrind: ManuallyDrop::new(ValgrindStackRegistration::new(low as *mut u8, span)),
            }
        })
        .collect())
}

/// Whether the page holding `addr` can be neither read nor written by this process: `write(2)`
/// of one byte from it into a pipe fails with `EFAULT` (the kernel checks the access instead of
/// faulting, so this probes a guard page without a signal).
///
/// # Errors
/// The error making the pipe, or a `write` error other than `EFAULT`.
pub fn guard_is_inaccessible(addr: usize) -> io::Result<bool> {
    let mut fds = [0; 2];
    // SAFETY: `pipe2` writes two descriptors into the array we pass.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `write` reads one byte at `addr` through the kernel, which checks the access and
    // answers `EFAULT` instead of faulting; the descriptor is the pipe just made.
    let written = unsafe { libc::write(fds[1], addr as *const libc::c_void, 1) };
    let error = io::Error::last_os_error();
    // SAFETY: the two descriptors made above, closed once.
    unsafe {
        libc::close(fds[0]);
        libc::close(fds[1]);
    }
    match written {
        1 => Ok(false),
        _ if error.raw_os_error() == Some(libc::EFAULT) => Ok(true),
        _ => Err(error),
    }
}

/// Memory of some mappings of this process, from `/proc/self/smaps`, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resident {
    /// `Rss`: pages in memory (lazily freed ones included, until the kernel takes them).
    pub rss: usize,
    /// `LazyFree`: pages given back with `MADV_FREE` that the kernel has not taken yet.
    pub lazy_free: usize,
    /// How many mappings (entries of `/proc/self/maps`) were counted.
    pub mappings: usize,
}

/// The resident memory of every mapping of this process that overlaps one of `ranges`, read from
/// `/proc/self/smaps`. Whole mappings are counted: the figure is that of the stacks in `ranges`
/// when their mappings hold nothing else (a pool's chunks merge only with other chunks of stacks,
/// so in a process whose only stacks are those of one pool, it is exactly that pool's).
///
/// # Errors
/// Reading `/proc/self/smaps`.
pub fn smaps_resident(ranges: &[std::ops::Range<usize>]) -> io::Result<Resident> {
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut total = Resident::default();
    let mut counting = false;
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            counting = ranges.iter().any(|r| r.start < end && start < r.end);
            total.mappings += usize::from(counting);
            continue;
        }
        let mut kib = || {
            fields
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
                * 1024
        };
        match first {
            "Rss:" if counting => total.rss += kib(),
            "LazyFree:" if counting => total.lazy_free += kib(),
            _ => {}
        }
    }
    Ok(total)
}

/// Whether guard pages are made with `mprotect` (a kernel without guard regions) rather than
/// `madvise(MADV_GUARD_INSTALL)`: then every stack is two entries of `/proc/self/maps`. If no
/// stack has been mapped yet, maps and unmaps one to find out (should even that fail, the
/// answer is `false`).
///
/// ```
/// use stackful::stacks::mapping::{guards_split_mappings, map_stacks};
/// use stackful::stacks::sizes::page_size;
///
/// let span = 4 * page_size();
/// let regions = map_stacks(span, 3)?;
/// let (low, high) = (regions[0].low(), regions[2].low() + span);
/// // the entries of /proc/self/maps that overlap the three stacks: one mapping (perhaps merged
/// // with a neighbour) when the guards are guard regions, a guard and a stack each otherwise
/// let maps = std::fs::read_to_string("/proc/self/maps")?;
/// let overlapping = maps
///     .lines()
///     .filter_map(|line| line.split_whitespace().next()?.split_once('-'))
///     .filter_map(|(a, b)| {
///         Some((usize::from_str_radix(a, 16).ok()?, usize::from_str_radix(b, 16).ok()?))
///     })
///     .filter(|&(start, end)| start < high && end > low)
///     .count();
/// assert_eq!(overlapping > 1, guards_split_mappings(), "{overlapping} entries");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn guards_split_mappings() -> bool {
    static PROBED: std::sync::Once = std::sync::Once::new();
    PROBED.call_once(|| drop(map_stacks(2 * page_size(), 1)));
    GUARDS_BY_MPROTECT.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guard_faults_and_every_usable_page_is_writable() -> io::Result<()> {
        let page = page_size();
        let regions = map_stacks(3 * page, 5)?;
        for region in &regions {
            assert!(guard_is_inaccessible(region.low())?);
            assert!(guard_is_inaccessible(region.low() + page - 1)?);
            assert!(!guard_is_inaccessible(region.low() + page)?);
            assert!(!guard_is_inaccessible(region.top() - 1)?);
            // SAFETY: the top usable byte of a region we own, which nothing else uses.
            unsafe { ((region.top() - 1) as *mut u8).write(1) };
        }
        Ok(())
    }

    #[test]
    fn released_pages_read_as_zero_and_the_guard_stays() -> io::Result<()> {
        let page = page_size();
        for advice in [PageRelease::DontNeed, PageRelease::Free] {
            let regions = map_stacks(2 * page, 2)?;
            let top = (regions[0].top() - 8) as *mut u64;
            // SAFETY: the top word of a region we own.
            unsafe { top.write(42) };
            regions[0].release_pages(advice)?;
            // SAFETY: as above. DONTNEED zeroes at once; FREE may keep the page until memory is
            // short, so only DONTNEED's zero is certain.
            let value = unsafe { top.read() };
            if advice == PageRelease::DontNeed {
                assert_eq!(value, 0);
            }
            assert!(guard_is_inaccessible(regions[0].low())?, "{advice:?}");
        }
        Ok(())
    }

    #[test]
    fn smaps_counts_the_pages_touched() -> io::Result<()> {
        let page = page_size();
        let regions = map_stacks(9 * page, 4)?;
        let ranges: Vec<_> = regions.iter().map(|r| r.low()..r.top()).collect();
        let before = smaps_resident(&ranges)?;
        for region in &regions {
            for k in 1..=4 {
                // SAFETY: a byte of the usable part of a region we own.
                unsafe { ((region.top() - k * page) as *mut u8).write(1) };
            }
        }
        let after = smaps_resident(&ranges)?;
        assert!(after.mappings >= 1);
        assert!(
            after.rss >= before.rss + 16 * page,
            "{before:?} then {after:?}"
        );
        for region in &regions {
            region.release_pages(PageRelease::DontNeed)?;
        }
        let released = smaps_resident(&ranges)?;
        assert!(
            released.rss + 16 * page <= after.rss,
            "{after:?} then {released:?}"
        );
        Ok(())
    }

    #[test]
    fn dropping_one_region_keeps_its_neighbours() -> io::Result<()> {
        let page = page_size();
        let mut regions = map_stacks(2 * page, 3)?;
        let middle = regions.remove(1);
        let low = middle.low();
        drop(middle);
        assert!(
            guard_is_inaccessible(low + page)?,
            "the dropped span is unmapped"
        );
        for region in &regions {
            assert!(!guard_is_inaccessible(region.top() - 1)?);
        }
        Ok(())
    }
}
