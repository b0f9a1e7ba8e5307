//! Tests of the measuring code on real units and small counts: the JSON schema, the experiments'
//! outcomes on units whose answer is known (threads and processes are kernel tasks, coroutines
//! are not; threads run in parallel on two cores, coroutines on one thread cannot; a thread is
//! pre-empted, a stackless coroutine is not), the memory layers' bounds, the placement of a round
//! trip's ends, skipped rows, the outputs and the command line. Nothing here checks the machine's
//! speed.

use common::affinity;
use comparisons::classify;
use comparisons::kind::Kind;
use comparisons::noise;
use comparisons::params::Params;
use comparisons::placement::Placement;
use comparisons::rows::Style;
use comparisons::rows::genawaiter::Genawaiter;
use comparisons::rows::process::Process;
use comparisons::rows::stackful::{STACK_BYTES, Stackful};
use comparisons::rows::stackless::Stackless;
use comparisons::rows::thread::OsThread;
use comparisons::run::{self, Config};
use comparisons::samples::Scheduler;
use comparisons::timing::Plan;
use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
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
        probe_exe: Some(PathBuf::from(env!("CARGO_BIN_EXE_comparisons"))),
        tools_dir: temp_dir(dir),
        path_var: path,
    }
}

/// CI installs go and python3 and sets this, so their rows must be measured there.
fn tools_required() -> bool {
    std::env::var_os("COMPARISONS_REQUIRE_TOOLS").is_some_and(|v| v == "1")
}

const ROW_KEYS: [&str; 17] = [
    "kind",
    "label",
    "scheduler",
    "workers",
    "memory_bytes",
    "kernel_bytes",
    "virtual_bytes",
    "create_ns",
    "switch_ns",
    "managed_by_os",
    "own_address_space",
    "preemptive",
    "parallel",
    "article",
    "method",
    // present only when they apply
    "skipped",
    "uncertain",
];

const OPTIONAL_KEYS: [&str; 12] = [
    "scaling",
    "skipped",
    "uncertain",
    "kernel_parts",
    "object_bytes",
    "create_unpinned_ns",
    "create_pooled_ns",
    "drop_suspended_ns",
    "switch_cross_cpu_ns",
    "switch_unpinned_ns",
    "properties",
    "noise",
];

fn check_stat(v: &Value, what: &str) {
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for k in ["median", "min", "max", "samples"] {
        assert!(o[k].is_number(), "{what}.{k} is not a number: {v}");
    }
    assert_eq!(
        o["values"].as_array().map(Vec::len),
        o["samples"].as_u64().map(|n| n as usize),
        "{what} keeps its repetitions"
    );
    assert!(o["min"].as_f64() <= o["median"].as_f64());
    assert!(o["median"].as_f64() <= o["max"].as_f64());
}

fn check_timing(v: &Value, what: &str) {
    check_stat(v, what);
    for k in ["p50", "p99", "entries", "batch"] {
        assert!(v[k].is_number(), "{what}.{k}: {v}");
    }
    assert!(v["p50"].as_f64() <= v["p99"].as_f64(), "{what}: {v}");
    assert!(v["entries"].as_u64() > Some(0), "{what}: {v}");
}

fn check_schema(json: &Value) {
    let top = json.as_object().expect("the report is an object");
    assert_eq!(top.len(), 3, "top level is machine, rows and scaling");
    for p in json["scaling"].as_array().expect("scaling is an array") {
        assert!(p["kind"].is_string(), "{p}");
        assert!(p["n"].as_u64() >= Some(1), "{p}");
        for k in ["handoff_ns", "memory_bytes", "kernel_bytes"] {
            assert!(p[k].is_number(), "{k}: {p}");
        }
        assert!(p["handoff_ns"].as_f64() > Some(0.0), "{p}");
        assert_eq!(p["every_unit_once_per_lap"], true, "{p}");
    }
    let m = &json["machine"];
    for k in ["cpu_model", "kernel", "rustc", "date"] {
        assert!(m[k].is_string(), "machine.{k}");
    }
    assert!(m["cores"].is_u64());
    assert!(m["cpus_allowed"].is_array());
    assert!(m["virtualised"].is_boolean(), "readable here: {m}");
    assert!(m["noise"]["steal_s"].is_number(), "{m}");
    assert!(m["params"]["reps"].is_u64());
    for row in json["rows"].as_array().expect("rows is an array") {
        let o = row.as_object().expect("a row is an object");
        for k in ROW_KEYS.iter().filter(|k| !OPTIONAL_KEYS.contains(k)) {
            assert!(o.contains_key(*k), "row lacks {k}: {row}");
        }
        for k in o.keys() {
            assert!(
                ROW_KEYS.contains(&k.as_str()) || OPTIONAL_KEYS.contains(&k.as_str()),
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
        for k in [
            "memory_bytes",
            "kernel_bytes",
            "create_ns",
            "switch_ns",
            "parallel",
        ] {
            assert!(row["method"][k].is_string(), "method.{k}");
        }
        match row.get("skipped") {
            Some(why) => {
                let why = why.as_str().expect("skipped is a string");
                assert!(!why.is_empty(), "a skipped row says why");
                assert!(row["memory_bytes"].is_null() && row["parallel"].is_null());
            }
            None => {
                for k in ["memory_bytes", "kernel_bytes", "virtual_bytes"] {
                    check_stat(&row[k], k);
                }
                for k in ["create_ns", "switch_ns"] {
                    check_timing(&row[k], k);
                }
                let placed = row["scheduler"] != "caller-thread";
                for k in ["switch_unpinned_ns", "create_unpinned_ns"] {
                    assert_eq!(row.get(k).is_some(), placed, "{k} in {row}");
                }
                let uncertain: Vec<&str> = row
                    .get("uncertain")
                    .and_then(Value::as_array)
                    .map(|u| u.iter().filter_map(|x| x["property"].as_str()).collect())
                    .unwrap_or_default();
                for k in [
                    "managed_by_os",
                    "own_address_space",
                    "preemptive",
                    "parallel",
                ] {
                    let p = &row["properties"][k];
                    assert!(p["basis"].is_string(), "{k}: {p}");
                    assert!(p["repetitions"].is_array(), "{k}: {p}");
                    // a property is a boolean, or null and listed as uncertain with its evidence
                    assert!(
                        row[k].is_boolean() || (row[k].is_null() && uncertain.contains(&k)),
                        "{k}: {row}"
                    );
                }
                assert!(row["noise"]["memory"]["seconds"].is_number(), "{row}");
                let sc = &row["scaling"];
                assert!(sc["stopped_by"].is_string(), "{row}");
                assert!(
                    sc["largest_n"].is_u64(),
                    "every measured row reaches N = 1: {row}"
                );
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
            "async-task-mt",
            "async-task",
            "async-joined",
            "stackful",
            "stackless",
            "stackless-genawaiter",
            "python-generator"
        ]
    );
    for r in &report.rows {
        match (&r.skipped, r.kind) {
            (Some(why), Kind::Goroutine | Kind::PythonGenerator) if !tools_required() => {
                println!("{} skipped: {why}", r.kind.as_str());
                continue;
            }
            (Some(why), _) => panic!("{} skipped: {why}", r.kind.as_str()),
            (None, _) => {}
        }
        // only a fork gives a unit memory of its own: decided on real units in every row
        assert_eq!(
            r.own_address_space,
            Some(r.kind == Kind::Process),
            "{}",
            r.method.own_address_space
        );
        let p = r.properties.as_ref().unwrap();
        let one_thread = r.scheduler == Some(Scheduler::CallerThread);
        assert_eq!(
            p.preemptive.basis == classify::Basis::Construction,
            one_thread,
            "{}",
            r.kind.as_str()
        );
        if one_thread {
            // one thread resumes one unit at a time: never pre-emptive, never parallel
            assert_ne!(r.preemptive, Some(true), "{}", r.method.preemptive);
            assert_ne!(r.parallel, Some(true), "{}", r.method.parallel);
            assert!(r.switch_cross_cpu_ns.is_none() && r.switch_unpinned_ns.is_none());
        }
        if matches!(r.kind, Kind::Process | Kind::OsThread) {
            let same = r.switch_ns.as_ref().unwrap();
            assert_eq!(
                same.ends_on_different_cpus,
                Some(0.0),
                "{}",
                r.kind.as_str()
            );
        }
    }
    // may on one CPU is measured in a fresh process with a runtime of one worker
    let green = &report.rows[2];
    assert!(green.switch_ns.is_some() && green.switch_cross_cpu_ns.is_none());
    assert!(
        green
            .method
            .notes
            .iter()
            .any(|n| n.starts_with("cross-cpu: not measured")),
        "{:?}",
        green.method.notes
    );
    // the stackful row creates on a fresh and on a pooled stack, and drops a suspended one apart
    let stackful = report
        .rows
        .iter()
        .find(|r| r.kind == Kind::Stackful)
        .unwrap();
    assert!(stackful.create_pooled_ns.is_some() && stackful.drop_suspended_ns.is_some());
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
fn goroutines_are_neither_kernel_tasks_nor_apart_from_their_creator() {
    let _g = lock();
    let path = std::env::var_os("PATH").unwrap_or_default();
    if comparisons::external::find_in_path("go", &path).is_none() {
        assert!(!tools_required(), "CI must have go");
        println!("skipped: go is not installed (apt-get install golang-go)");
        return;
    }
    let cfg = config(vec![Kind::Goroutine], path, "go");
    let (report, failed) = run::run(&cfg);
    assert!(!failed, "{report:#?}");
    let r = &report.rows[0];
    assert!(r.skipped.is_none(), "{:?}", r.skipped);
    assert_eq!(r.managed_by_os, Some(false), "{}", r.method.managed_by_os);
    assert_eq!(r.own_address_space, Some(false));
    assert_eq!(r.scheduler, Some(Scheduler::Runtime));
    // the cross-CPU ends are locked to threads pinned to two CPUs
    if affinity::allowed_cpus().unwrap().len() >= 2 {
        let cross = r.switch_cross_cpu_ns.as_ref().expect("measured");
        assert_eq!(cross.ends_on_different_cpus, Some(1.0));
    }
    let _ = std::fs::remove_dir_all(&cfg.tools_dir);
}

#[test]
fn address_space_probe_both_ways() {
    let _g = lock();
    let w = 0xABCD;
    // a forked child writes to its own copy of memory
    assert_eq!(
        classify::own_address_space(w, Process::address(w).unwrap()).value,
        Some(true)
    );
    // a thread and every coroutine write to the creator's memory
    for seen in [
        OsThread::address(w).unwrap(),
        Stackful::address(w).unwrap(),
        Stackless::address(w).unwrap(),
        Genawaiter::address(w).unwrap(),
    ] {
        assert_eq!(classify::own_address_space(w, seen).value, Some(false));
    }
}

fn managed<S: Style>(units: usize) -> classify::Verdict {
    let samples = (0..3)
        .map(|_| S::managed(units).expect("the managed-by-OS experiment"))
        .collect::<Vec<_>>();
    classify::managed_by_os(&samples, S::workers() as u64)
}

#[test]
fn threads_and_processes_are_kernel_tasks_and_coroutines_are_not() {
    let _g = lock();
    let units = 4 * affinity::allowed_cpus().unwrap().len().max(4);
    for (v, want) in [
        (managed::<OsThread>(units), true),
        (managed::<Process>(units), true),
        (managed::<Stackless>(units), false),
        (managed::<Stackful>(units), false),
        (managed::<Genawaiter>(units), false),
    ] {
        assert_eq!(v.value, Some(want), "{}", v.evidence);
    }
}

#[test]
fn a_thread_is_preempted_and_a_stackless_coroutine_is_not() {
    let _g = lock();
    // long enough that even a loaded kernel scheduler runs the probe before the spinners stop
    let spin = Duration::from_millis(300);
    let reps = |f: fn(Duration) -> anyhow::Result<comparisons::samples::PreemptSample>| {
        (0..3).map(|_| f(spin).unwrap()).collect::<Vec<_>>()
    };
    let v = classify::preemptive(&reps(OsThread::preempt), Scheduler::Kernel);
    assert_eq!(v.value, Some(true), "{}", v.evidence);
    let v = classify::preemptive(&reps(Stackless::preempt), Scheduler::CallerThread);
    assert_eq!(v.value, Some(false), "{}", v.evidence);
    assert_eq!(v.basis, classify::Basis::Construction);
}

/// Three repetitions of the parallelism experiment, the verdict and the noise meanwhile.
fn parallel<S: Style>(iters: u64) -> (classify::Verdict, Option<noise::Noise>) {
    let (r, n) = noise::during(|| {
        let mut two = Vec::new();
        let mut cpu = Vec::new();
        for _ in 0..3 {
            let (w, c) = S::cpu_units(2, iters).expect("two CPU-bound units");
            two.push(w);
            cpu.push(c);
        }
        classify::parallel(&two, &cpu, &two, S::scheduler())
    });
    (r, n)
}

#[test]
fn threads_run_in_parallel_on_two_cores_and_single_threaded_coroutines_never_do() {
    let _g = lock();
    let iters = comparisons::work::calibrate(Duration::from_millis(30));
    let (v, n) = parallel::<Stackless>(iters);
    // units taking turns on one thread can never use more CPU time than wall time
    assert_ne!(v.value, Some(true), "{}", v.evidence);
    if affinity::allowed_cpus().unwrap().len() < 2 {
        println!("skipped the thread half: one CPU here");
        return;
    }
    let (v, n2) = parallel::<OsThread>(iters);
    let busy = [n, n2].iter().flatten().any(noise::Noise::busy);
    if busy && v.value != Some(true) {
        // other programs took the second core: that is what the verdict must not hide
        println!(
            "skipped: the machine was busy ({:?}); threads: {}",
            n2.map(|n| n.describe()),
            v.evidence
        );
        return;
    }
    assert_eq!(v.value, Some(true), "{}", v.evidence);
}

#[test]
fn pinned_ends_run_where_they_were_put() {
    let _g = lock();
    let cpus = affinity::allowed_cpus().unwrap();
    let plan = Plan {
        reps: 2,
        ops: 50,
        warmup: 10,
        batch: 1,
        budget: Duration::from_secs(60),
    };
    for placement in [Placement::SameCpu, Placement::CrossCpu] {
        let Ok(ends) = placement.ends(&cpus) else {
            println!("skipped {placement:?}: one CPU here");
            continue;
        };
        let want = f64::from(u8::from(placement == Placement::CrossCpu));
        let _pin = affinity::pin_current_thread(ends.caller.unwrap()).unwrap();
        for t in [
            OsThread::switch(&plan, ends).unwrap(),
            Process::switch(&plan, ends).unwrap(),
        ] {
            assert_eq!(t.ends_on_different_cpus, Some(want), "{placement:?} {t:?}");
            assert_eq!(t.reps_ns.len(), 2);
            assert_eq!(t.entries, 100);
        }
    }
}

#[test]
fn memory_layers_have_the_bounds_they_claim() {
    let _g = lock();
    let page = 4096.0;
    // Each measured in a fresh process, as the comparison does, whose only thread makes the units:
    // in this one, the previous test's thread may still be ending and giving back its stack's
    // pages while the units are counted.
    let fresh = |kind, count| {
        run::memory_in_fresh_process(Path::new(env!("CARGO_BIN_EXE_comparisons")), kind, count)
    };
    // stackless: the box holds exactly the coroutine's state; the handle is a fat pointer
    let m = fresh(Kind::Stackless, 10_000).unwrap();
    let (size, heap) = (m.size_of_bytes.unwrap(), m.heap_bytes.unwrap());
    assert!(size > 0.0 && size <= 32.0, "state {size}");
    assert!((heap - size).abs() < 1.0, "heap {heap} size {size}");
    assert_eq!(m.object_bytes, Some(16.0 + heap));
    // genawaiter: a boxed future and a shared airlock on the heap
    let g = fresh(Kind::StacklessGenawaiter, 1000).unwrap();
    assert!(g.heap_bytes.unwrap() >= size, "{g:?}");
    // stackful: nothing on the heap, at least one resident page and a whole stack reserved each
    let s = fresh(Kind::Stackful, 256).unwrap();
    assert!(s.heap_bytes.unwrap().abs() < 1.0, "{s:?}");
    assert!(s.memory_bytes >= page, "{s:?}");
    assert!(s.virtual_bytes >= STACK_BYTES as f64, "{s:?}");
    // threads: each one's kernel stack is kernel memory (16 KiB on x86-64; other programs
    // starting and ending threads meanwhile blur the system-wide figure, hence the margin)
    let t = fresh(Kind::OsThread, 64).unwrap();
    let k = t.kernel.unwrap();
    assert!(k.kernel_stack_bytes >= page, "{k:?}");
    assert!(t.memory_bytes >= page, "{t:?}");
    // the same code in this process, and its refusals
    let here = run::memory_in_process(Kind::Stackless, 10_000).unwrap();
    assert_eq!(here.size_of_bytes, Some(size));
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
    for f in ["memory.svg", "switch.svg", "create.svg", "scaling.svg"] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(text.contains("<svg") && text.contains("stackless"), "{f}");
    }
    let md = std::fs::read_to_string(dir.join("comparison.md")).unwrap();
    assert!(md.contains("Choosing a style") && md.contains("≥ 0Mb"));
    // every chart inline, each under the table it draws
    let mut at = 0;
    for (table, chart) in [
        ("| Row | Object |", "](memory.svg)"),
        ("| Row | Create (one CPU", "](create.svg)"),
        ("| Row | Same CPU |", "](switch.svg)"),
        ("Time per hand-off / memory per unit", "](scaling.svg)"),
    ] {
        let t = md[at..].find(table).map(|i| i + at).expect(table);
        let c = md[t..].find(chart).map(|i| i + t).expect(chart);
        assert!(!md[t..c].contains("\n## "), "{chart} is not under {table}");
        at = c;
    }
    assert!(md.contains("by construction"), "{md}");
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
        m.heap_bytes.is_some() && m.object_bytes.is_some(),
        "the binary installs the counting allocator"
    );
}

/// A small ring plan.
fn ring_plan(n: u64) -> comparisons::ring::RingPlan {
    comparisons::ring::RingPlan {
        n,
        reps: 2,
        min_handoffs: 40,
        rep_budget_ms: 20,
        memory_budget_bytes: 1 << 30,
    }
}

#[test]
fn every_row_hands_the_token_to_every_unit_once_per_lap() {
    let _g = lock();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let tools = temp_dir("ring");
    for kind in Kind::ALL {
        for n in [1, 7] {
            let plan = ring_plan(n);
            let sample = match kind {
                Kind::Goroutine | Kind::PythonGenerator => {
                    match comparisons::external::ring(kind, &plan, &tools, &path).unwrap() {
                        Ok(s) => s,
                        Err(why) => {
                            assert!(!tools_required(), "CI must have the tools: {why}");
                            println!("{} skipped: {why}", kind.as_str());
                            continue;
                        }
                    }
                }
                // a fresh process, as the run takes it (may gets its one-worker runtime there)
                _ => run::ring_in_fresh_process(
                    Path::new(env!("CARGO_BIN_EXE_comparisons")),
                    kind,
                    &plan,
                )
                .unwrap(),
            };
            assert!(
                sample.every_unit_once_per_lap(),
                "{} N = {n}: {sample:?}",
                kind.as_str()
            );
            // every repetition ran whole laps of at least its hand-offs: the warm-up lap plus
            // two repetitions of at least 40 hand-offs
            assert!(sample.laps > 2 * 40_u64.div_ceil(n), "{sample:?}");
            assert_eq!(sample.reps_ns.len(), 2, "{sample:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&tools);
}

#[test]
fn the_units_that_are_kernel_tasks_are_counted_as_such_in_the_ring() {
    let _g = lock();
    for (kind, tasks) in [
        (Kind::OsThread, 1.0),
        (Kind::Process, 1.0),
        (Kind::Stackless, 0.0),
    ] {
        let s = run::ring_in_process(kind, &ring_plan(20)).unwrap();
        assert!(s.every_unit_once_per_lap(), "{s:?}");
        assert!(
            (s.tasks_per_unit - tasks).abs() < 0.2,
            "{}: {} tasks per unit",
            kind.as_str(),
            s.tasks_per_unit
        );
    }
}

#[test]
fn a_ring_over_the_memory_budget_stops_cleanly() {
    let _g = lock();
    // while the units are made: 20,000 stackful coroutines touch about 80 MiB, over 16 MiB
    let plan = comparisons::ring::RingPlan {
        memory_budget_bytes: 16 << 20,
        ..ring_plan(20_000)
    };
    let s = run::ring_in_process(Kind::Stackful, &plan).unwrap();
    let why = s
        .stopped
        .as_deref()
        .unwrap_or_else(|| panic!("not stopped by the budget: {s:?}"));
    assert!(why.starts_with("memory budget"), "{why}");
    assert!(
        s.made < 20_000 && s.made.is_multiple_of(comparisons::ring::CHECK_EVERY),
        "{s:?}"
    );
    assert!(s.reps_ns.is_empty() && !s.every_unit_once_per_lap());
    // before a ring is made: the next N is predicted from the last one's memory per unit
    let mut cfg = config(vec![Kind::Stackful], OsString::new(), "budget");
    cfg.params.scaling_ns = vec![100, 100_000];
    cfg.params.max_memory_bytes = 64 << 20;
    let limits = comparisons::scaling::SystemLimits::read();
    let (points, stopped_by) = run::scale_kind(Kind::Stackful, &cfg, &limits);
    assert_eq!(points.iter().map(|p| p.n).collect::<Vec<_>>(), [100]);
    assert!(
        stopped_by.starts_with("memory budget: 100000 units would need"),
        "{stopped_by}"
    );
    // the Go and Python programs stop the same way
    let path = std::env::var_os("PATH").unwrap_or_default();
    for kind in [Kind::Goroutine, Kind::PythonGenerator] {
        let plan = comparisons::ring::RingPlan {
            memory_budget_bytes: 8 << 20,
            ..ring_plan(200_000)
        };
        match comparisons::external::ring(kind, &plan, &cfg.tools_dir, &path).unwrap() {
            Ok(s) => {
                let why = s.stopped.as_deref().unwrap_or_default();
                assert!(why.starts_with("memory budget"), "{}: {s:?}", kind.as_str());
                assert!(s.made < 200_000);
            }
            Err(why) => assert!(!tools_required(), "CI must have the tools: {why}"),
        }
    }
    let _ = std::fs::remove_dir_all(&cfg.tools_dir);
}

#[test]
fn compare_puts_two_saved_runs_side_by_side() {
    let _g = lock();
    // run A: a measured row and a skipped one (no go on an empty PATH); run B: the measured row
    let a = config(
        vec![Kind::Stackless, Kind::Goroutine],
        OsString::new(),
        "cmp-a",
    );
    let b = config(vec![Kind::Stackless], OsString::new(), "cmp-b");
    let (dir_a, dir_b, out) = (temp_dir("cmp-ra"), temp_dir("cmp-rb"), temp_dir("cmp-out"));
    for (cfg, dir) in [(&a, &dir_a), (&b, &dir_b)] {
        let (report, _) = run::run(cfg);
        comparisons::output::write_outputs(&report, dir).unwrap();
    }
    let res = std::process::Command::new(env!("CARGO_BIN_EXE_comparisons"))
        .arg("compare")
        .arg(dir_a.join("comparison.json"))
        .arg(dir_b.join("comparison.json"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        res.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(
        stdout
            .trim_end()
            .ends_with(&format!("Report: {}", out.join("compare.md").display())),
        "{stdout}"
    );
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    for want in [
        "| **A** (",
        "| **B** (",
        "skipped: go not found",
        "| goroutine | skipped: go not found: apt-get install golang-go | not in this run |",
        "A / os-thread",
        "Ratio spread",
        "## Scaling",
    ] {
        assert!(md.contains(want), "{want} missing from:\n{md}");
    }
    // the stackless row's figure is each run's own
    let sa = serde_json::from_str::<comparisons::report::Report>(
        &std::fs::read_to_string(dir_a.join("comparison.json")).unwrap(),
    )
    .unwrap();
    let mem = sa.rows[0].total_memory().unwrap();
    assert!(
        md.contains(&format!(
            "| stackless | {} |",
            comparisons::report::bytes(mem)
        )),
        "{md}"
    );
    for f in [
        "compare-memory.svg",
        "compare-create.svg",
        "compare-switch.svg",
        "compare-scaling.svg",
    ] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains("<svg") && text.contains("stackless A"), "{f}");
    }
    for d in [&dir_a, &dir_b, &out, &a.tools_dir, &b.tools_dir] {
        let _ = std::fs::remove_dir_all(d);
    }
}
