//! The crate's programs run as real processes with bad input: `--help` exits 0, a usage error
//! exits 2 with a message naming the option, a run that fails exits 1 saying why, and a closed
//! stdout is an error (exit 1), not a panic.

use common::exit_checks::{Closed, fails_with, run, run_with_closed};
use std::path::Path;

const COMPARISONS: &str = env!("CARGO_BIN_EXE_comparisons");
const BENCH: &str = env!("CARGO_BIN_EXE_serverbench");
const THREADS: &str = env!("CARGO_BIN_EXE_server-threads");
const TOKIO: &str = env!("CARGO_BIN_EXE_server-tokio");
const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");

const PROGRAMS: [&str; 5] = [COMPARISONS, BENCH, THREADS, TOKIO, LOADGEN];

fn name(program: &str) -> String {
    Path::new(program)
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn help_exits_0_and_shows_the_usage_and_exit_status() {
    for program in PROGRAMS {
        let out = run(program, &["--help"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{program}");
        assert!(
            stdout.contains(&format!("Usage: {}", name(program))),
            "{stdout}"
        );
        assert!(stdout.contains("Exit status: 0"), "{stdout}");
    }
}

#[test]
fn unknown_options_are_usage_errors() {
    for program in PROGRAMS {
        fails_with(program, &["--bogus"], 2, "unexpected argument '--bogus'");
    }
}

#[test]
fn comparisons_checks_its_options() {
    fails_with(
        COMPARISONS,
        &["--reps", "0"],
        2,
        "invalid value '0' for '--reps",
    );
    fails_with(
        COMPARISONS,
        &["--only", "fibre"],
        2,
        "invalid value 'fibre' for '--only",
    );
    fails_with(
        COMPARISONS,
        &["--max-memory", "lots"],
        2,
        "invalid value 'lots' for '--max-memory",
    );
    fails_with(
        COMPARISONS,
        &["--max-memory", "100K"],
        2,
        "the memory budget must be at least 1 MiB",
    );
    fails_with(
        COMPARISONS,
        &["compare"],
        2,
        "the following required arguments",
    );
    fails_with(
        COMPARISONS,
        &["compare", "a.json"],
        2,
        "2 values required by '<FILES> <FILES>...'; only 1 was provided",
    );
    fails_with(
        COMPARISONS,
        &["compare", "/nonexistent/a.json", "/nonexistent/b.json"],
        2,
        "cannot read /nonexistent/a.json",
    );
    let not_a_report =
        std::env::temp_dir().join(format!("not-a-report-{}.json", std::process::id()));
    std::fs::write(&not_a_report, "{\"rows\": 3}").expect("a temporary file");
    let path = not_a_report.to_string_lossy().into_owned();
    fails_with(
        COMPARISONS,
        &["compare", &path, &path],
        2,
        &format!("{path} is not a comparison report"),
    );
    let _ = std::fs::remove_file(&not_a_report);
    fails_with(
        COMPARISONS,
        &["probe-memory", "--kind", "nope", "--count", "3"],
        2,
        "invalid value 'nope' for '--kind",
    );
    fails_with(
        COMPARISONS,
        &["probe-memory", "--kind", "stackless", "--count", "0"],
        2,
        "invalid value '0' for '--count",
    );
}

#[test]
fn serverbench_checks_its_options_before_measuring() {
    for (args, message) in [
        (
            &["--rounds", "0"][..],
            "--rounds and --requests must be at least 1",
        ),
        (&["--requests", "x"], "invalid value 'x' for '--requests"),
        (
            &["--concurrency", "1,0"],
            "--concurrency values must be 1 to 10000",
        ),
        (
            &["--idle-connections", "20000"],
            "--idle-connections must be at most 15000",
        ),
        (&["--max-seconds", "0"], "--max-seconds must be more than 0"),
        (
            &["--servers", "nginx"],
            "invalid value 'nginx' for '--servers",
        ),
        (
            &["--server-cpu", "4096"],
            "--server-cpu 4096: this process may not run on CPU 4096",
        ),
        (
            &["serve", "nosuch"],
            "invalid value 'nosuch' for '<SERVER>'",
        ),
        (
            &["serve", "stackless", "--idle-timeout", "0"],
            "invalid value '0' for '--idle-timeout",
        ),
    ] {
        fails_with(BENCH, args, 2, message);
    }
}

#[test]
fn servers_and_loadgen_check_their_options() {
    fails_with(
        THREADS,
        &["--max-request", "-5"],
        2,
        "unexpected argument '-5'",
    );
    fails_with(
        THREADS,
        &["--max-request", "0"],
        2,
        "invalid value '0' for '--max-request",
    );
    fails_with(
        TOKIO,
        &["--runtime", "fast"],
        2,
        "invalid value 'fast' for '--runtime",
    );
    fails_with(
        LOADGEN,
        &[],
        2,
        "the following required arguments were not provided",
    );
    fails_with(
        LOADGEN,
        &["--addr", "127.0.0.1:1", "--connections", "0"],
        2,
        "--connections must be 1 to 20000",
    );
    fails_with(
        LOADGEN,
        &["--addr", "10.0.0.1:80"],
        2,
        "--addr must be a loopback address, not 10.0.0.1",
    );
}

#[test]
fn a_server_that_cannot_listen_exits_1_and_says_where() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a listening socket");
    let addr = taken.local_addr().expect("its address").to_string();
    for (program, args) in [(THREADS, &[][..]), (TOKIO, &["--runtime", "current"])] {
        let mut all = args.to_vec();
        all.extend(["--addr", &addr]);
        fails_with(program, &all, 1, &format!("error: cannot listen on {addr}"));
    }
}

#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    for (program, args, message) in [
        (
            COMPARISONS,
            &["probe-memory", "--kind", "stackless", "--count", "10"][..],
            "error: writing the measurement",
        ),
        (
            BENCH,
            &[
                "--no-pin",
                "--servers",
                "threads",
                "--rounds",
                "1",
                "--concurrency",
                "1",
                "--idle-connections",
                "0",
            ],
            "error: writing the report",
        ),
        (
            THREADS,
            &["--addr", "127.0.0.1:0"],
            "error: cannot write to stdout",
        ),
        (
            TOKIO,
            &["--addr", "127.0.0.1:0"],
            "error: cannot write to stdout",
        ),
    ] {
        let out = run_with_closed(program, args, Closed::Stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{program}: {stderr}");
        assert!(stderr.contains(message), "{program}: {stderr}");
        assert!(!stderr.contains("panicked"), "{program}: {stderr}");
    }
}

#[test]
fn a_closed_stderr_loses_the_messages_not_the_exit_code() {
    // A port nobody listens on: every request fails, and loadgen says so on stderr.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .to_string();
    let out = run_with_closed(
        LOADGEN,
        &["--addr", &addr, "--requests", "2", "--connections", "1"],
        Closed::Stderr,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.starts_with("0 ok, 2 errors"), "{stdout}");
}
