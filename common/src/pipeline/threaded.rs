//! The article's threaded pipeline done right, the same in every coroutine style (so written once,
//! here): `broadcast`, each `filter_address` and `reduce` run on threads of their own, joined by
//! bounded channels (`std::sync::mpsc::sync_channel`). Closing is dropping a sender: each stage sees
//! its input end, drops its own outputs and returns. The article's version printed `{}` because
//! nothing waited for its threads; here the caller joins every thread and the reducer's counts come
//! back as its thread's return value, so the result is always the single-threaded one.
//!
//! Lines travel in batches ([`DEFAULT_BATCH`] lines each) so the channel cost is paid per batch, not
//! per line; with the channel bound ([`CHANNEL_BOUND`] batches) memory stays constant whatever the
//! log's size.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use crate::logdata::{Counts, PipelineError, distinct, is_from, stream_lines};

/// Lines per batch sent down the channels by [`count`].
pub const DEFAULT_BATCH: usize = 1024;
/// Batches (or addresses) each channel holds before its sender blocks.
pub const CHANNEL_BOUND: usize = 4;

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

/// [`count`] with `batch` lines per message (at least 1; smaller batches interleave the threads
/// more, which the tests use).
pub fn count_batched<R: BufRead>(
    reader: R,
    addresses: &[&str],
    batch: usize,
) -> Result<Counts, PipelineError> {
    let batch = batch.max(1);
    let addresses: Vec<Arc<str>> = distinct(addresses).into_iter().map(Arc::from).collect();

    thread::scope(|scope| {
        let (to_reduce, reduce_rx) = sync_channel::<Arc<str>>(CHANNEL_BOUND * 16);
        let reducer = scope.spawn(move || reduce(reduce_rx));

        let mut filter_inputs = Vec::new();
        let mut filters = Vec::new();
        for address in addresses {
            let (tx, rx) = sync_channel::<Arc<Batch>>(CHANNEL_BOUND);
            let next = to_reduce.clone();
            filters.push(scope.spawn(move || filter_address(&address, rx, next)));
            filter_inputs.push(tx);
        }
        drop(to_reduce); // the filters own the reducer's input now

        let (to_broadcast, broadcast_rx) = sync_channel::<Arc<Batch>>(CHANNEL_BOUND);
        let broadcaster = scope.spawn(move || broadcast(broadcast_rx, filter_inputs));

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
        if current.ends.len() == batch {
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

fn filter_address(address: &Arc<str>, input: Receiver<Arc<Batch>>, next: SyncSender<Arc<str>>) {
    for batch in input {
        for line in batch.lines() {
            if is_from(line, address) && next.send(Arc::clone(address)).is_err() {
                return;
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
}
