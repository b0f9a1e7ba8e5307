//! Prints the README's benchmark table (medians from criterion's last run) and the ratios that
//! matter, with their targets: `cargo run -p benches --bin report [-- CRITERION_DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use benches::report;

const USAGE: &str = "usage: report [CRITERION_DIR]   (default: target/criterion)";

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown host".to_owned());
    format!("{host}: {cpu}, {cores} cores available")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = match args.as_slice() {
        [] => report::default_dir(),
        [flag] if flag == "-h" || flag == "--help" => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        [dir] if !dir.starts_with('-') => PathBuf::from(dir),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let results = match report::load(&dir) {
        Ok(r) if r.is_empty() => {
            eprintln!(
                "error: no benchmark results under {} (run `cargo bench` first)",
                dir.display()
            );
            return ExitCode::FAILURE;
        }
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Medians from criterion's last run in {} ({} benchmarks), measured on {}.\n",
        dir.display(),
        results.len(),
        machine()
    );
    print!("{}", report::tables(&results));
    println!("### Ratios\n");
    print!("{}", report::ratios(&results));
    ExitCode::SUCCESS
}
