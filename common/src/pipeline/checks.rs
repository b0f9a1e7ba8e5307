//! The checks every pipeline must pass, written once and run by each crate's tests on its own
//! pipeline: counts on generated logs with known counts, addresses that are prefixes of others,
//! duplicate and absent addresses, lines that are not UTF-8, lines longer than
//! [`MAX_LINE`]; and the checks of the `pipeline` command (output,
//! `--threaded`, addresses parsed as IPv4/IPv6, exit codes) run through [`cli::run`], as the
//! example does.

use super::cli::{self, CliError, CountFn};
use crate::logdata::{Counts, LogSpec, MAX_LINE, PipelineError};

/// Runs every check on `count` (a pipeline over an in-memory log); the error says which failed.
///
/// ```
/// common::pipeline::checks::check_pipeline(|log, addresses| {
///     common::logdata::count_plain(log, addresses)
/// })?;
/// # Ok::<(), String>(())
/// ```
pub fn check_pipeline<F>(count: F) -> Result<(), String>
where
    F: Fn(&[u8], &[&str]) -> Result<Counts, PipelineError>,
{
    let run = |what: &str, log: &[u8], addresses: &[&str]| {
        count(log, addresses).map_err(|e| format!("{what}: the pipeline failed: {e}"))
    };
    let expect = |what: &str, got: Counts, want: Counts| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{what}: counted {got:?}, expected {want:?}"))
        }
    };
    let bytes = |spec: &LogSpec| {
        spec.to_bytes()
            .map_err(|e| format!("generating {spec:?}: {e}"))
    };

    let article = LogSpec::new(
        11,
        20_000,
        &[
            ("83.149.9.216", 23),
            ("93.114.45.13", 6),
            ("207.241.237.101", 17),
        ],
    );
    let log = bytes(&article)?;
    expect(
        "generated log",
        run("generated log", &log, &article.address_list())?,
        article.expected(),
    )?;

    let prefixes = LogSpec::new(
        5,
        3_000,
        &[("10.0.0.1", 31), ("10.0.0.10", 7), ("10.0.0.100", 2)],
    );
    let log = bytes(&prefixes)?;
    expect(
        "prefix addresses",
        run("prefix addresses", &log, &prefixes.address_list())?,
        prefixes.expected(),
    )?;
    let mut only_short = Counts::new();
    only_short.add_n("10.0.0.1", 31);
    expect(
        "prefix address alone",
        run("prefix address alone", &log, &["10.0.0.1"])?,
        only_short,
    )?;

    let log = b"1.1.1.1 a\n2.2.2.2 b\n1.1.1.1 c\n";
    let mut two = Counts::new();
    two.add_n("1.1.1.1", 2);
    expect(
        "duplicate address",
        run("duplicate address", log, &["1.1.1.1", "1.1.1.1", "3.3.3.3"])?,
        two.clone(),
    )?;
    expect("no address", run("no address", log, &[])?, Counts::new())?;
    expect(
        "empty log",
        run("empty log", b"", &["1.1.1.1"])?,
        Counts::new(),
    )?;

    let log = b"1.1.1.1 \"GET /\xff\xfe HTTP/1.1\"\n\xc3\x28\x80 - -\n1.1.1.1 x";
    expect(
        "non-UTF-8 lines",
        run("non-UTF-8 lines", log, &["1.1.1.1"])?,
        two.clone(),
    )?;

    // Lines far longer than `MAX_LINE` count by their first field like any other.
    let long = vec![b'x'; 3 * MAX_LINE];
    let log = [
        b"1.1.1.1 ",
        &long[..],
        b"\n2.2.2.2 y\n",
        &long[..],
        b"\n2.2.2.2",
        &long[..],
        b"\n1.1.1.1\t",
        &long[..],
    ]
    .concat();
    let mut long_lines = two;
    long_lines.add("2.2.2.2");
    expect(
        "overlong lines",
        run("overlong lines", &log, &["1.1.1.1", "2.2.2.2"])?,
        long_lines,
    )
}

/// Runs the `pipeline` command's checks with `count` as its coroutine pipeline, on a generated log
/// written to a temporary file (removed afterwards); the error says which check failed.
pub fn check_cli(count: CountFn) -> Result<(), String> {
    let spec = LogSpec::new(
        21,
        4_000,
        &[
            ("83.149.9.216", 23),
            ("93.114.45.13", 6),
            ("207.241.237.101", 17),
            ("10.0.0.1", 40),
            ("10.0.0.10", 9),
        ],
    );
    let dir = std::env::temp_dir().join(format!(
        "coroutine-lab-pipeline-cli-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let log = dir.join("access.log");
    let result = spec
        .to_bytes()
        .and_then(|bytes| std::fs::write(&log, bytes))
        .map_err(|e| format!("writing {}: {e}", log.display()))
        .and_then(|()| cli_cases(count, &log, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn cli_cases(count: CountFn, log: &std::path::Path, dir: &std::path::Path) -> Result<(), String> {
    let log = log.to_string_lossy().into_owned();
    let call = |args: &[&str]| {
        let mut out = Vec::new();
        let argv = std::iter::once("pipeline").chain(args.iter().copied());
        let result = cli::run(argv, &mut out, count);
        (result, String::from_utf8_lossy(&out).into_owned())
    };
    let article = "83.149.9.216 23\n93.114.45.13 6\n207.241.237.101 17\n";
    let chosen = "10.0.0.10 9\n83.149.9.216 23\n10.0.0.1 40\n192.0.2.1 0\n";
    for mode in [&[][..], &["--threaded"][..]] {
        let chosen_args = [
            &log,
            "10.0.0.10",
            "83.149.9.216",
            "10.0.0.1",
            "192.0.2.1",
            "10.0.0.1",
        ];
        for (rest, want) in [(&[log.as_str()][..], article), (&chosen_args[..], chosen)] {
            let args = [mode, rest].concat();
            match call(&args) {
                (Ok(()), out) if out == want => {}
                (result, out) => {
                    return Err(format!(
                        "{args:?}: {result:?}, printed {out:?}, expected {want:?}"
                    ));
                }
            }
        }
    }
    // Addresses are parsed: each is counted under its canonical text (RFC 5952 for IPv6), against
    // first fields compared as text.
    let ipv6 = dir.join("ipv6.log");
    std::fs::write(
        &ipv6,
        "::1 a\n0:0:0:0:0:0:0:1 b\n::1 c\n2001:db8::1 d\n::ffff:10.0.0.1 e\n10.0.0.1 f\n",
    )
    .map_err(|e| format!("writing {}: {e}", ipv6.display()))?;
    let ipv6 = ipv6.to_string_lossy().into_owned();
    for mode in [&[][..], &["--threaded"][..]] {
        let args = [
            mode,
            &[
                &ipv6,
                "0:0:0:0:0:0:0:1",
                "2001:DB8:0:0:0:0:0:1",
                "::1",
                "::FFFF:10.0.0.1",
                "2001:db8::2",
            ],
        ]
        .concat();
        let want = "::1 2\n2001:db8::1 1\n::ffff:10.0.0.1 1\n2001:db8::2 0\n";
        match call(&args) {
            (Ok(()), out) if out == want => {}
            (result, out) => {
                return Err(format!(
                    "{args:?}: {result:?}, printed {out:?}, expected {want:?}"
                ));
            }
        }
    }
    let missing = dir.join("no-such.log").to_string_lossy().into_owned();
    let directory = dir.to_string_lossy().into_owned();
    let cases: [(&[&str], u8, Option<&str>); 11] = [
        (&[&missing], 2, Some(&missing)),
        (&["--threaded", &missing], 2, Some(&missing)),
        (&[&directory], 2, Some(&directory)),
        (&[], 2, None),
        (&["--bogus", &log], 2, None),
        (&[&log, ""], 2, None),
        (&[&log, "foo"], 2, Some("foo")),
        (&[&log, "10.0.0.1", "999.999.1.1"], 2, Some("999.999.1.1")),
        (&["--threaded", &log, "10.0.0.1 "], 2, Some("10.0.0.1 ")),
        (&[&log, "::1%eth0"], 2, Some("::1%eth0")),
        (&["--help"], 0, None),
    ];
    for (args, code, path) in cases {
        match call(args) {
            (Err(e), out) if e.exit_code() == code && out.is_empty() => {
                if let Some(path) = path
                    && !e.to_string().contains(path)
                {
                    return Err(format!("{args:?}: the error {e} does not name {path}"));
                }
                if code == 2 && matches!(e, CliError::Usage(ref u) if !u.use_stderr()) {
                    return Err(format!("{args:?}: reported as help"));
                }
            }
            (result, out) => {
                return Err(format!(
                    "{args:?}: {result:?}, printed {out:?}, expected exit code {code}"
                ));
            }
        }
    }
    Ok(())
}

/// Most peak resident memory allowed to the single-threaded (coroutine) pipeline on any input.
pub const COROUTINE_PEAK_LIMIT: u64 = 16 << 20;
/// Most peak resident memory allowed to `--threaded` on any input.
pub const THREADED_PEAK_LIMIT: u64 = 64 << 20;

/// The two modes of the `pipeline` command and what each may use at most.
const MODES: [(&str, Option<&str>, u64); 2] = [
    ("coroutine", None, COROUTINE_PEAK_LIMIT),
    ("--threaded", Some("--threaded"), THREADED_PEAK_LIMIT),
];

/// Bytes to stream: each part repeated its count of times.
type Stream = Vec<(Vec<u8>, usize)>;

/// Writes `parts` to `stdin`, each repeated its count of times, in a thread; a child that stops
/// reading (it ended, or failed) only ends the writing.
fn feed(stdin: Option<std::process::ChildStdin>, parts: Stream) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        use std::io::Write;
        if let Some(mut stdin) = stdin {
            for (bytes, times) in &parts {
                for _ in 0..*times {
                    if stdin.write_all(bytes).is_err() {
                        return;
                    }
                }
            }
        }
    })
}

/// The pipeline's memory does not depend on its input: in each mode, its peak resident size on 2
/// GB of zero bytes with no newline (what a crashed writer leaves), on `/dev/zero` stopped after a
/// second, and on a line of 100 MB stays within [`COROUTINE_PEAK_LIMIT`] or
/// [`THREADED_PEAK_LIMIT`], and the counts are right. The inputs are streamed through a pipe
/// (`/dev/stdin` as the log), not written to disk. Under AddressSanitizer the limits are not
/// checked ([`SANITIZED`](crate::processes::SANITIZED)).
pub fn memory_on_hostile_input(program: &crate::processes::Program) -> anyhow::Result<()> {
    use crate::processes::{Role, SANITIZED, finish, mib, status_bytes};
    use anyhow::{Context, ensure};
    use std::process::Stdio;

    const MIB: usize = 1 << 20;
    // Under ASan the limits are not checked, so a tenth of the bytes does (ASan is slow).
    let scale = if SANITIZED { 10 } else { 1 };
    let zeros = vec![0u8; MIB];
    let xs = vec![b'x'; MIB];
    let none_counted = "83.149.9.216 0\n93.114.45.13 0\n207.241.237.101 0\n";
    let mut report = Vec::new();
    for (mode, flag, limit) in MODES {
        let start = |log: &str, addresses: &[&str]| {
            let mut command = program.command(Role::Pipeline);
            command.args(flag).arg(log).args(addresses);
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .context("starting the pipeline")
        };
        // What, the bytes (each part repeated its count of times), the addresses, the output.
        type Input<'a> = (String, Stream, &'a [&'a str], &'a str);
        let inputs: [Input; 2] = [
            // 2,000 MiB of zero bytes and no newline.
            (
                format!("{} MiB without a newline", 2000 / scale),
                vec![(zeros.clone(), 2000 / scale)],
                &[],
                none_counted,
            ),
            // A 100 MB line from a counted address, then two short lines.
            (
                format!("a line of {} MiB", 100 / scale),
                vec![
                    (b"10.0.0.1 ".to_vec(), 1),
                    (xs.clone(), 100 / scale),
                    (b"\n10.0.0.1 a\n10.0.0.2 b\n".to_vec(), 1),
                ],
                &["10.0.0.1", "10.0.0.2"],
                "10.0.0.1 2\n10.0.0.2 1\n",
            ),
        ];
        for (what, parts, addresses, want) in inputs {
            let mut child = start("/dev/stdin", addresses)?;
            let writer = feed(child.stdin.take(), parts);
            let done = finish(child)?;
            let _ = writer.join();
            let out = String::from_utf8_lossy(&done.stdout);
            ensure!(
                done.status.code() == Some(0) && out == want,
                "{mode}, {what}: {}, printed {out:?}, stderr {:?}",
                done.status,
                String::from_utf8_lossy(&done.stderr)
            );
            ensure!(
                SANITIZED || done.peak_bytes <= limit,
                "{mode}, {what}: peak resident {} (limit {})",
                mib(done.peak_bytes),
                mib(limit)
            );
            report.push(format!("{mode}, {what}: {}", mib(done.peak_bytes)));
        }
        // `/dev/zero` never ends: stopped after a second, still running and still small.
        let mut child = start("/dev/zero", &[])?;
        std::thread::sleep(std::time::Duration::from_secs(1));
        let peak = status_bytes(child.id(), "VmHWM");
        let running = child.try_wait()?.is_none();
        let _ = child.kill();
        let done = finish(child)?;
        ensure!(
            running,
            "{mode}, /dev/zero: ended by itself: {}, stderr {:?}",
            done.status,
            String::from_utf8_lossy(&done.stderr)
        );
        let peak = peak?;
        ensure!(
            SANITIZED || peak <= limit,
            "{mode}, /dev/zero: peak resident {} after a second (limit {})",
            mib(peak),
            mib(limit)
        );
        report.push(format!("{mode}, /dev/zero for 1 s: {}", mib(peak)));
    }
    println!("    peak resident size: {}", report.join("; "));
    Ok(())
}

/// 40,000 addresses on the command line, in each mode: the right count for each, in argument
/// order, and never an abort or a panic. The threaded mode groups them over at most 64 filter
/// threads. A pipeline whose stages each map a stack ([`Programs::stage_stacks`]) may not get
/// 40,000 stacks (two mappings each against `vm.max_map_count`): then it must fail cleanly, exit
/// 2 with a message that says why; when the system allows that many mappings, it must count.
/// (Under AddressSanitizer, which needs mappings of its own, that case is not checked.)
///
/// [`Programs::stage_stacks`]: crate::processes::Programs::stage_stacks
pub fn many_addresses(program: &crate::processes::Program) -> anyhow::Result<()> {
    use crate::processes::{Role, SANITIZED, finish};
    use anyhow::{Context, ensure};
    use std::process::Stdio;

    const ADDRESSES: usize = 40_000;
    let addresses: Vec<String> = (0..ADDRESSES)
        .map(|i| format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255))
        .collect();
    let mut log = Vec::new();
    let mut want = String::new();
    for (i, address) in addresses.iter().enumerate() {
        let n = if i % 397 == 0 { i % 5 } else { 0 };
        for _ in 0..n {
            log.extend_from_slice(
                format!("{address} - - [x] \"GET / HTTP/1.1\" 200 1\n").as_bytes(),
            );
        }
        want.push_str(&format!("{address} {n}\n"));
    }
    log.extend_from_slice(b"10.255.255.255 not asked for\n");
    let max_map_count: usize = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530);
    // Two mappings per stage, and room for the rest of the process's mappings.
    let stacks_fit = 2 * (ADDRESSES + 2) + 1000 < max_map_count;
    for (mode, flag, _) in MODES {
        let mut child = program
            .command(Role::Pipeline)
            .args(flag)
            .arg("/dev/stdin")
            .args(&addresses)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the pipeline")?;
        let writer = feed(child.stdin.take(), vec![(log.clone(), 1)]);
        let done = finish(child)?;
        let _ = writer.join();
        let out = String::from_utf8_lossy(&done.stdout);
        let err = String::from_utf8_lossy(&done.stderr);
        let out_of_stacks = program.programs.stage_stacks && flag.is_none() && !stacks_fit;
        if out_of_stacks && SANITIZED {
            // AddressSanitizer maps shadow memory as it goes: once the stacks have used up the
            // mappings, ASan itself dies before the pipeline can report. Nothing to check here.
            continue;
        } else if out_of_stacks {
            ensure!(
                done.status.code() == Some(2)
                    && out.is_empty()
                    && err.contains("cannot map a stack")
                    && err.contains("vm.max_map_count"),
                "{mode}: {} stacks cannot all be mapped (vm.max_map_count {max_map_count}), \
                 expected a clear error and exit 2, got {}, stderr {err:?}",
                ADDRESSES + 2,
                done.status
            );
        } else {
            ensure!(
                done.status.code() == Some(0) && out == want,
                "{mode}: {}, {} lines printed, stderr {err:?}",
                done.status,
                out.lines().count()
            );
        }
    }
    Ok(())
}

/// Errors never panic for want of a stderr: with stderr a pipe whose reader is gone (every write
/// fails with `EPIPE`), a missing log still exits 2 in each mode, a bad address 2, and with stdout
/// closed as well the output error exits 1.
pub fn closed_stderr(program: &crate::processes::Program) -> anyhow::Result<()> {
    use crate::processes::{Role, finish};
    use anyhow::{Context, ensure};
    use std::process::Stdio;

    let closed_pipe = || -> anyhow::Result<std::io::PipeWriter> {
        let (reader, writer) = std::io::pipe().context("pipe")?;
        drop(reader);
        Ok(writer)
    };
    let dir = std::env::temp_dir().join(format!(
        "coroutine-lab-closed-stderr-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let log = dir.join("access.log");
    let result = std::fs::write(&log, "10.0.0.1 a\n10.0.0.2 b\n10.0.0.1 c\n")
        .with_context(|| format!("writing {}", log.display()))
        .and_then(|()| {
            let log = log.to_string_lossy().into_owned();
            let missing = dir.join("no-such.log").to_string_lossy().into_owned();
            let cases: [(&[&str], bool, i32); 5] = [
                (&[&missing], false, 2),
                (&["--threaded", &missing], false, 2),
                (&[&log, "foo"], false, 2),
                (&[&log, "10.0.0.1"], true, 1),
                (&["--threaded", &log, "10.0.0.1"], true, 1),
            ];
            for (args, stdout_closed, code) in cases {
                let mut command = program.command(Role::Pipeline);
                command
                    .args(args)
                    .stdin(Stdio::null())
                    .stderr(closed_pipe()?);
                if stdout_closed {
                    command.stdout(closed_pipe()?);
                } else {
                    command.stdout(Stdio::null());
                }
                let done = finish(command.spawn().context("starting the pipeline")?)?;
                ensure!(
                    done.status.code() == Some(code),
                    "{args:?} with a closed stderr{}: {}, expected exit code {code}",
                    if stdout_closed { " and stdout" } else { "" },
                    done.status
                );
            }
            Ok(())
        });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checks_can_fail() {
        let off_by_one = |log: &[u8], addresses: &[&str]| {
            let mut counts = crate::logdata::count_plain(log, addresses)?;
            if let Some(first) = addresses.first() {
                counts.add(first);
            }
            Ok(counts)
        };
        assert!(check_pipeline(off_by_one).is_err());
        let prefix_matching = |log: &[u8], addresses: &[&str]| {
            let mut counts = Counts::new();
            for line in log.split(|&b| b == b'\n') {
                for a in crate::logdata::distinct(addresses) {
                    if line.starts_with(a.as_bytes()) {
                        counts.add(a);
                    }
                }
            }
            Ok(counts)
        };
        assert!(
            check_pipeline(prefix_matching).is_err(),
            "startswith passed the checks"
        );
    }

    #[test]
    fn the_cli_checks_can_fail() {
        let wrong: CountFn = |_, _| Ok(Counts::new());
        assert!(check_cli(wrong).is_err());
    }

    #[test]
    fn the_plain_loop_passes() {
        assert_eq!(
            check_pipeline(|log, a| crate::logdata::count_plain(log, a)),
            Ok(())
        );
    }
}
