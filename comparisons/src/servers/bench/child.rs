//! A server in a child process, both sides of it: [`serve`] runs in the child (`serverbench serve
//! SERVER`), pinned to its CPU, and reports its CPU time on request; [`ServerProcess`] is the
//! parent's handle, which spawns it, reads its address and memory, asks for its CPU time and
//! stops it.
//!
//! The protocol between them: the child's first line on stdout is `listening on IP:PORT`; then,
//! for each line the parent writes to its stdin, it answers `cpu_us N` (user + system CPU time of
//! the whole process, all threads, in microseconds); SIGTERM stops it with exit code 0.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use common::server::{ServerOptions, serve_with};
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Server;
use crate::servers::{threads, tokio_server};

/// Pins this process (the calling thread, and the threads it starts later) to `cpu`.
pub fn pin(cpu: usize) -> Result<()> {
    let mut set = CpuSet::new();
    set.set(cpu).with_context(|| format!("no CPU {cpu}"))?;
    sched_setaffinity(Pid::from_raw(0), &set).with_context(|| format!("pinning to CPU {cpu}"))
}

/// Whether this process may run on `cpu` (it is in its affinity mask).
pub fn may_run_on(cpu: usize) -> bool {
    sched_getaffinity(Pid::from_raw(0))
        .ok()
        .and_then(|set| set.is_set(cpu).ok())
        .unwrap_or(false)
}

/// The child: pin (before any thread starts, so all inherit it), then serve until SIGTERM.
pub fn serve(server: Server, cpu: Option<usize>, opts: &ServerOptions) -> Result<()> {
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
    match server {
        Server::Stackless => serve_with::<stackless::server::NativeConnection>(opts),
        Server::Stackful => serve_with::<stackful::server::StackfulConnection>(opts),
        Server::TokioCurrent => tokio_server::run(opts, tokio_server::Runtime::Current),
        Server::TokioMulti => tokio_server::run(opts, tokio_server::Runtime::Multi),
        Server::Threads => threads::run(opts),
    }
}

/// The parent's handle on a server child process.
pub struct ServerProcess {
    child: Child,
    /// Where the server listens.
    pub addr: SocketAddr,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl ServerProcess {
    /// Starts `server` as `serve` child of this executable, pinned to `cpu`, with the server
    /// options `extra`, and waits for the address it listens on.
    pub fn spawn(server: Server, cpu: Option<usize>, extra: &[&str]) -> Result<ServerProcess> {
        let exe = std::env::current_exe().context("finding this executable")?;
        let mut cmd = Command::new(exe);
        cmd.args(["serve", &server.arg(), "--addr", "127.0.0.1:0"])
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
                bail!("{server:?} server said {line:?} instead of `listening on`");
            }
        };
        Ok(ServerProcess {
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
    pub fn rss_kib(&self) -> Result<u64> {
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
    pub fn cpu_seconds(&mut self) -> Result<f64> {
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

    /// The number of file descriptors the server has open.
    pub fn open_fds(&self) -> Result<usize> {
        Ok(std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))?.count())
    }

    /// SIGTERM, then wait (bounded) and check it exited 0.
    pub fn stop(mut self) -> Result<()> {
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
