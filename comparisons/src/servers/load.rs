//! The load generator: N concurrent client loops on one tokio current-thread runtime, each
//! connecting, sending one request, reading the reply to the end and checking it, until M requests
//! are done or the time limit passes. Latencies go to an `hdrhistogram`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// What load to send, and where.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadOptions {
    /// The server's address; must be a loopback address.
    #[arg(long)]
    pub addr: SocketAddr,
    /// Concurrent connections (client loops), 1 to 20000.
    #[arg(long, default_value_t = 100)]
    pub connections: u64,
    /// Requests in total (each on a new connection, as the protocol closes after the reply).
    #[arg(long, default_value_t = 10_000)]
    pub requests: u64,
    /// Request bytes before the terminator.
    #[arg(long, default_value_t = 16)]
    pub payload: usize,
    /// Stop issuing requests after this many seconds, done or not (at most 600).
    #[arg(long, default_value_t = 30.0)]
    pub max_seconds: f64,
}

impl LoadOptions {
    /// Checks the bounds: loopback only, bounded count and time.
    pub fn validate(&self) -> anyhow::Result<()> {
        if !self.addr.ip().is_loopback() {
            bail!("--addr must be a loopback address, not {}", self.addr.ip());
        }
        if !(1..=20_000).contains(&self.connections) {
            bail!("--connections must be 1 to 20000");
        }
        if !(1..=10_000_000).contains(&self.requests) {
            bail!("--requests must be 1 to 10000000");
        }
        if self.payload > 1 << 20 {
            bail!("--payload must be at most 1 MiB");
        }
        if !(self.max_seconds > 0.0 && self.max_seconds <= 600.0) {
            bail!("--max-seconds must be more than 0 and at most 600");
        }
        Ok(())
    }
}

/// What a load run measured.
pub struct LoadReport {
    /// Requests answered correctly.
    pub ok: u64,
    /// Requests that failed (connect, I/O error or wrong reply).
    pub errors: u64,
    /// The first error seen, if any.
    pub first_error: Option<String>,
    /// Wall time from the first request to the last reply.
    pub elapsed: Duration,
    /// Latency of each correct request, connect to close, in microseconds.
    pub latency_us: Histogram<u64>,
}

impl LoadReport {
    /// Correct replies per second.
    pub fn requests_per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// One line of figures.
    pub fn summary(&self) -> String {
        let h = &self.latency_us;
        format!(
            "{} ok, {} errors in {:.3} s: {:.0} requests/s; latency p50 {} us, p90 {} us, p99 {} us, p99.9 {} us, max {} us",
            self.ok,
            self.errors,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.9),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999),
            h.max()
        )
    }
}

/// Sends the load on a current-thread runtime built on the calling thread.
pub fn run(opts: &LoadOptions) -> anyhow::Result<LoadReport> {
    opts.validate()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("building the tokio runtime")?;
    rt.block_on(drive(opts.clone()))
}

struct Worker {
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    latency_us: Histogram<u64>,
}

async fn drive(opts: LoadOptions) -> anyhow::Result<LoadReport> {
    let payload: Vec<u8> = (0..opts.payload).map(|i| b'a' + (i % 26) as u8).collect();
    let request: Arc<[u8]> = [&payload[..], b"\n\n"].concat().into();
    let expected: Arc<[u8]> = [&b"Hello "[..], &payload[..]].concat().into();
    let tickets = Arc::new(AtomicU64::new(opts.requests));
    let started = Instant::now();
    let stop_at = started + Duration::from_secs_f64(opts.max_seconds);
    let mut workers = Vec::new();
    for worker in 0..opts.connections.min(opts.requests) {
        let (request, expected, tickets) = (request.clone(), expected.clone(), tickets.clone());
        let addr = opts.addr;
        let source = source_address(addr, worker);
        workers.push(tokio::spawn(async move {
            let mut me = Worker {
                ok: 0,
                errors: 0,
                first_error: None,
                latency_us: Histogram::new_with_bounds(1, 600_000_000, 3)?,
            };
            let mut reply = Vec::with_capacity(expected.len());
            while Instant::now() < stop_at
                && tickets
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| t.checked_sub(1))
                    .is_ok()
            {
                let sent = Instant::now();
                reply.clear();
                let remaining = stop_at
                    .saturating_duration_since(sent)
                    .max(Duration::from_millis(1));
                let result = tokio::time::timeout(
                    remaining,
                    one_request(addr, source, &request, &mut reply),
                )
                .await;
                let error = match result {
                    Ok(Ok(())) if *reply == *expected => None,
                    Ok(Ok(())) => Some(format!("wrong reply of {} bytes", reply.len())),
                    Ok(Err(e)) => Some(e.to_string()),
                    Err(_) => Some("time limit reached mid-request".to_string()),
                };
                match error {
                    None => {
                        me.ok += 1;
                        me.latency_us
                            .saturating_record(sent.elapsed().as_micros() as u64);
                    }
                    Some(e) => {
                        me.errors += 1;
                        me.first_error.get_or_insert(e);
                    }
                }
            }
            anyhow::Ok(me)
        }));
    }
    let mut report = LoadReport {
        ok: 0,
        errors: 0,
        first_error: None,
        elapsed: Duration::ZERO,
        latency_us: Histogram::new_with_bounds(1, 600_000_000, 3)?,
    };
    for worker in workers {
        let worker = worker.await.context("load task panicked")??;
        report.ok += worker.ok;
        report.errors += worker.errors;
        if report.first_error.is_none() {
            report.first_error = worker.first_error;
        }
        report
            .latency_us
            .add(&worker.latency_us)
            .context("merging histograms")?;
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// The local address client loop `worker` connects from. Towards 127.0.0.1, loops spread over
/// 127.0.0.2 to 127.0.0.251: each request is a new connection and the server closes first, so the
/// server keeps every (client address, port) pair in TIME_WAIT for a minute; reusing one of those
/// pairs too soon makes the kernel drop the SYN and the client retry a second later. 250 source
/// addresses make such reuse 250 times rarer.
fn source_address(server: SocketAddr, worker: u64) -> Option<SocketAddr> {
    (server.ip() == IpAddr::V4(Ipv4Addr::LOCALHOST))
        .then(|| SocketAddr::from(([127, 0, 0, 2 + (worker % 250) as u8], 0)))
}

async fn one_request(
    addr: SocketAddr,
    source: Option<SocketAddr>,
    request: &[u8],
    reply: &mut Vec<u8>,
) -> std::io::Result<()> {
    let mut stream = match source {
        Some(source) => {
            let socket = TcpSocket::new_v4()?;
            socket.bind(source)?;
            socket.connect(addr).await?
        }
        None => TcpStream::connect(addr).await?,
    };
    stream.write_all(request).await?;
    stream.read_to_end(reply).await?;
    Ok(())
}
