//! The servers run as real processes: each prints `listening on IP:PORT` as its first line,
//! answers a request, and exits 0 on SIGTERM and SIGINT. Covers the coroutine servers (through
//! `serverbench serve`, which calls the same `serve_with` as the crates' `server` examples), both
//! baselines, and the load generator against one of them. Bad options are in `tests/cli.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const BENCH: &str = env!("CARGO_BIN_EXE_serverbench");
const THREADS: &str = env!("CARGO_BIN_EXE_server-threads");
const TOKIO: &str = env!("CARGO_BIN_EXE_server-tokio");
const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");

/// Starts `program args --addr 127.0.0.1:0` and reads the address from its first line.
fn start(program: &str, args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(program)
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().expect("its stdout is piped");
    let mut first = String::new();
    let read = BufReader::new(stdout).read_line(&mut first);
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .and_then(|addr| addr.parse().ok());
    match (read, addr) {
        (Ok(_), Some(addr)) => (child, addr),
        (read, _) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{program} {args:?}: first line {first:?} ({read:?}), not `listening on`");
        }
    }
}

/// Sends `request` and reads the reply to the end.
fn ask(addr: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    Ok(reply)
}

/// Sends `signal` and waits (bounded) for the exit code.
fn stop(mut child: Child, signal: Signal) -> i32 {
    kill(Pid::from_raw(child.id() as i32), signal).expect("signalling the server");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the server") {
            return status.code().expect("an exit code, not death by a signal");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not exit on {signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn check_server(program: &str, args: &[&str]) {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let (child, addr) = start(program, args);
        let reply = ask(addr, b"cli\n\n");
        let code = stop(child, signal);
        assert_eq!(reply.expect("a reply"), b"Hello cli", "{program} {args:?}");
        assert_eq!(code, 0, "{program} {args:?} on {signal}");
    }
}

#[test]
fn every_server_prints_its_address_answers_and_stops_on_signals() {
    for server in [
        "stackless",
        "stackful",
        "tokio-current",
        "tokio-multi",
        "threads",
    ] {
        check_server(BENCH, &["serve", server]);
    }
    check_server(THREADS, &[]);
    check_server(TOKIO, &["--runtime", "current"]);
    check_server(TOKIO, &["--runtime", "multi"]);
}

#[test]
fn loadgen_counts_answers_and_checks_them() {
    let (child, addr) = start(BENCH, &["serve", "stackless"]);
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
        .output();
    stop(child, Signal::SIGTERM);
    let out = out.expect("loadgen runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "loadgen failed: {text}");
    assert!(text.starts_with("40 ok, 0 errors"), "{text}");
    assert!(
        text.contains("requests/s") && text.contains("p99"),
        "{text}"
    );
}

#[test]
fn loadgen_without_a_server_fails_with_exit_1() {
    // A port nobody listens on: bind one, note it, close it.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let out = Command::new(LOADGEN)
        .args(["--addr", &addr.to_string(), "--requests", "3"])
        .args(["--connections", "1", "--max-seconds", "10"])
        .output()
        .expect("loadgen runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout} {stderr}");
    assert!(stdout.starts_with("0 ok, 3 errors"), "{stdout}");
    assert!(stderr.contains("loadgen: first error:"), "{stderr}");
}
