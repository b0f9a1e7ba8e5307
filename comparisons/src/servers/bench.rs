//! `serverbench`: the servers side by side in one run, printed as a markdown report: requests/s
//! (and latency, and the server's CPU use) at several numbers of concurrent connections, and
//! resident memory per idle open connection.
//!
//! Each server runs in a child process ([`child`]: this same program, `serverbench serve SERVER`),
//! pinned to one CPU; the load generator ([`crate::servers::load`]) runs in this process pinned to
//! another. Loopback only. [`measure`] takes one figure, [`tables`] writes them up.

pub mod child;
pub mod measure;
pub mod tables;

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use clap::ValueEnum;
use common::server::raise_fd_limit;

use crate::progress;

pub use child::serve;

/// The servers compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Server {
    /// `stackless::server`: native coroutines on the mio loop.
    Stackless,
    /// `stackful::server`: corosensei coroutines on the mio loop.
    Stackful,
    /// tokio, current-thread runtime.
    TokioCurrent,
    /// tokio, multi-thread runtime.
    TokioMulti,
    /// std::net, one thread per connection.
    Threads,
}

impl Server {
    /// What the report calls it.
    pub fn label(self) -> &'static str {
        match self {
            Server::Stackless => "stackless (mio + native coroutine)",
            Server::Stackful => "stackful (mio + corosensei)",
            Server::TokioCurrent => "tokio current-thread",
            Server::TokioMulti => "tokio multi-thread",
            Server::Threads => "threads (std::net)",
        }
    }

    /// Its name on the command line (`tokio-current`, ...).
    pub fn arg(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

/// Most concurrent connections a throughput measurement may use.
pub const MAX_CONCURRENCY: u64 = 10_000;
/// Most idle connections the memory measurement may open.
pub const MAX_IDLE_CONNECTIONS: usize = 15_000;

/// What to measure (`serverbench --help` prints these).
#[derive(Debug, Clone, clap::Args)]
pub struct BenchOptions {
    /// Requests per measurement (each on a new connection).
    #[arg(long, default_value_t = 6000)]
    pub requests: u64,
    /// Measurements per server and concurrency; the table shows medians.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Concurrent connections to measure at, comma-separated, each 1 to 10000.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    pub concurrency: Vec<u64>,
    /// Idle connections opened for the memory measurement, at most 15000 (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    pub idle_connections: usize,
    /// Servers to measure, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "stackless,stackful,tokio-current,tokio-multi,threads"
    )]
    pub servers: Vec<Server>,
    /// CPU the servers are pinned to.
    #[arg(long, default_value_t = 0)]
    pub server_cpu: usize,
    /// CPU the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    pub client_cpu: usize,
    /// Do not pin anything to CPUs.
    #[arg(long)]
    pub no_pin: bool,
    /// Time limit of one measurement, seconds (more than 0, at most 600).
    #[arg(long, default_value_t = 20.0)]
    pub max_seconds: f64,
}

impl BenchOptions {
    /// Checks the bounds, and that this process may run on the CPUs to pin to.
    pub fn validate(&self) -> Result<()> {
        ensure!(
            self.rounds >= 1 && self.requests >= 1,
            "--rounds and --requests must be at least 1"
        );
        ensure!(
            self.concurrency
                .iter()
                .all(|&c| (1..=MAX_CONCURRENCY).contains(&c)),
            "--concurrency values must be 1 to {MAX_CONCURRENCY}"
        );
        ensure!(
            self.idle_connections <= MAX_IDLE_CONNECTIONS,
            "--idle-connections must be at most {MAX_IDLE_CONNECTIONS}"
        );
        ensure!(
            self.max_seconds > 0.0 && self.max_seconds <= 600.0,
            "--max-seconds must be more than 0 and at most 600"
        );
        if !self.no_pin {
            for (option, cpu) in [
                ("--server-cpu", self.server_cpu),
                ("--client-cpu", self.client_cpu),
            ] {
                ensure!(
                    child::may_run_on(cpu),
                    "{option} {cpu}: this process may not run on CPU {cpu} (or use --no-pin)"
                );
            }
        }
        Ok(())
    }

    /// The CPU the servers are pinned to, unless `--no-pin`.
    pub fn server_pin(&self) -> Option<usize> {
        (!self.no_pin).then_some(self.server_cpu)
    }
}

/// Writes `text` to the report.
fn emit(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the report")
}

/// Measures every server of `opts` and writes the report to `out`, each table as soon as it is
/// measured, with progress on stderr. Runs the servers as `serve` children of this executable,
/// so the program calling it must hand its `serve` subcommand to [`serve`].
pub fn run(opts: &BenchOptions, out: &mut dyn Write) -> Result<()> {
    opts.validate()?;
    raise_fd_limit().context("raising the fd limit")?;
    if !opts.no_pin {
        child::pin(opts.client_cpu)?;
    }
    let started = Instant::now();
    emit(out, &tables::throughput_method(opts))?;
    let servers = &opts.servers;
    // samples[c][k] = one Sample per round
    let mut samples: Vec<Vec<Vec<measure::Sample>>> = opts
        .concurrency
        .iter()
        .map(|_| servers.iter().map(|_| Vec::new()).collect())
        .collect();
    for (ci, &connections) in opts.concurrency.iter().enumerate() {
        for round in 0..opts.rounds {
            for i in 0..servers.len() {
                let k = (i + round) % servers.len();
                let sample = measure::throughput(opts, servers[k], connections)
                    .with_context(|| format!("{:?} at {connections} connections", servers[k]))?;
                progress!(
                    "serverbench: {:?} at {connections} connections, round {}: {}",
                    servers[k],
                    round + 1,
                    sample.summary
                );
                samples[ci][k].push(sample);
            }
        }
    }
    let (table, medians) = tables::throughput(opts, &samples);
    emit(out, &table)?;
    emit(out, &tables::ratios(opts, &medians))?;
    if opts.idle_connections > 0 {
        let n = opts.idle_connections;
        emit(out, &tables::memory_header(n))?;
        for &server in servers {
            let (before, after) = measure::idle_memory(opts, server, n)
                .with_context(|| format!("{server:?} idle memory"))?;
            emit(out, &tables::memory_row(server, before, after, n))?;
        }
    }
    emit(
        out,
        &format!("\n(measured in {:.0} s)\n", started.elapsed().as_secs_f64()),
    )
}
