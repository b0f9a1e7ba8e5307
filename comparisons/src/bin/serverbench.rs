//! `serverbench`: the servers side by side in one run, as a markdown report on stdout
//! (`comparisons::servers::bench`): `cargo run --release -p comparisons --bin serverbench` (about
//! a minute; `--help` for bigger runs).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use common::server::ServerOptions;
use comparisons::cli::{self, FAILURE};
use comparisons::servers::bench::{self, BenchOptions, Server};

/// Servers side by side: requests/s at several concurrencies, memory per idle connection.
#[derive(Parser)]
#[command(
    name = "serverbench",
    version,
    after_help = "Exit status: 0 measured; 1 a server or a measurement failed, or the report \
                  could not be written; 2 a usage error."
)]
struct Cli {
    #[command(subcommand)]
    serve: Option<Serve>,
    #[command(flatten)]
    bench: BenchOptions,
}

#[derive(Subcommand)]
enum Serve {
    /// Run one server (used by the benchmark for its child processes).
    #[command(hide = true)]
    Serve {
        /// The server.
        server: Server,
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
        Some(Serve::Serve { server, cpu, opts }) => bench::serve(*server, *cpu, opts),
        None => {
            if let Err(e) = cli.bench.validate() {
                cli::usage_error::<Cli>(&e);
            }
            bench::run(&cli.bench, &mut std::io::stdout().lock())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => cli::fail(FAILURE, &e),
    }
}
