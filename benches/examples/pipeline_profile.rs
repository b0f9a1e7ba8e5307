//! `cargo run --release -p benches --example pipeline_profile -- WORK [LINES] [PASSES]`: runs one
//! pipeline style (`plain`, `stackless`, `stackful`, `threaded`) or one floor (`scan`, `read`)
//! `PASSES` times over the benchmark's generated log in memory (default 200000 lines, 1 pass),
//! checking every result, and nothing else: a target for `perf record` and `valgrind
//! --tool=callgrind` (run it with two pass counts and subtract, so that generating the log cancels
//! out; `scripts/pipeline_instructions.sh` does that).

use std::hint::black_box;
use std::process::ExitCode;

use benches::pipeline::{Floor, Style, bench_spec};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| match args.get(i) {
        None => Some(default),
        Some(text) => text.parse().ok(),
    };
    let work = args.first().map(String::as_str);
    let style = Style::ALL.into_iter().find(|s| Some(s.name()) == work);
    let floor = Floor::ALL.into_iter().find(|f| Some(f.name()) == work);
    let (Some(lines), Some(passes), true) = (
        number(1, 200_000).filter(|&n| n > 0),
        number(2, 1),
        style.is_some() || floor.is_some(),
    ) else {
        eprintln!(
            "usage: pipeline_profile plain|stackless|stackful|threaded|scan|read [LINES>0] [PASSES]"
        );
        return ExitCode::from(2);
    };
    let spec = bench_spec(lines);
    let bytes = match spec.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: generating the log: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addresses = spec.address_list();
    let expected = spec.expected();
    for _ in 0..passes {
        let ok = match (style, floor) {
            (Some(style), _) => style
                .count(black_box(&bytes[..]), black_box(&addresses))
                .map(|counts| counts == expected),
            (None, Some(floor)) => floor.run(black_box(&bytes)).map(|n| n == lines),
            (None, None) => Ok(false),
        };
        match ok {
            Ok(true) => {}
            Ok(false) => {
                eprintln!("error: {work:?} gave a wrong result");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
