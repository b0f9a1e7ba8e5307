//! The crate's programs run as real processes: `--help` exits 0, a usage error exits 2 with clap's
//! message, a missing input says what is missing, and a closed stdout is an error (exit 1), not a
//! panic. The examples are found where `cargo test` builds them, next to this test's directory.

use common::exit_checks::{Closed, fails_with, run, run_with_closed};
use std::fs;
use std::path::{Path, PathBuf};

const REPORT: &str = env!("CARGO_BIN_EXE_report");

/// An example of this crate, as `cargo test` builds it (`target/<profile>/examples/<name>`).
fn example(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("this test's path");
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.is_file(),
        "{} is not built: `cargo test -p benches` builds the examples",
        path.display()
    );
    path
}

fn programs() -> [PathBuf; 4] {
    [
        PathBuf::from(REPORT),
        example("pipeline_ratio"),
        example("pipeline_profile"),
        example("scheduler_ratio"),
    ]
}

#[test]
fn help_exits_0_and_shows_the_usage_and_exit_status() {
    for program in programs() {
        let name = program.file_name().expect("a file name").to_string_lossy();
        let out = run(&program, &["--help"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(stdout.contains(&format!("Usage: {name}")), "{stdout}");
        assert!(stdout.contains("Exit status: 0"), "{stdout}");
    }
}

#[test]
fn unknown_options_are_usage_errors() {
    for program in programs() {
        fails_with(&program, &["--bogus"], 2, "unexpected argument '--bogus'");
    }
}

#[test]
fn pipeline_examples_check_their_arguments() {
    let ratio = example("pipeline_ratio");
    fails_with(&ratio, &["0"], 2, "invalid value '0' for '[LINES]'");
    fails_with(&ratio, &["1000", "x"], 2, "invalid value 'x' for '[RUNS]'");
    fails_with(&ratio, &["1", "2", "3"], 2, "unexpected argument '3'");
    let profile = example("pipeline_profile");
    fails_with(&profile, &[], 2, "required arguments were not provided");
    fails_with(&profile, &["fast"], 2, "invalid value 'fast' for '<WORK>'");
    fails_with(
        &profile,
        &["scan", "0"],
        2,
        "invalid value '0' for '[LINES]'",
    );
    fails_with(
        &profile,
        &["read", "10", "-1"],
        2,
        "unexpected argument '-1'",
    );
}

#[test]
fn scheduler_ratio_checks_its_arguments() {
    let ratio = example("scheduler_ratio");
    fails_with(&ratio, &["0"], 2, "invalid value '0' for '[ROUNDS]'");
    fails_with(&ratio, &["1", "2"], 2, "unexpected argument '2'");
}

#[test]
fn pipeline_profile_runs_every_work() {
    let profile = example("pipeline_profile");
    for work in ["plain", "stackless", "stackful", "threaded", "scan", "read"] {
        let out = run(&profile, &[work, "1000", "2"]);
        assert!(
            out.status.success(),
            "{work}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn pipeline_ratio_reports_a_closed_stdout() {
    let out = run_with_closed(example("pipeline_ratio"), &["300", "1"], Closed::Stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: writing the report"), "{stderr}");
}

#[test]
fn scheduler_ratio_reports_a_closed_stdout() {
    // The header is written before any run, so this fails at once.
    let out = run_with_closed(example("scheduler_ratio"), &["1"], Closed::Stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: writing the report"), "{stderr}");
}

/// A criterion output directory holding one result (`switch/native`, 2 ns), or a corrupt one.
fn criterion_dir(name: &str, estimates: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("benches-cli-{}-{name}", std::process::id()));
    let new = dir.join("switch").join("native").join("new");
    fs::create_dir_all(&new).expect("a temporary directory");
    fs::write(
        new.join("benchmark.json"),
        r#"{"group_id":"switch","function_id":"native","value_str":null,
            "throughput":{"Elements":1}}"#,
    )
    .expect("writing benchmark.json");
    fs::write(new.join("estimates.json"), estimates).expect("writing estimates.json");
    dir
}

const ESTIMATES: &str = r#"{"median":{"point_estimate":2.0}}"#;

#[test]
fn report_prints_the_tables_of_a_run() {
    let dir = criterion_dir("good", ESTIMATES);
    let out = run(Path::new(REPORT), &[dir.to_str().expect("a UTF-8 path")]);
    fs::remove_dir_all(&dir).expect("removing the temporary directory");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("| native | 2.00 ns |"), "{stdout}");
    assert!(
        stdout.contains("| `switch`: native / manual | not measured |"),
        "{stdout}"
    );
}

#[test]
fn report_says_what_is_missing_or_broken() {
    let report = Path::new(REPORT);
    fails_with(
        report,
        &["/nonexistent/criterion"],
        2,
        "error: no criterion results in /nonexistent/criterion (run `cargo bench` first)",
    );
    let empty = std::env::temp_dir().join(format!("benches-cli-{}-empty", std::process::id()));
    fs::create_dir_all(&empty).expect("a temporary directory");
    let empty_arg = empty.to_str().expect("a UTF-8 path").to_owned();
    let out = run(report, &[&empty_arg]);
    fs::remove_dir_all(&empty).expect("removing the temporary directory");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: no benchmark results under"));
    let broken = criterion_dir("broken", "{not json");
    let out = run(report, &[broken.to_str().expect("a UTF-8 path")]);
    fs::remove_dir_all(&broken).expect("removing the temporary directory");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: parsing") && stderr.contains("estimates.json"),
        "{stderr}"
    );
}

#[test]
fn report_reports_a_closed_stdout() {
    let dir = criterion_dir("closed", ESTIMATES);
    let out = run_with_closed(
        REPORT,
        &[dir.to_str().expect("a UTF-8 path")],
        Closed::Stdout,
    );
    fs::remove_dir_all(&dir).expect("removing the temporary directory");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: writing the report"), "{stderr}");
}

#[test]
fn a_closed_stderr_loses_the_message_not_the_exit_code() {
    let out = run_with_closed(REPORT, &["/nonexistent/criterion"], Closed::Stderr);
    assert_eq!(out.status.code(), Some(2));
}
