//! One figure of `serverbench`: a throughput measurement of one server at one concurrency, or the
//! resident memory of one server holding idle connections. Each starts a fresh server process.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::child::ServerProcess;
use super::{BenchOptions, Server};
use crate::servers::load;

/// Request bytes the load generator sends before the terminator.
pub const PAYLOAD: usize = 16;

/// One throughput measurement.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Requests answered per second.
    pub rps: f64,
    /// Median latency, microseconds.
    pub p50: u64,
    /// 99th percentile latency, microseconds.
    pub p99: u64,
    /// Server CPU time over wall time (1.0 = one core busy).
    pub cpu: f64,
    /// Server CPU time per answered request, microseconds.
    pub cpu_us_per_request: f64,
    /// Requests that failed.
    pub errors: u64,
    /// The load generator's one-line summary.
    pub summary: String,
}

/// Requests/s, latency and the server's CPU use for `server` at `connections` concurrent
/// connections, after a warm-up of a tenth as many requests.
pub fn throughput(opts: &BenchOptions, server: Server, connections: u64) -> Result<Sample> {
    let mut process =
        ServerProcess::spawn(server, opts.server_pin(), &["--max-connections", "20000"])?;
    let addr = process.addr;
    let load = |requests: u64| load::LoadOptions {
        addr,
        connections,
        requests,
        payload: PAYLOAD,
        max_seconds: opts.max_seconds,
    };
    // Warm up: connections, allocator, stack pool, page cache.
    load::run(&load((opts.requests / 10).max(connections)))?;
    let cpu_before = process.cpu_seconds()?;
    let report = load::run(&load(opts.requests))?;
    let cpu_used = process.cpu_seconds()? - cpu_before;
    process.stop()?;
    ensure!(
        report.ok > 0,
        "{server:?} answered nothing: {:?}",
        report.first_error
    );
    Ok(Sample {
        rps: report.requests_per_second(),
        p50: report.latency_us.value_at_quantile(0.5),
        p99: report.latency_us.value_at_quantile(0.99),
        cpu: cpu_used / report.elapsed.as_secs_f64(),
        cpu_us_per_request: cpu_used * 1e6 / report.ok.max(1) as f64,
        errors: report.errors,
        summary: report.summary(),
    })
}

/// RSS of `server` before and after opening `n` idle connections, in KiB.
pub fn idle_memory(opts: &BenchOptions, server: Server, n: usize) -> Result<(u64, u64)> {
    let limit = (n + 100).to_string();
    let process = ServerProcess::spawn(
        server,
        opts.server_pin(),
        &["--max-connections", &limit, "--idle-timeout", "600"],
    )?;
    std::thread::sleep(Duration::from_millis(200));
    let base_fds = process.open_fds()?;
    let before = process.rss_kib()?;
    let mut clients = Vec::with_capacity(n);
    let deadline = Instant::now() + Duration::from_secs(120);
    while clients.len() < n {
        ensure!(
            Instant::now() < deadline,
            "opening idle connections took too long"
        );
        clients.push(TcpStream::connect(process.addr).context("opening an idle connection")?);
        // Let the server keep up with the listen queue now and then.
        if clients.len() % 500 == 0 || clients.len() == n {
            while process.open_fds()? < base_fds + clients.len() {
                ensure!(
                    Instant::now() < deadline,
                    "the server did not accept every connection"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    // Every connection has run to its first wait (its first read found nothing).
    std::thread::sleep(Duration::from_millis(300));
    let after = process.rss_kib()?;
    drop(clients);
    process.stop()?;
    Ok((before, after))
}
