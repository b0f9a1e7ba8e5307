//! The baselines (thread per connection, tokio) face two of the hazards the coroutine servers'
//! scenarios check: bytes after the request still get the reply and then a clean end of stream,
//! not a reset; and a client that trickles a byte at a time is closed at `--request-timeout`,
//! although it never stays silent for the idle timeout.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

const THREADS: &str = env!("CARGO_BIN_EXE_server-threads");
const TOKIO: &str = env!("CARGO_BIN_EXE_server-tokio");

/// A running baseline, killed when dropped.
struct Server(Child, SocketAddr);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> Result<Server> {
    let (exe, rest) = args.split_first().context("no program")?;
    let mut child = Command::new(exe)
        .args(rest)
        .args(["--addr", "127.0.0.1:0", "--request-timeout", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {args:?}"))?;
    let mut first = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout).read_line(&mut first)?;
    }
    let addr = first.trim().strip_prefix("listening on ").map(str::parse);
    match addr {
        Some(Ok(addr)) => Ok(Server(child, addr)),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{args:?}: first line {first:?}")
        }
    }
}

fn check(args: &[&str]) -> Result<()> {
    let server = start(args)?;
    // A request, then 200 KB more: the reply, then end of stream.
    let mut client = TcpStream::connect(server.1)?;
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    client.write_all(&[&b"first\n\n"[..], &vec![b't'; 200_000]].concat())?;
    let mut reply = Vec::new();
    client
        .read_to_end(&mut reply)
        .with_context(|| format!("{args:?}: reading the reply to the end"))?;
    ensure!(reply == b"Hello first", "{args:?}: got {reply:?}");

    // A byte every 200 ms: never idle, but closed at the 1 s deadline.
    let mut dripper = TcpStream::connect(server.1)?;
    dripper.set_read_timeout(Some(Duration::from_millis(200)))?;
    let started = Instant::now();
    let mut byte = [0u8; 1];
    loop {
        ensure!(
            started.elapsed() < Duration::from_secs(8),
            "{args:?}: a dripping client was not closed at the request deadline"
        );
        if dripper.write_all(b"x").is_err() {
            break;
        }
        match dripper.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => bail!("{args:?}: answered an incomplete request"),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break, // reset
        }
        thread::sleep(Duration::from_millis(100));
    }
    ensure!(
        started.elapsed() >= Duration::from_millis(900),
        "{args:?}: closed after {:?}, before the deadline",
        started.elapsed()
    );
    Ok(())
}

#[test]
fn the_thread_baseline_closes_cleanly_and_keeps_the_deadline() -> Result<()> {
    check(&[THREADS])
}

#[test]
fn the_tokio_baselines_close_cleanly_and_keep_the_deadline() -> Result<()> {
    check(&[TOKIO, "--runtime", "current"])?;
    check(&[TOKIO, "--runtime", "multi"])
}
