//! `comparisons`: measures processes, OS threads, green threads, goroutines, async tasks and
//! coroutines on this machine, with their scaling rings, and writes the comparison report
//! (markdown, JSON, SVG charts); `comparisons compare` puts the reports of several machines side
//! by side.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use comparisons::cli::{self, FAILURE};
use comparisons::kind::Kind;
use comparisons::params::Params;
use comparisons::placement::Placement;
use comparisons::progress;
use comparisons::run::{self, Config};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOC: common::alloc_count::CountingAlloc = common::alloc_count::CountingAlloc;

/// Measure the article's table of concurrency styles on this machine.
#[derive(Debug, Parser)]
#[command(
    name = "comparisons",
    version,
    about,
    long_about = None,
    after_help = "Exit status: 0 every row measured and the report written; 1 a row could not \
                  be measured (the report says which, and is written all the same), or the \
                  report could not be written; 2 a usage error."
)]
struct Cli {
    /// Small counts, 3 repetitions, rings up to 10,000 units: under a minute on 2 cores.
    #[arg(long)]
    quick: bool,
    /// Directory for comparison.md, comparison.json and the SVG charts [default: target/comparison].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Measure only these rows (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Kind>,
    /// The most memory one scaling ring may take (e.g. 4GiB, 512M): a row stops growing its ring
    /// before it would need more [default: 4GiB].
    #[arg(long, value_name = "SIZE", value_parser = comparisons::params::parse_size)]
    max_memory: Option<u64>,
    /// Repetitions of every figure (overrides the default of the run).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100))]
    reps: Option<u64>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Put the comparison.json of runs on several machines side by side: each figure per machine
    /// and each style's ratio to the OS thread per machine, in compare.md and its charts.
    Compare {
        /// The runs' comparison.json files (at least two), labelled A, B, ... in this order.
        #[arg(required = true, num_args = 2..)]
        files: Vec<PathBuf>,
        /// Directory for compare.md and its SVG charts [default: target/comparison/compare].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Internal: one memory repetition of one row in this fresh process, printed as JSON.
    #[command(hide = true)]
    ProbeMemory {
        /// The row.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Live units to hold.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
    },
    /// Internal: one scaling ring of one row in this fresh process, printed as JSON.
    #[command(hide = true)]
    ProbeRing {
        /// The row.
        #[arg(long, value_enum)]
        kind: Kind,
        /// The ring's plan, as JSON.
        #[arg(long)]
        plan: String,
    },
    /// Internal: creation and switch of one row for one placement in this fresh process, whose
    /// runtime gets `--workers` workers, printed as JSON.
    #[command(hide = true)]
    ProbeTiming {
        /// The row.
        #[arg(long, value_enum)]
        kind: Kind,
        /// Where the round trip's ends run.
        #[arg(long, value_enum)]
        placement: Placement,
        /// Worker threads of the row's runtime.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
        workers: u64,
        /// The run's parameters, as JSON.
        #[arg(long)]
        params: String,
    },
}

/// `target/` of the build that made this executable (`target/release/comparisons`).
fn target_dir() -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(t);
    }
    std::env::current_exe()
        .ok()
        .and_then(|e| e.parent()?.parent().map(PathBuf::from))
        .filter(|t| t.join("release").is_dir() || t.join("debug").is_dir())
        .unwrap_or_else(|| PathBuf::from("target"))
}

fn main_result(cli: Cli) -> Result<bool> {
    if let Some(Cmd::ProbeMemory { kind, count }) = cli.command {
        let m = run::memory_in_process(kind, count as usize)?;
        let json = serde_json::to_string(&m).context("encoding")?;
        cli::print(&format!("{json}\n")).context("writing the measurement")?;
        return Ok(true);
    }
    if let Some(Cmd::ProbeRing { kind, plan }) = &cli.command {
        let plan: comparisons::ring::RingPlan =
            serde_json::from_str(plan).context("parsing --plan")?;
        let r = run::ring_in_process(*kind, &plan)?;
        let json = serde_json::to_string(&r).context("encoding")?;
        cli::print(&format!("{json}\n")).context("writing the measurement")?;
        return Ok(true);
    }
    if let Some(Cmd::ProbeTiming {
        kind,
        placement,
        workers,
        params,
    }) = cli.command
    {
        let params: Params = serde_json::from_str(&params).context("parsing --params")?;
        let t = run::timing_in_process(kind, placement, workers as usize, &params)?;
        let json = serde_json::to_string(&t).context("encoding")?;
        cli::print(&format!("{json}\n")).context("writing the measurement")?;
        return Ok(true);
    }
    if let Some(Cmd::Compare { files, out }) = &cli.command {
        let runs = match comparisons::compare::load_all(files) {
            Ok(r) => r,
            Err(e) => cli::usage_error::<Cli>(&e),
        };
        let dir = out
            .clone()
            .unwrap_or_else(|| target_dir().join("comparison").join("compare"));
        let md = comparisons::compare::write(&runs, &dir)?;
        cli::print(&format!(
            "Compared {} runs: {}\nAlso in {}: compare-memory.svg, compare-create.svg, compare-switch.svg, compare-scaling.svg\nReport: {}\n",
            runs.len(),
            runs.iter()
                .map(|r| format!("{} = {}", r.label, r.path.display()))
                .collect::<Vec<_>>()
                .join(", "),
            dir.display(),
            md.display()
        ))
        .context("writing the summary")?;
        return Ok(true);
    }
    let start = std::time::Instant::now();
    let mut params = Params::new(cli.quick);
    if let Some(r) = cli.reps {
        params.reps = r as usize;
    }
    if let Some(m) = cli.max_memory {
        params.max_memory_bytes = m;
    }
    progress!("calibrating the CPU-bound unit ({} ms)", params.work_ms);
    params.work_iters =
        comparisons::work::calibrate(std::time::Duration::from_millis(params.work_ms));
    let target = target_dir();
    let out = cli.out.unwrap_or_else(|| target.join("comparison"));
    let cfg = Config {
        params,
        kinds: if cli.only.is_empty() {
            Kind::ALL.to_vec()
        } else {
            cli.only
        },
        probe_exe: Some(std::env::current_exe().context("finding this program's path")?),
        tools_dir: target.join("comparison-tools"),
        path_var: std::env::var_os("PATH").unwrap_or_default(),
    };
    let (report, failed) = run::run(&cfg);
    comparisons::output::write_outputs(&report, &out)?;
    progress!("measured in {:.1} s", start.elapsed().as_secs_f64());
    cli::print(&format!(
        "{}\nAlso in {}: comparison.json, memory.svg, switch.svg, create.svg, scaling.svg\nReport: {}\n",
        comparisons::report::summary_table(&report),
        out.display(),
        out.join("comparison.md").display(),
    ))
    .context("writing the summary")?;
    Ok(!failed)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match main_result(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => cli::fail(
            FAILURE,
            &anyhow::anyhow!("some rows could not be measured (see the report)"),
        ),
        Err(e) => cli::fail(FAILURE, &e),
    }
}
