//! Tests of the measuring code itself on small counts: the JSON schema, both outcomes of every
//! experiment, skipped rows, the outputs and the command line. Nothing here checks the machine's
//! speed.

use comparisons::classify;
use comparisons::kind::Kind;
use comparisons::params::Params;
use comparisons::rows::Style;
use comparisons::rows::genawaiter::Genawaiter;
use comparisons::rows::process::Process;
use comparisons::rows::stackful::Stackful;
use comparisons::rows::stackless::Stackless;
use comparisons::rows::thread::OsThread;
use comparisons::run::{self, Config};
use serde_json::Value;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

#[global_allocator]
static ALLOC: common::alloc_count::CountingAlloc = common::alloc_count::CountingAlloc;

/// The experiments share a global (the address-space mark) and the CPU: run them one at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("comparisons-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("a temporary directory");
    d
}

fn config(kinds: Vec<Kind>, path: OsString, dir: &str) -> Config {
    Config {
        params: Params::tiny(),
        kinds,
        probe_exe: None,
        tools_dir: temp_dir(dir),
        path_var: path,
    }
}

const ROW_KEYS: [&str; 12] = [
    "kind",
    "label",
    "memory_bytes",
    "virtual_bytes",
    "create_ns",
    "switch_ns",
    "managed_by_os",
    "own_address_space",
    "preemptive",
    "parallel",
    "article",
    "method",
];

fn check_stat(v: &Value, what: &str) {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for k in ["median", "min", "max", "samples"] {
        assert!(o[k].is_number(), "{what}.{k} is not a number: {v}");
    }
    assert!(o["min"].as_f64() <= o["median"].as_f64());
    assert!(o["median"].as_f64() <= o["max"].as_f64());
}

fn check_schema(json: &Value) {
    let top = json.as_object().expect("the report is an object");
    assert_eq!(top.len(), 2, "top level is machine and rows");
    let m = &json["machine"];
    for k in ["cpu_model", "kernel", "rustc", "date"] {
        assert!(m[k].is_string(), "machine.{k}");
    }
    assert!(m["cores"].is_u64());
    assert!(m["params"]["reps"].is_u64());
    for row in json["rows"].as_array().expect("rows is an array") {
        let o = row.as_object().expect("a row is an object");
        for k in ROW_KEYS {
            assert!(o.contains_key(k), "row lacks {k}: {row}");
        }
        for k in o.keys() {
            assert!(
                ROW_KEYS.contains(&k.as_str()) || k == "skipped",
                "unexpected key {k}"
            );
        }
        let a = &row["article"];
        assert!(a["column"].is_string() && a["memory"].is_string());
        for k in [
            "managed_by_os",
            "own_address_space",
            "preemptive",
            "parallel",
        ] {
            assert!(a[k].is_boolean(), "article.{k}");
        }
        for k in ["memory_bytes", "create_ns", "switch_ns", "parallel"] {
            assert!(row["method"][k].is_string(), "method.{k}");
        }
        match row.get("skipped") {
            Some(why) => {
                let why = why.as_str().expect("skipped is a string");
                assert!(!why.is_empty(), "a skipped row says why");
                assert!(row["memory_bytes"].is_null() && row["parallel"].is_null());
            }
            None => {
                for k in ["memory_bytes", "virtual_bytes", "create_ns", "switch_ns"] {
                    check_stat(&row[k], k);
                }
                for k in [
                    "managed_by_os",
                    "own_address_space",
                    "preemptive",
                    "parallel",
                ] {
                    assert!(row[k].is_boolean(), "{k}");
                    assert!(row["article"]["holds"][k].is_boolean(), "holds.{k}");
                }
            }
        }
    }
}

#[test]
fn every_row_measures_and_matches_the_schema() {
    let _g = lock();
    // Uses go and python3 when installed; their rows are skipped (with the reason) otherwise.
    let path = std::env::var_os("PATH").unwrap_or_default();
    let cfg = config(Kind::ALL.to_vec(), path, "all");
    let (report, failed) = run::run(&cfg);
    assert!(!failed, "{report:#?}");
    let json = serde_json::to_value(&report).unwrap();
    check_schema(&json);
    let kinds: Vec<&str> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "process",
            "os-thread",
            "green-thread",
            "goroutine",
            "stackful",
            "stackless",
            "stackless-genawaiter",
            "python-generator"
        ]
    );
    // the in-process rows were measured, and the deterministic experiments came out as built
    for r in &report.rows {
        match r.kind {
            Kind::Goroutine | Kind::PythonGenerator => {}
            _ => assert!(r.skipped.is_none(), "{:?}", r.skipped),
        }
        if r.skipped.is_none() {
            let single_threaded = matches!(
                r.kind,
                Kind::Stackful
                    | Kind::Stackless
                    | Kind::StacklessGenawaiter
                    | Kind::PythonGenerator
            );
            if single_threaded {
                assert_eq!(r.managed_by_os, Some(false));
                assert_eq!(r.preemptive, Some(false));
            }
            assert_eq!(r.own_address_space, Some(r.kind == Kind::Process));
        }
    }
    // the round trip through JSON keeps everything
    let back: comparisons::report::Report = serde_json::from_value(json).unwrap();
    assert_eq!(back, report);
    let _ = std::fs::remove_dir_all(&cfg.tools_dir);
}

#[test]
fn missing_tools_give_skipped_rows_that_say_why() {
    let _g = lock();
    let cfg = config(
        vec![Kind::Goroutine, Kind::PythonGenerator],
        OsString::new(),
        "skip",
    );
    let (report, failed) = run::run(&cfg);
    assert!(!failed);
    let json = serde_json::to_value(&report).unwrap();
    check_schema(&json);
    assert_eq!(
        json["rows"][0]["skipped"],
        "go not found: apt-get install golang-go"
    );
    assert_eq!(
        json["rows"][1]["skipped"],
        "python3 not found: apt-get install python3"
    );
    let md = comparisons::report::markdown(&report);
    assert!(md.contains("skipped: go not found: apt-get install golang-go"));
    let _ = std::fs::remove_dir_all(&cfg.tools_dir);
}

#[test]
fn address_space_probe_both_ways() {
    let _g = lock();
    let w = 0xABCD;
    // a forked child writes to its own copy of memory
    assert!(classify::own_address_space(w, Process::address(w).unwrap()).value);
    // a thread and every coroutine write to the creator's memory
    for seen in [
        OsThread::address(w).unwrap(),
        Stackful::address(w).unwrap(),
        Stackless::address(w).unwrap(),
        Genawaiter::address(w).unwrap(),
    ] {
        assert!(!classify::own_address_space(w, seen).value);
    }
}

#[test]
fn thread_id_probe_both_ways() {
    let _g = lock();
    let (c, t) = OsThread::tids(4).unwrap();
    assert!(classify::managed_by_os(c, &t).value);
    let (c, t) = Process::tids(4).unwrap();
    assert!(classify::managed_by_os(c, &t).value);
    let (c, t) = Stackless::tids(4).unwrap();
    assert!(!classify::managed_by_os(c, &t).value);
    let (c, t) = Stackful::tids(4).unwrap();
    assert!(!classify::managed_by_os(c, &t).value);
}

#[test]
fn preemption_probe_both_ways() {
    let _g = lock();
    // long enough that even a heavily loaded kernel scheduler runs the probe within half of it
    let spin = Duration::from_millis(1000);
    let (n, lat) = OsThread::preempt(spin).unwrap();
    assert!(
        classify::preemptive(spin.as_nanos() as f64, n, lat).value,
        "{lat}"
    );
    let (n, lat) = Stackless::preempt(spin).unwrap();
    assert!(!classify::preemptive(spin.as_nanos() as f64, n, lat).value);
}

#[test]
fn parallelism_classifier_both_ways() {
    // synthetic timings: (pair wall, pair CPU) per repetition
    assert!(classify::parallel(&[100.0, 98.0, 103.0], &[190.0, 180.0, 200.0], &[95.0]).value);
    assert!(!classify::parallel(&[200.0, 210.0, 190.0], &[199.0, 200.0, 185.0], &[95.0]).value);
    let _g = lock();
    // units that take turns on one thread never use more CPU time than wall time
    let (wall, cpu) = Stackless::cpu_units(2, 2_000_000).unwrap();
    assert!(
        !classify::parallel(&[wall], &[cpu], &[wall / 2.0]).value,
        "{wall} {cpu}"
    );
    // two OS threads may use up to two CPUs at once: the figures are finite and positive
    let (wall, cpu) = OsThread::cpu_units(2, 2_000_000).unwrap();
    assert!(wall > 0.0 && cpu > 0.0);
}

#[test]
fn stackless_memory_counts_heap_and_size() {
    let _g = lock();
    let m = run::memory_in_process(Kind::Stackless, 10_000).unwrap();
    let size = m.size_of_bytes.unwrap();
    let heap = m.heap_bytes.unwrap();
    assert!(size > 0.0);
    // one Box per unit holding exactly the coroutine (the test harness's own threads may
    // allocate meanwhile: tolerate up to 10 KB of that over the 10 000 units)
    assert!((heap - size).abs() < 1.0, "heap {heap} size {size}");
    let g = run::memory_in_process(Kind::StacklessGenawaiter, 1000).unwrap();
    assert!(g.heap_bytes.unwrap() > 0.0);
    let s = run::memory_in_process(Kind::Stackful, 8).unwrap();
    // each stackful unit reserves its stack and a guard page
    assert!(s.virtual_bytes >= comparisons::rows::stackful::STACK_BYTES as f64);
    assert!(run::memory_in_process(Kind::Goroutine, 8).is_err());
    assert!(run::memory_in_process(Kind::Stackless, 0).is_err());
}

#[test]
fn outputs_are_written() {
    let _g = lock();
    let cfg = config(vec![Kind::Stackless], OsString::new(), "out");
    let (report, _) = run::run(&cfg);
    let dir = temp_dir("written");
    comparisons::output::write_outputs(&report, &dir).unwrap();
    for f in ["memory.svg", "switch.svg", "create.svg"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(text.contains("<svg") && text.contains("stackless"), "{f}");
    }
    let md = std::fs::read_to_string(dir.join("comparison.md")).unwrap();
    assert!(md.contains("Choosing a style") && md.contains("≥ 0Mb"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("comparison.json")).unwrap())
            .unwrap();
    check_schema(&json);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&cfg.tools_dir);
}

#[test]
fn the_memory_probe_runs_with_the_counting_allocator() {
    let _g = lock();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_comparisons"))
        .args(["probe-memory", "--kind", "stackless", "--count", "100"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let m: comparisons::samples::MemSample = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        m.heap_bytes.is_some(),
        "the binary installs the counting allocator"
    );
}
