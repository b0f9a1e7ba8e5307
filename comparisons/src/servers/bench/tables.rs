//! `serverbench`'s report, as markdown text: how it measured, the throughput table with its
//! medians over rounds, the ratios to tokio, and the memory table.

use std::fmt::Write as _;

use super::measure::{PAYLOAD, Sample};
use super::{BenchOptions, Server};

/// The median of `values` (the upper one of the middle two for an even count), `NaN` if empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    if values.is_empty() {
        f64::NAN
    } else {
        values[values.len() / 2]
    }
}

/// The report's title and how the throughput is measured.
pub fn throughput_method(opts: &BenchOptions) -> String {
    let pinned = |cpu: usize| {
        if opts.no_pin {
            String::new()
        } else {
            format!(" pinned to CPU {cpu}")
        }
    };
    format!(
        "## Servers side by side\n\nMethod: each server runs in its own process{}; the load generator (`comparisons` bin `loadgen`'s code, one tokio current-thread runtime){} opens the given number of concurrent client loops, each connecting, sending a {}-byte request plus `\\n\\n`, reading the reply to the end and checking it. Every request is a new connection (the protocol closes after replying). {} requests per measurement after a warm-up of a tenth as many, {} rounds with the servers in rotating order; the table shows medians over rounds. Server CPU is the server process's user+system time (getrusage, all its threads, reported by the server on request) during the measurement: over the wall time it is how busy the server was (100% = one core), per request it is what the server spends, and one-core capacity = 1 s / (CPU per request) is the requests/s one core could serve. Kernel TCP work on loopback is partly charged to the sending side (the load generator for requests, the server for replies), the same way for every server.\n\n",
        pinned(opts.server_cpu),
        pinned(opts.client_cpu),
        PAYLOAD,
        opts.requests,
        opts.rounds
    )
}

/// Medians per concurrency and server: `medians[c][k]` = (requests/s, CPU µs per request).
pub type Medians = Vec<Vec<(f64, f64)>>;

/// The throughput table from `samples[c][k]` (one [`Sample`] per round for concurrency `c` and
/// server `k` of `opts`), and the medians the ratios are computed from.
pub fn throughput(opts: &BenchOptions, samples: &[Vec<Vec<Sample>>]) -> (String, Medians) {
    let mut t = String::from(
        "| server | concurrent connections | requests/s | p50 latency (us) | p99 latency (us) | server CPU busy | server CPU per request (us) | one-core capacity (requests/s) | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let servers = &opts.servers;
    let mut medians = vec![vec![(f64::NAN, f64::NAN); servers.len()]; opts.concurrency.len()];
    for (ci, &connections) in opts.concurrency.iter().enumerate() {
        for (k, server) in servers.iter().enumerate() {
            let s = &samples[ci][k];
            let rps = median(s.iter().map(|x| x.rps).collect());
            let cpu_us = median(s.iter().map(|x| x.cpu_us_per_request).collect());
            medians[ci][k] = (rps, cpu_us);
            let _ = writeln!(
                t,
                "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0}% | {:.1} | {:.0} | {} |",
                server.label(),
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
    (t, medians)
}

/// The event-loop servers' ratios to tokio current-thread, per concurrency; empty unless both
/// tokio current-thread and the stackless server were measured.
pub fn ratios(opts: &BenchOptions, medians: &Medians) -> String {
    let servers = &opts.servers;
    let pos = |server: Server| servers.iter().position(|&s| s == server);
    let (Some(tokio), true) = (pos(Server::TokioCurrent), pos(Server::Stackless).is_some()) else {
        return String::new();
    };
    let mut t = String::from(
        "\nRatios to tokio current-thread (target for stackless: at least 0.9). \"measured\" divides requests/s, which only shows the servers' own speed when their CPU is near 100% busy; \"one core\" divides one-core capacity (tokio's CPU per request / ours), which holds whether or not the load generator kept the server busy:\n\n",
    );
    for (ci, &connections) in opts.concurrency.iter().enumerate() {
        let (t_rps, t_cpu) = medians[ci][tokio];
        let parts: Vec<String> = [Server::Stackless, Server::Stackful]
            .into_iter()
            .filter_map(|server| pos(server).map(|k| (server, medians[ci][k])))
            .map(|(server, (rps, cpu))| {
                format!(
                    "{} measured {:.2}x, one core {:.2}x",
                    server.arg(),
                    rps / t_rps,
                    t_cpu / cpu
                )
            })
            .collect();
        let _ = writeln!(t, "- {connections} connections: {}", parts.join("; "));
    }
    t
}

/// The memory table's title, method and header, for `n` idle connections.
pub fn memory_header(n: usize) -> String {
    format!(
        "\n## Memory per idle connection\n\nMethod: a fresh server process per server; VmRSS from /proc/PID/status before and after this process opened {n} connections that send nothing (after the server had accepted them all, per /proc/PID/fd, and 300 ms more so each ran to its first wait). Per connection = (after - before) / {n}. RSS counts user-space memory only: kernel socket buffers, page tables and thread structures are not in it.\n\n| server | RSS before (KiB) | RSS with {n} idle (KiB) | per idle connection (bytes) | target |\n|---|---:|---:|---:|---|\n"
    )
}

/// One row of the memory table: `server`'s RSS `before` and `after` opening `n` idle connections.
pub fn memory_row(server: Server, before: u64, after: u64, n: usize) -> String {
    let per = after.saturating_sub(before) as f64 * 1024.0 / n as f64;
    let target = match server {
        Server::Stackless => "<= 2048",
        Server::Stackful => "<= 20480",
        _ => "",
    };
    format!(
        "| {} | {before} | {after} | {per:.0} | {target} |\n",
        server.label()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        opts: BenchOptions,
    }

    fn opts(args: &[&str]) -> BenchOptions {
        Cli::try_parse_from(std::iter::once("serverbench").chain(args.iter().copied()))
            .expect("valid options")
            .opts
    }

    fn sample(rps: f64, cpu_us_per_request: f64) -> Sample {
        Sample {
            rps,
            p50: 100,
            p99: 900,
            cpu: 0.5,
            cpu_us_per_request,
            errors: 1,
            summary: String::new(),
        }
    }

    #[test]
    fn median_takes_the_upper_middle() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 3.0);
        assert!(median(Vec::new()).is_nan());
    }

    #[test]
    fn throughput_rows_show_medians_and_ratios_divide_by_tokio() {
        let o = opts(&[
            "--concurrency",
            "10",
            "--servers",
            "stackless,tokio-current",
        ]);
        let samples = vec![vec![
            vec![
                sample(900.0, 20.0),
                sample(1000.0, 10.0),
                sample(1100.0, 30.0),
            ],
            vec![sample(500.0, 40.0); 3],
        ]];
        let (table, medians) = throughput(&o, &samples);
        assert!(
            table.contains("| stackless (mio + native coroutine) | 10 | 1000 | 100 | 900 | 50% | 20.0 | 50000 | 3 |"),
            "{table}"
        );
        assert_eq!(medians, vec![vec![(1000.0, 20.0), (500.0, 40.0)]]);
        let text = ratios(&o, &medians);
        assert!(
            text.contains("- 10 connections: stackless measured 2.00x, one core 2.00x"),
            "{text}"
        );
    }

    #[test]
    fn no_ratios_without_tokio_current() {
        let o = opts(&["--servers", "stackless,threads"]);
        assert_eq!(ratios(&o, &vec![vec![(1.0, 1.0); 2]; 3]), "");
    }

    #[test]
    fn memory_rows_give_bytes_per_connection() {
        let row = memory_row(Server::Stackless, 1000, 3000, 1024);
        assert_eq!(
            row,
            "| stackless (mio + native coroutine) | 1000 | 3000 | 2000 | <= 2048 |\n"
        );
    }
}
