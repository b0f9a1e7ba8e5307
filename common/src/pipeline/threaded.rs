//! The article's threaded pipeline done right, the same in every coroutine style (so written once,
//! here): `broadcast`, each `filter_address` and `reduce` run on threads of their own, joined by
//! bounded channels (`std::sync::mpsc::sync_channel`). Closing is dropping a sender: each stage sees
//! its input end, drops its own outputs and returns. The article's version printed `{}` because
//! nothing waited for its threads; here the caller joins every thread and the reducer's counts come
//! back as its thread's return value, so the result is always the single-threaded one.
//!
//! Lines travel in batches (at most [`DEFAULT_BATCH`] lines and about [`BATCH_BYTES`] bytes each) so
//! the channel cost is paid per batch, not per line; with lines cut at
//! [`MAX_LINE`](crate::logdata::MAX_LINE) and the channel bound ([`CHANNEL_BOUND`] batches), memory
//! stays constant whatever the log holds.
//!
//! Each address gets a filter thread of its own up to [`MAX_FILTER_THREADS`] addresses; past that,
//! the addresses are dealt out over that many threads, each filtering its group, so 40,000
//! addresses run on 64 threads instead of asking the system for 40,000.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use crate::logdata::{Counts, PipelineError, distinct, is_from, stream_lines};

/// Most lines per batch sent down the channels by [`count`].
pub const DEFAULT_BATCH: usize = 1024;
/// A batch is sent once it holds this many bytes, whatever its number of lines (a batch holds at
/// most `BATCH_BYTES` plus one line's bytes).
pub const BATCH_BYTES: usize = 1 << 20;
/// Batches (or addresses) each channel holds before its sender blocks.
pub const CHANNEL_BOUND: usize = 4;
/// Most filter threads; more addresses than this are grouped, several per thread.
pub const MAX_FILTER_THREADS: usize = 64;

/// A batch of lines in one buffer: `ends[i]` is where line `i` ends.
#[derive(Debug, Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn lines(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(s, e)| &self.bytes[s..e])
    }
}

/// Counts the requests from each address in `reader` with one thread per stage.
///
/// ```
/// let log = b"10.0.0.1 a\n10.0.0.10 b\n10.0.0.1 c\n";
/// let counts = common::pipeline::threaded::count(&log[..], &["10.0.0.1", "10.0.0.10"])?;
/// assert_eq!((counts.get("10.0.0.1"), counts.get("10.0.0.10")), (2, 1));
/// # Ok::<(), common::logdata::PipelineError>(())
/// ```
pub fn count<R: BufRead>(reader: R, addresses: &[&str]) -> Result<Counts, PipelineError> {
    count_batched(reader, addresses, DEFAULT_BATCH)
}

/// [`count`] with at most `batch` lines per message (at least 1; smaller batches interleave the
/// threads more, which the tests use).
pub fn count_batched<R: BufRead>(
    reader: R,
    addresses: &[&str],
    batch: usize,
) -> Result<Counts, PipelineError> {
    let batch = batch.max(1);
    let groups = filter_groups(&distinct(addresses), MAX_FILTER_THREADS);

    thread::scope(|scope| {
        // On an early return (a thread that could not start), every sender made so far is dropped
        // on the way out, so the threads already running see their input end and return.
        let (to_reduce, reduce_rx) = sync_channel::<Arc<str>>(CHANNEL_BOUND * 16);
        let reducer = start(scope, "reduce", move || reduce(reduce_rx))?;

        let mut filter_inputs = Vec::new();
        let mut filters = Vec::new();
        for group in groups {
            let (tx, rx) = sync_channel::<Arc<Batch>>(CHANNEL_BOUND);
            let next = to_reduce.clone();
            filters.push(start(scope, "filter_address", move || {
                filter_addresses(&group, rx, next)
            })?);
            filter_inputs.push(tx);
        }
        drop(to_reduce); // the filters own the reducer's input now

        let (to_broadcast, broadcast_rx) = sync_channel::<Arc<Batch>>(CHANNEL_BOUND);
        let broadcaster = start(scope, "broadcast", move || {
            broadcast(broadcast_rx, filter_inputs)
        })?;

        let read = source(reader, batch, to_broadcast); // returns after dropping the sender: close
        let mut panicked = broadcaster.join().is_err();
        for filter in filters {
            panicked |= filter.join().is_err();
        }
        let counts = reducer.join();
        read?;
        match counts {
            Ok(counts) if !panicked => Ok(counts),
            _ => Err(PipelineError::ThreadPanicked),
        }
    })
}

/// Starts a stage's thread in `scope`; a thread the system cannot give is an error, not a panic.
fn start<'scope, T, F>(
    scope: &'scope thread::Scope<'scope, '_>,
    name: &str,
    work: F,
) -> Result<thread::ScopedJoinHandle<'scope, T>, PipelineError>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    thread::Builder::new()
        .name(name.to_owned())
        .spawn_scoped(scope, work)
        .map_err(PipelineError::NoThread)
}

/// Deals `addresses` out over at most `threads` groups of nearly equal size, in their order: one
/// address per group while there are no more addresses than threads.
fn filter_groups(addresses: &[&str], threads: usize) -> Vec<Vec<Arc<str>>> {
    let groups = addresses.len().min(threads.max(1));
    let bound = |i: usize| i * addresses.len() / groups;
    (0..groups)
        .map(|i| {
            addresses[bound(i)..bound(i + 1)]
                .iter()
                .copied()
                .map(Arc::from)
                .collect()
        })
        .collect()
}

/// Reads `reader` into batches and sends them; dropping `out` on return is the close.
fn source<R: BufRead>(
    reader: R,
    batch: usize,
    out: SyncSender<Arc<Batch>>,
) -> Result<(), PipelineError> {
    let mut current = Batch::default();
    let sent = stream_lines(reader, |line| {
        current.bytes.extend_from_slice(&line);
        current.ends.push(current.bytes.len());
        if current.ends.len() == batch || current.bytes.len() >= BATCH_BYTES {
            // A send fails only if the broadcaster is gone (it panicked): stop reading.
            out.send(Arc::new(std::mem::take(&mut current)))
                .map_err(|_| PipelineError::ThreadPanicked)?;
        }
        Ok::<_, PipelineError>(line)
    });
    sent?;
    if !current.ends.is_empty() {
        out.send(Arc::new(current))
            .map_err(|_| PipelineError::ThreadPanicked)?;
    }
    Ok(())
}

fn broadcast(input: Receiver<Arc<Batch>>, targets: Vec<SyncSender<Arc<Batch>>>) {
    for batch in input {
        for target in &targets {
            if target.send(Arc::clone(&batch)).is_err() {
                return; // a filter is gone (it panicked); the join reports it
            }
        }
    }
    // Input closed: dropping `targets` closes every filter.
}

/// The filter stage of each address in `group` (one address, unless there were more addresses
/// than [`MAX_FILTER_THREADS`]).
fn filter_addresses(group: &[Arc<str>], input: Receiver<Arc<Batch>>, next: SyncSender<Arc<str>>) {
    for batch in input {
        for line in batch.lines() {
            for address in group {
                if is_from(line, address) && next.send(Arc::clone(address)).is_err() {
                    return;
                }
            }
        }
    }
}

fn reduce(input: Receiver<Arc<str>>) -> Counts {
    let mut counts = Counts::new();
    for address in input {
        counts.add(&address);
    }
    counts // the input ends when the last filter has dropped its sender
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logdata::LogSpec;

    #[test]
    fn the_generated_counts_every_time() -> Result<(), Box<dyn std::error::Error>> {
        let spec = LogSpec::new(
            99,
            3_000,
            &[("10.0.0.1", 120), ("10.0.0.10", 45), ("83.149.9.216", 23)],
        );
        let log = spec.to_bytes()?;
        let addresses = spec.address_list();
        let single = spec.expected();
        for run in 0..200 {
            let batch = [1, 7, DEFAULT_BATCH][run % 3];
            assert_eq!(
                count_batched(&log[..], &addresses, batch)?,
                single,
                "run {run}, batch {batch}"
            );
        }
        Ok(())
    }

    #[test]
    fn passes_the_shared_checks() {
        for batch in [1, 2, DEFAULT_BATCH] {
            let check =
                crate::pipeline::checks::check_pipeline(|log, a| count_batched(log, a, batch));
            assert_eq!(check, Ok(()), "batch {batch}");
        }
    }

    #[test]
    fn batches_split_lines_exactly() {
        let batch = Batch {
            bytes: b"a\nbc\nd".to_vec(),
            ends: vec![2, 5, 6],
        };
        assert_eq!(
            batch.lines().collect::<Vec<_>>(),
            vec![&b"a\n"[..], b"bc\n", b"d"]
        );
    }

    #[test]
    fn addresses_beyond_the_thread_limit_share_threads() {
        let addresses: Vec<String> = (0..1000)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let groups = filter_groups(&refs, MAX_FILTER_THREADS);
        assert_eq!(groups.len(), MAX_FILTER_THREADS.min(refs.len()));
        let dealt: Vec<&str> = groups.iter().flatten().map(|a| &**a).collect();
        assert_eq!(dealt, refs, "every address in exactly one group, in order");
        assert_eq!(
            filter_groups(&refs[..3], MAX_FILTER_THREADS).len(),
            3,
            "one thread each"
        );
        assert!(filter_groups(&[], MAX_FILTER_THREADS).is_empty());

        let mut log = Vec::new();
        for (i, address) in refs.iter().enumerate() {
            for _ in 0..i % 3 {
                log.extend_from_slice(format!("{address} - - x\n").as_bytes());
            }
        }
        let counts = count_batched(&log[..], &refs, 7).expect("1000 addresses");
        assert_eq!(
            counts,
            crate::logdata::count_plain(&log[..], &refs).expect("plain")
        );
        assert_eq!(counts.total(), 999);
    }

    #[test]
    fn batches_are_bounded_in_bytes() {
        let long = vec![b'x'; crate::logdata::MAX_LINE - 1];
        let mut log = Vec::new();
        for _ in 0..100 {
            log.extend_from_slice(b"1.1.1.1 ");
            log.extend_from_slice(&long);
            log.push(b'\n');
        }
        let (tx, rx) = sync_channel(1000);
        source(&log[..], DEFAULT_BATCH, tx).expect("source");
        let sizes: Vec<usize> = rx.iter().map(|batch| batch.bytes.len()).collect();
        assert!(sizes.len() > 1, "{sizes:?}");
        assert!(
            sizes
                .iter()
                .all(|&n| n < BATCH_BYTES + crate::logdata::MAX_LINE),
            "{sizes:?}"
        );
        assert_eq!(sizes.iter().sum::<usize>(), 100 * crate::logdata::MAX_LINE);
    }
}
