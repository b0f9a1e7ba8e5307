//! `cargo run --release -p benches --example pipeline_ratio -- [LINES] [RUNS]`: measures the
//! pipeline styles, two floors (`memchr`'s newline count, the line reader alone) and the Python
//! reference side by side on one generated log (default 200000 lines, 11 interleaved rounds) and
//! prints nanoseconds per line, lines per second, the ratios against the targets and what
//! the 50x-over-Python target would need per line.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let parse = |arg: Option<String>, default: u64| match arg {
        None => Some(default),
        Some(text) => text.parse().ok().filter(|&n| n > 0),
    };
    let (Some(lines), Some(runs)) = (parse(args.next(), 200_000), parse(args.next(), 11)) else {
        eprintln!("usage: pipeline_ratio [LINES] [RUNS]  (positive integers)");
        return ExitCode::from(2);
    };
    match benches::pipeline::ratio_report(lines, runs as usize, &mut std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
