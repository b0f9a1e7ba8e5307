//! Measures the servers of issue 5 side by side in one run and prints a markdown report:
//! requests/s (and latency, and the server's CPU use) at several numbers of concurrent
//! connections, and resident memory per idle open connection.
//!
//! `cargo run --release -p comparisons --bin serverbench` (about a minute; `--help` for bigger
//! runs). Each server runs in a child process (this binary, `serverbench serve KIND`), pinned to
//! one CPU; the load generator runs in this process pinned to another. Loopback only.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::{Parser, Subcommand, ValueEnum};
use common::server::{ServerOptions, raise_fd_limit, serve_with};
use comparisons::server_kit::{load, threads, tokio_server};
use nix::sched::{CpuSet, sched_setaffinity};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The servers compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Kind {
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

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Stackless => "stackless (mio + native coroutine)",
            Kind::Stackful => "stackful (mio + corosensei)",
            Kind::TokioCurrent => "tokio current-thread",
            Kind::TokioMulti => "tokio multi-thread",
            Kind::Threads => "threads (std::net)",
        }
    }

    fn arg(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }
}

#[derive(Parser)]
#[command(
    about = "Servers side by side: requests/s at several concurrencies, memory per idle connection"
)]
struct Cli {
    #[command(subcommand)]
    serve: Option<Serve>,
    /// Requests per measurement (each on a new connection).
    #[arg(long, default_value_t = 6000)]
    requests: u64,
    /// Measurements per server and concurrency; the table shows medians.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Concurrent connections to measure at, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    concurrency: Vec<u64>,
    /// Idle connections opened for the memory measurement (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    idle_connections: usize,
    /// Servers to measure, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "stackless,stackful,tokio-current,tokio-multi,threads"
    )]
    servers: Vec<Kind>,
    /// CPU the servers are pinned to.
    #[arg(long, default_value_t = 0)]
    server_cpu: usize,
    /// CPU the load generator is pinned to.
    #[arg(long, default_value_t = 1)]
    client_cpu: usize,
    /// Do not pin anything to CPUs.
    #[arg(long)]
    no_pin: bool,
    /// Time limit of one measurement, seconds.
    #[arg(long, default_value_t = 20.0)]
    max_seconds: f64,
}

#[derive(Subcommand)]
enum Serve {
    /// Run one server (used by the benchmark for its child processes).
    #[command(hide = true)]
    Serve {
        kind: Kind,
        /// Pin the server to this CPU.
        #[arg(long)]
        cpu: Option<usize>,
        #[command(flatten)]
        opts: ServerOptions,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.serve {
        Some(Serve::Serve { kind, cpu, opts }) => serve(*kind, *cpu, opts),
        None => bench(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serverbench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn pin(cpu: usize) -> Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu).with_context(|| format!("no CPU {cpu}"))?;
    sched_setaffinity(Pid::from_raw(0), &set).with_context(|| format!("pinning to CPU {cpu}"))
}

/// The child: pin (before any thread starts, so all inherit it), then serve until SIGTERM.
fn serve(kind: Kind, cpu: Option<usize>, opts: &ServerOptions) -> Result<()> {
    if let Some(cpu) = cpu {
        pin(cpu)?;
    }
    // For each line on stdin, report this process's CPU time (all threads, including those that
    // have exited, in microseconds): the benchmark reads it before and after a measurement.
    std::thread::spawn(|| {
        for line in std::io::stdin().lines() {
            if line.is_err() {
                break;
            }
            let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else {
                break;
            };
            let micros = |t: nix::sys::time::TimeVal| t.tv_sec() * 1_000_000 + t.tv_usec();
            let mut out = std::io::stdout().lock();
            let total = micros(usage.user_time()) + micros(usage.system_time());
            if writeln!(out, "cpu_us {total}")
                .and_then(|()| out.flush())
                .is_err()
            {
                break;
            }
        }
    });
    match kind {
        Kind::Stackless => serve_with::<stackless::server::NativeConnection>(opts),
        Kind::Stackful => serve_with::<stackful::server::StackfulConnection>(opts),
        Kind::TokioCurrent => tokio_server::run(opts, tokio_server::Runtime::Current),
        Kind::TokioMulti => tokio_server::run(opts, tokio_server::Runtime::Multi),
        Kind::Threads => threads::run(opts),
    }
}

/// A server child process.
struct Server {
    child: Child,
    addr: SocketAddr,
    stdin: std::process::ChildStdin,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Server {
    fn spawn(kind: Kind, cpu: Option<usize>, extra: &[&str]) -> Result<Server> {
        let exe = std::env::current_exe().context("finding this executable")?;
        let mut cmd = Command::new(exe);
        cmd.args(["serve", &kind.arg(), "--addr", "127.0.0.1:0"])
            .args(extra);
        if let Some(cpu) = cpu {
            cmd.args(["--cpu", &cpu.to_string()]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("spawning a server")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .context("reading the server's first line")?;
        let addr = match line.trim().strip_prefix("listening on ") {
            Some(addr) => addr.parse().context("parsing the server's address")?,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("{kind:?} server said {line:?} instead of `listening on`");
            }
        };
        Ok(Server {
            child,
            addr,
            stdin,
            stdout,
        })
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// Resident memory in KiB (VmRSS of /proc/PID/status).
    fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .context("no VmRSS")?;
        line.split_whitespace()
            .nth(1)
            .context("bad VmRSS")?
            .parse()
            .context("bad VmRSS")
    }

    /// User + system CPU time of the whole server process so far, in seconds, as it reports it.
    fn cpu_seconds(&mut self) -> Result<f64> {
        writeln!(self.stdin).context("asking the server for its CPU time")?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .context("reading the server's CPU time")?;
        let micros: u64 = line
            .trim()
            .strip_prefix("cpu_us ")
            .with_context(|| format!("server said {line:?}"))?
            .parse()?;
        Ok(micros as f64 / 1e6)
    }

    fn open_fds(&self) -> Result<usize> {
        Ok(std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))?.count())
    }

    /// SIGTERM, then wait (bounded) and check it exited 0.
    fn stop(mut self) -> Result<()> {
        kill(self.pid(), Signal::SIGTERM).context("signalling the server")?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait()? {
                ensure!(status.success(), "server exited with {status}");
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("server did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// One throughput measurement.
struct Sample {
    rps: f64,
    p50: u64,
    p99: u64,
    cpu: f64,
    cpu_us_per_request: f64,
    errors: u64,
    summary: String,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        f64::NAN
    } else {
        values[values.len() / 2]
    }
}

fn measure_throughput(cli: &Cli, kind: Kind, connections: u64) -> Result<Sample> {
    let server_cpu = (!cli.no_pin).then_some(cli.server_cpu);
    let mut server = Server::spawn(kind, server_cpu, &["--max-connections", "20000"])?;
    let addr = server.addr;
    let load = |requests: u64| load::LoadOptions {
        addr,
        connections,
        requests,
        payload: 16,
        max_seconds: cli.max_seconds,
    };
    // Warm up: connections, allocator, stack pool, page cache.
    load::run(&load((cli.requests / 10).max(connections)))?;
    let cpu_before = server.cpu_seconds()?;
    let report = load::run(&load(cli.requests))?;
    let cpu_used = server.cpu_seconds()? - cpu_before;
    server.stop()?;
    ensure!(
        report.ok > 0,
        "{kind:?} answered nothing: {:?}",
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

/// RSS before and after opening `n` idle connections, in KiB.
fn measure_idle_memory(cli: &Cli, kind: Kind, n: usize) -> Result<(u64, u64)> {
    let server_cpu = (!cli.no_pin).then_some(cli.server_cpu);
    let limit = (n + 100).to_string();
    let server = Server::spawn(
        kind,
        server_cpu,
        &["--max-connections", &limit, "--idle-timeout", "600"],
    )?;
    std::thread::sleep(Duration::from_millis(200));
    let base_fds = server.open_fds()?;
    let before = server.rss_kib()?;
    let mut clients = Vec::with_capacity(n);
    let deadline = Instant::now() + Duration::from_secs(120);
    while clients.len() < n {
        ensure!(
            Instant::now() < deadline,
            "opening idle connections took too long"
        );
        clients.push(TcpStream::connect(server.addr).context("opening an idle connection")?);
        // Let the server keep up with the listen queue now and then.
        if clients.len() % 500 == 0 || clients.len() == n {
            while server.open_fds()? < base_fds + clients.len() {
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
    let after = server.rss_kib()?;
    drop(clients);
    server.stop()?;
    Ok((before, after))
}

fn bench(cli: &Cli) -> Result<()> {
    ensure!(
        cli.rounds >= 1 && cli.requests >= 1,
        "--rounds and --requests must be at least 1"
    );
    ensure!(
        cli.concurrency.iter().all(|&c| (1..=10_000).contains(&c)),
        "--concurrency values must be 1 to 10000"
    );
    ensure!(
        cli.idle_connections <= 15_000,
        "--idle-connections must be at most 15000"
    );
    raise_fd_limit().context("raising the fd limit")?;
    if !cli.no_pin {
        pin(cli.client_cpu)?;
    }
    let started = Instant::now();
    println!("## Servers side by side\n");
    println!(
        "Method: each server runs in its own process{}; the load generator (`comparisons` bin `loadgen`'s code, one tokio current-thread runtime){} opens the given number of concurrent client loops, each connecting, sending a {}-byte request plus `\\n\\n`, reading the reply to the end and checking it. Every request is a new connection (the protocol closes after replying). {} requests per measurement after a warm-up of a tenth as many, {} rounds with the servers in rotating order; the table shows medians over rounds. Server CPU is the server process's user+system time (getrusage, all its threads, reported by the server on request) during the measurement: over the wall time it is how busy the server was (100% = one core), per request it is what the server spends, and one-core capacity = 1 s / (CPU per request) is the requests/s one core could serve. Kernel TCP work on loopback is partly charged to the sending side (the load generator for requests, the server for replies), the same way for every server.\n",
        if cli.no_pin {
            String::new()
        } else {
            format!(" pinned to CPU {}", cli.server_cpu)
        },
        if cli.no_pin {
            String::new()
        } else {
            format!(" pinned to CPU {}", cli.client_cpu)
        },
        16,
        cli.requests,
        cli.rounds
    );
    let kinds = &cli.servers;
    // samples[c][k] = one Sample per round
    let mut samples: Vec<Vec<Vec<Sample>>> = cli
        .concurrency
        .iter()
        .map(|_| kinds.iter().map(|_| Vec::new()).collect())
        .collect();
    for (ci, &connections) in cli.concurrency.iter().enumerate() {
        for round in 0..cli.rounds {
            for i in 0..kinds.len() {
                let k = (i + round) % kinds.len();
                let sample = measure_throughput(cli, kinds[k], connections)
                    .with_context(|| format!("{:?} at {connections} connections", kinds[k]))?;
                eprintln!(
                    "serverbench: {:?} at {connections} connections, round {}: {}",
                    kinds[k],
                    round + 1,
                    sample.summary
                );
                samples[ci][k].push(sample);
            }
        }
    }
    println!(
        "| server | concurrent connections | requests/s | p50 latency (us) | p99 latency (us) | server CPU busy | server CPU per request (us) | one-core capacity (requests/s) | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    // medians[c][k] = (requests/s, CPU microseconds per request)
    let mut medians = vec![vec![(f64::NAN, f64::NAN); kinds.len()]; cli.concurrency.len()];
    for (ci, &connections) in cli.concurrency.iter().enumerate() {
        for (k, kind) in kinds.iter().enumerate() {
            let s = &samples[ci][k];
            let rps = median(s.iter().map(|x| x.rps).collect());
            let cpu_us = median(s.iter().map(|x| x.cpu_us_per_request).collect());
            medians[ci][k] = (rps, cpu_us);
            println!(
                "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.1} | {:.0} | {} |",
                kind.name(),
                connections,
                rps,
                median(s.iter().map(|x| x.p50 as f64).collect()),
                median(s.iter().map(|x| x.p99 as f64).collect()),
                100.0 * median(s.iter().map(|x| x.cpu).collect()),
                cpu_us,
                1e6 / cpu_us,
                s.iter().map(|x| x.errors).sum::<u64>()
            );
        }
    }
    let pos = |kind: Kind| kinds.iter().position(|&k| k == kind);
    if let (Some(tokio), true) = (pos(Kind::TokioCurrent), pos(Kind::Stackless).is_some()) {
        println!(
            "\nRatios to tokio current-thread (target for stackless: at least 0.9). \"measured\" divides requests/s, which only shows the servers' own speed when their CPU is near 100% busy; \"one core\" divides one-core capacity (tokio's CPU per request / ours), which holds whether or not the load generator kept the server busy:\n"
        );
        for (ci, &connections) in cli.concurrency.iter().enumerate() {
            let (t_rps, t_cpu) = medians[ci][tokio];
            let parts: Vec<String> = [Kind::Stackless, Kind::Stackful]
                .into_iter()
                .filter_map(|kind| pos(kind).map(|k| (kind, medians[ci][k])))
                .map(|(kind, (rps, cpu))| {
                    format!(
                        "{} measured {:.2}x, one core {:.2}x",
                        kind.arg(),
                        rps / t_rps,
                        t_cpu / cpu
                    )
                })
                .collect();
            println!("- {connections} connections: {}", parts.join("; "));
        }
    }
    if cli.idle_connections > 0 {
        let n = cli.idle_connections;
        println!("\n## Memory per idle connection\n");
        println!(
            "Method: a fresh server process per server; VmRSS from /proc/PID/status before and after this process opened {n} connections that send nothing (after the server had accepted them all, per /proc/PID/fd, and 300 ms more so each ran to its first wait). Per connection = (after - before) / {n}. RSS counts user-space memory only: kernel socket buffers, page tables and thread structures are not in it.\n"
        );
        println!(
            "| server | RSS before (KiB) | RSS with {n} idle (KiB) | per idle connection (bytes) | target |"
        );
        println!("|---|---:|---:|---:|---|");
        for &kind in kinds {
            let (before, after) = measure_idle_memory(cli, kind, n)
                .with_context(|| format!("{kind:?} idle memory"))?;
            let per = after.saturating_sub(before) as f64 * 1024.0 / n as f64;
            let target = match kind {
                Kind::Stackless => "<= 2048",
                Kind::Stackful => "<= 20480",
                _ => "",
            };
            println!(
                "| {} | {before} | {after} | {per:.0} | {target} |",
                kind.name()
            );
        }
    }
    println!("\n(measured in {:.0} s)", started.elapsed().as_secs_f64());
    Ok(())
}
