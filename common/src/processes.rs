//! Checks that need the program as a real process of its own: its peak memory, its exit code
//! with a closed stderr, a command line of 40,000 arguments. Written once and run by both
//! coroutine crates on their own pipeline and server.
//!
//! Cargo gives integration tests the path of a package's binaries but not of its examples, so a
//! test target with `harness = false` is both the runner and the program: started with
//! [`ROLE_VAR`] set, its `main` ([`main`]) *is* the crate's `pipeline` or `server` example (the
//! same entry functions the examples call); started without, it runs each check, and the checks
//! start it again in a role ([`Program::command`]). The output follows libtest's (`test NAME ...
//! ok`, then `test result: ...`), takes the same name filters, and `--list` lists the checks.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitCode, ExitStatus};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// Whether this build runs under AddressSanitizer (`scripts/asan.sh`). Its allocator keeps freed
/// memory in quarantine and adds shadow memory, so the checks then skip their memory figures (they
/// would measure ASan) and check everything else.
pub const SANITIZED: bool = cfg!(sanitize = "address");

/// The environment variable that makes the test binary play a program instead of running checks.
pub const ROLE_VAR: &str = "COROUTINE_LAB_PROCESS_ROLE";

/// What a crate's test binary can be started as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The `pipeline` example: `pipeline [--threaded] LOG [IP ...]`.
    Pipeline,
    /// The `server` example: `server [--addr ...] ...`.
    Server,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Pipeline => "pipeline",
            Role::Server => "server",
        }
    }
}

/// A crate's programs, as its test binary plays them.
#[derive(Debug, Clone, Copy)]
pub struct Programs {
    /// The `pipeline` example's `main` (reads the process arguments).
    pub pipeline: fn() -> ExitCode,
    /// The `server` example's `main` (reads the process arguments).
    pub server: fn() -> ExitCode,
    /// Whether each pipeline stage maps a stack of its own, so that 40,000 addresses may need
    /// more memory mappings than the system allows (then the pipeline must say so, exit 2).
    pub stage_stacks: bool,
}

/// The test binary, started again in a role by the checks.
#[derive(Debug, Clone)]
pub struct Program {
    exe: std::path::PathBuf,
    /// What the crate's programs are.
    pub programs: Programs,
}

impl Program {
    /// A command that starts this binary as `role`; add the program's arguments.
    pub fn command(&self, role: Role) -> Command {
        let mut command = Command::new(&self.exe);
        command.env(ROLE_VAR, role.name());
        command
    }
}

/// One check: its name and its body.
pub type Check = (&'static str, fn(&Program) -> Result<()>);

/// Every check, in the order they run.
fn checks() -> Vec<Check> {
    vec![
        (
            "pipeline_memory_does_not_grow_with_the_input",
            crate::pipeline::checks::memory_on_hostile_input,
        ),
        (
            "pipeline_takes_40000_addresses_in_every_mode",
            crate::pipeline::checks::many_addresses,
        ),
        (
            "pipeline_exit_codes_survive_a_closed_stderr",
            crate::pipeline::checks::closed_stderr,
        ),
        (
            "server_exits_0_on_sigterm_with_a_closed_stderr",
            crate::server::scenarios::closed_stderr,
        ),
        (
            "server_gives_memory_back_after_a_flood",
            crate::server::scenarios::memory_after_a_flood,
        ),
    ]
}

/// The test binary's `main`: plays a program if [`ROLE_VAR`] says so, runs the checks otherwise
/// (those whose name contains one of the non-option arguments, or all), printing as libtest does.
pub fn main(programs: Programs) -> ExitCode {
    match std::env::var(ROLE_VAR).as_deref() {
        Ok("pipeline") => return (programs.pipeline)(),
        Ok("server") => return (programs.server)(),
        _ => {}
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "cannot find this test binary: {e}");
            return ExitCode::FAILURE;
        }
    };
    let program = Program { exe, programs };
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let filters: Vec<String> = args
        .iter()
        .filter_map(|a| a.to_str())
        .filter(|a| !a.starts_with('-'))
        .map(str::to_owned)
        .collect();
    let all = checks();
    let chosen: Vec<&Check> = all
        .iter()
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f)))
        .collect();
    let mut out = std::io::stdout();
    if args.iter().any(|a| a == "--list") {
        for (name, _) in &chosen {
            let _ = writeln!(out, "{name}: test");
        }
        return ExitCode::SUCCESS;
    }
    let started = Instant::now();
    let _ = writeln!(out, "\nrunning {} tests", chosen.len());
    let mut failed = Vec::new();
    for (name, check) in &chosen {
        let check_started = Instant::now();
        let result = check(&program);
        let took = check_started.elapsed().as_secs_f64();
        match result {
            Ok(()) => {
                let _ = writeln!(out, "test {name} ... ok ({took:.1}s)");
            }
            Err(e) => {
                let _ = writeln!(out, "test {name} ... FAILED ({took:.1}s)\n{e:?}");
                failed.push(*name);
            }
        }
    }
    let verdict = if failed.is_empty() { "ok" } else { "FAILED" };
    let _ = writeln!(
        out,
        "\ntest result: {verdict}. {} passed; {} failed; 0 ignored; 0 measured; {} filtered out; \
         finished in {:.2}s\n",
        chosen.len() - failed.len(),
        failed.len(),
        all.len() - chosen.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// How a child process ended, with its peak resident size.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status (a code, or the signal that killed it).
    pub status: ExitStatus,
    /// Its peak resident size in bytes (`ru_maxrss` from `wait4`).
    pub peak_bytes: u64,
    /// What it wrote to stdout, if that was piped.
    pub stdout: Vec<u8>,
    /// What it wrote to stderr, if that was piped.
    pub stderr: Vec<u8>,
}

/// Reads all of `source` in a thread (so a child never blocks on a full pipe).
fn collect(source: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut source) = source {
            let _ = source.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Waits for `child` to end (reading its piped stdout and stderr meanwhile) and returns how it
/// ended and its peak resident size, which only `wait4` gives for one child once it is gone.
pub fn finish(mut child: Child) -> Result<Finished> {
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for wait4 to fill; `pid` is our own child, not
        // yet waited for (`child` is never waited through std, so it is reaped exactly once).
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            bail!("wait4({pid}): {e}");
        }
    }
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(Finished {
        status: ExitStatus::from_raw(status),
        peak_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        stdout,
        stderr,
    })
}

/// A field of `/proc/PID/status` in bytes (`VmRSS`, `VmHWM`, ...).
pub fn status_bytes(pid: u32, field: &str) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| path.clone())?;
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .with_context(|| format!("no {field} in {path}"))?;
    let kib: u64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("{field} {line:?} in {path}"))?;
    Ok(kib * 1024)
}

/// Bytes as MiB with one decimal, for messages.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}
