//! The server's command line, shared by every implementation so they all take the same options.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use clap::builder::RangedU64ValueParser;

use super::event_loop::{Connection, EventLoop, Shutdown};
use super::os::raise_fd_limit;

/// Options of every server in this workspace (`--help` prints them).
#[derive(Debug, Clone, Parser)]
#[command(about = "Answers `Hello <request>` to each request that ends with a blank line")]
pub struct ServerOptions {
    /// Address to listen on (port 0 picks a free port; the first line printed says which).
    #[arg(long, default_value = "127.0.0.1:5000")]
    pub addr: SocketAddr,
    /// Largest request in bytes, terminator included; a longer one is closed unanswered.
    #[arg(long, default_value_t = 65536, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_request: usize,
    /// Seconds a connection may make no progress before it is closed (fractions allowed).
    #[arg(long = "idle-timeout", default_value = "10", value_parser = parse_seconds)]
    pub idle_timeout: Duration,
    /// Seconds from accept within which a connection must have sent its whole request and taken
    /// its reply, however steadily it trickles bytes; then it is closed (fractions allowed).
    #[arg(long = "request-timeout", default_value = "30", value_parser = parse_seconds)]
    pub request_timeout: Duration,
    /// Most connections open at once; beyond that, new ones wait in the listen queue, or take the
    /// slot of the incomplete request that has waited longest (at least a second).
    #[arg(long, default_value_t = 10_000, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_connections: usize,
}

impl Default for ServerOptions {
    /// The command line's defaults, listening on `127.0.0.1:0`.
    fn default() -> Self {
        ServerOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            max_request: 65536,
            idle_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 10_000,
        }
    }
}

/// Parses a positive number of seconds such as `10` or `0.25`.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|e| format!("not a number of seconds: {e}"))?;
    if !(secs > 0.0 && secs <= 1e9) {
        return Err("must be more than 0 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The `server` example of each crate: parses the command line (usage errors exit 2), raises the
/// fd limit, binds, prints `listening on IP:PORT` (flushed) and serves until SIGINT/SIGTERM, then
/// prints what it did to stderr and exits 0. A closed stderr loses the messages, never the exit
/// code.
pub fn serve_cli<C: Connection>(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let opts = match ServerOptions::try_parse_from(args) {
        // Valid options.
        Ok(opts) => opts,
        // `--help` and `--version` exit 0, usage errors 2.
        Err(e) => e.exit(),
    };
    match serve_with::<C>(&opts) {
        // Stopped by a signal.
        Ok(()) => ExitCode::SUCCESS,
        // Could not bind, or the event loop failed.
        Err(e) => {
            let _ = writeln!(io::stderr(), "server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What [`serve_cli`] does once the options are parsed; returns when a signal stopped the server.
pub fn serve_with<C: Connection>(opts: &ServerOptions) -> anyhow::Result<()> {
    if let Err(e) = raise_fd_limit() {
        // A warning; with stderr closed there is nowhere to give it.
        let _ = writeln!(
            io::stderr(),
            "server: could not raise the open-file limit: {e}"
        );
    }
    let mut server =
        EventLoop::<C>::bind(opts).with_context(|| format!("cannot listen on {}", opts.addr))?;
    // Before saying where we listen: whoever reads that may signal us at once.
    server
        .stop_on_signals()
        .context("installing signal handlers")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", server.local_addr()).context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    drop(stdout);
    let stats = server
        .run_until(Shutdown::Signal)
        .context("event loop failed")?;
    // The report of a server that stopped as asked; a closed stderr does not make that a failure.
    let _ = writeln!(io::stderr(), "server: stopped; {stats:?}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ServerOptions, clap::Error> {
        ServerOptions::try_parse_from(std::iter::once("server").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_match_the_issue() -> Result<(), clap::Error> {
        let opts = parse(&[])?;
        assert_eq!(opts.max_request, 65536);
        assert_eq!(opts.idle_timeout, Duration::from_secs(10));
        assert_eq!(opts.request_timeout, Duration::from_secs(30));
        assert_eq!(opts.max_connections, 10_000);
        Ok(())
    }

    #[test]
    fn options_parse() -> Result<(), clap::Error> {
        let opts = parse(&[
            "--addr",
            "127.0.0.1:0",
            "--idle-timeout",
            "0.5",
            "--max-request",
            "9",
            "--request-timeout",
            "3",
        ])?;
        assert_eq!(opts.request_timeout, Duration::from_secs(3));
        assert_eq!(opts.addr.port(), 0);
        assert_eq!(opts.idle_timeout, Duration::from_millis(500));
        assert_eq!(opts.max_request, 9);
        Ok(())
    }

    #[test]
    fn bad_options_are_usage_errors() {
        for args in [
            &["--addr", "nowhere"][..],
            &["--idle-timeout", "-1"],
            &["--idle-timeout", "0"],
            &["--request-timeout", "0"],
            &["--request-timeout", "soon"],
            &["--max-request", "0"],
            &["--max-connections", "x"],
            &["--bogus"],
        ] {
            let err = parse(args).err();
            assert_eq!(err.map(|e| e.exit_code()), Some(2), "{args:?}");
        }
    }
}
