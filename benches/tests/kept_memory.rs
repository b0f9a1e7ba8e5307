//! With [`keep_freed_memory`], a repeated run of the stackless scheduler over 100,000 tasks finds
//! the heap the previous run grew, as the stackful scheduler finds its pooled stacks: neither
//! pays page faults for memory given back in between. It runs on the main thread, whose heap
//! glibc trims as in the benchmark (a test harness's threads allocate from other arenas), and in
//! its own test binary: the allocator settings hold for the whole process.

use std::process::ExitCode;

use benches::scheduler::{keep_freed_memory, run_stackful, run_stackless};

fn main() -> ExitCode {
    if !keep_freed_memory() {
        eprintln!("kept_memory: glibc refused the allocator settings");
        return ExitCode::FAILURE;
    }
    let mut failed = false;
    for round in 0..3 {
        let (Ok(stackless), Ok(stackful)) = (run_stackless(100_000, 1), run_stackful(100_000, 1))
        else {
            eprintln!("kept_memory: a run failed");
            return ExitCode::FAILURE;
        };
        // the first round grows the heap and maps the stacks; 100,000 boxed tasks take about
        // 2,900 pages, and a few faults may come from elsewhere
        println!(
            "round {round}: {} page faults in the stackless run, {} in the stackful one",
            stackless.faults, stackful.faults
        );
        if round > 0 && (stackless.faults >= 100 || stackful.faults >= 100) {
            failed = true;
        }
    }
    if failed {
        eprintln!("kept_memory: repeated runs took page faults for memory given back in between");
        return ExitCode::FAILURE;
    }
    println!("test repeated_runs_take_no_page_faults_for_the_same_memory ... ok");
    ExitCode::SUCCESS
}
