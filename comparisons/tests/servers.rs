//! The command lines of the servers of issue 5, run as real processes: each prints
//! `listening on IP:PORT` as its first line, answers a request, and exits 0 on SIGTERM and
//! SIGINT; bad options exit 2. Covers the coroutine servers (through `serverbench serve`, which
//! calls the same `serve_with` as the crates' `server` examples) and both baselines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

fn start(mut cmd: Command) -> Result<(Child, SocketAddr)> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("spawn")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first)?;
    let Some(addr) = first.trim().strip_prefix("listening on ") else {
        let _ = child.kill();
        let _ = child.wait();
        bail!("first line was {first:?}");
    };
    Ok((child, addr.parse()?))
}

fn ask(addr: SocketAddr, request: &[u8]) -> Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}

fn stop(mut child: Child, signal: Signal) -> Result<i32> {
    kill(Pid::from_raw(child.id() as i32), signal)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait()? {
            return status.code().context("killed by a signal");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("did not exit on {signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn check_server(args: &[&str]) -> Result<()> {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let (exe, rest) = args.split_first().context("no program")?;
        let mut cmd = Command::new(exe);
        cmd.args(rest).args(["--addr", "127.0.0.1:0"]);
        let (child, addr) = start(cmd).with_context(|| format!("{args:?}"))?;
        let reply = ask(addr, b"cli\n\n");
        let code = stop(child, signal)?;
        ensure!(reply? == b"Hello cli", "{args:?}");
        ensure!(code == 0, "{args:?} exited {code} on {signal}");
    }
    Ok(())
}

fn usage_error(args: &[&str]) -> Result<()> {
    let (exe, rest) = args.split_first().context("no program")?;
    let status = Command::new(exe)
        .args(rest)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    ensure!(status.code() == Some(2), "{args:?} exited {status}, not 2");
    Ok(())
}

const BENCH: &str = env!("CARGO_BIN_EXE_serverbench");
const THREADS: &str = env!("CARGO_BIN_EXE_server-threads");
const TOKIO: &str = env!("CARGO_BIN_EXE_server-tokio");
const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");

#[test]
fn every_server_prints_its_address_answers_and_stops_on_signals() -> Result<()> {
    for kind in [
        "stackless",
        "stackful",
        "tokio-current",
        "tokio-multi",
        "threads",
    ] {
        check_server(&[BENCH, "serve", kind])?;
    }
    check_server(&[THREADS])?;
    check_server(&[TOKIO, "--runtime", "current"])?;
    check_server(&[TOKIO, "--runtime", "multi"])
}

#[test]
fn bad_options_are_usage_errors() -> Result<()> {
    usage_error(&[BENCH, "serve", "stackless", "--idle-timeout", "0"])?;
    usage_error(&[BENCH, "serve", "nosuch"])?;
    usage_error(&[THREADS, "--max-request", "-5"])?;
    usage_error(&[TOKIO, "--runtime", "fast"])?;
    usage_error(&[LOADGEN, "--addr", "127.0.0.1:1", "--connections", "0"])?;
    // Loopback only.
    usage_error(&[LOADGEN, "--addr", "10.0.0.1:80"])?;
    usage_error(&[BENCH, "--requests", "x"])
}

#[test]
fn loadgen_counts_answers_and_checks_them() -> Result<()> {
    let mut cmd = Command::new(BENCH);
    cmd.args(["serve", "stackless", "--addr", "127.0.0.1:0"]);
    let (child, addr) = start(cmd)?;
    let out = Command::new(LOADGEN)
        .args([
            "--addr",
            &addr.to_string(),
            "--connections",
            "4",
            "--requests",
            "40",
            "--max-seconds",
            "20",
        ])
        .output()?;
    stop(child, Signal::SIGTERM)?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "loadgen failed: {text}");
    ensure!(text.starts_with("40 ok, 0 errors"), "{text}");
    ensure!(
        text.contains("requests/s") && text.contains("p99"),
        "{text}"
    );
    Ok(())
}
