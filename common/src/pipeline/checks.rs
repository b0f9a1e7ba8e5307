//! The checks every pipeline must pass, written once and run by each crate's tests on its own
//! pipeline: counts on generated logs with known counts, addresses that are prefixes of others,
//! duplicate and absent addresses, lines that are not UTF-8, lines longer than
//! [`MAX_LINE`](crate::logdata::MAX_LINE); and the checks of the `pipeline` command (output,
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
