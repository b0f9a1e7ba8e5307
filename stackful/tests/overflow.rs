//! A stack overflow inside a coroutine hits the guard page below its stack and kills the process
//! with `SIGSEGV`; it does not run on into other memory.
//!
//! The overflow must kill a process, so each test re-runs this test binary as a child, with
//! `STACKFUL_OVERFLOW_CHILD` telling the child what to do, and checks how the child ended. Rust's
//! own stack-overflow handler only knows the guard pages of thread stacks: for a fault in a
//! coroutine's guard page it restores the default action and returns, so the fault repeats and
//! the kernel kills the process with a plain `SIGSEGV` (no "has overflowed its stack" message).
//!
//! Under AddressSanitizer (`cfg(sanitize = "address")`, see `scripts/asan.sh`) ASan's own `SIGSEGV`
//! handler catches the fault first, prints a report and exits with status 1 instead, so there the
//! test checks for that report.
//!
//! A third test checks the layout the overflow relies on: every pool stack is read-write down to its
//! usable size (`/proc/self/maps`), and the page just below cannot be accessed at all.
#![feature(cfg_sanitize)]

use std::hint::black_box;
use std::io::Write;
use std::process::{Command, Output};

use corosensei::stack::Stack;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use stackful::stacks::mapping::{guard_is_inaccessible, guards_split_mappings};
use stackful::stacks::{SMALL_STACK_SIZE, StackPool};

const CHILD_ENV: &str = "STACKFUL_OVERFLOW_CHILD";
const BEFORE: &str = "child: recursing on a coroutine stack";
const AFTER: &str = "child: recursion finished";

/// One level of recursion with a 512-byte array live in the frame: about 600 bytes per level.
fn recurse(depth: u64, limit: u64) -> u64 {
    let frame = black_box([depth; 64]);
    if depth == limit {
        return frame[0];
    }
    recurse(depth + 1, limit) + frame[(depth % 64) as usize]
}

/// The child's work: recurse `limit` levels inside a coroutine on a [`SMALL_STACK_SIZE`] stack
/// from a pool, suspend, and report. `u64::MAX` levels can never fit.
fn child(limit: u64) -> ! {
    let mut pool = StackPool::new(SMALL_STACK_SIZE);
    let co = pool.coroutine(move |yielder: &Yielder<(), u64>, ()| {
        let sum = recurse(0, limit);
        yielder.suspend(sum);
    });
    let mut co: Coroutine<(), u64, (), _> = match co {
        Ok(co) => co,
        Err(e) => {
            eprintln!("child: no stack: {e}");
            std::process::exit(3);
        }
    };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{BEFORE}");
    let _ = stdout.flush();
    let result = co.resume(());
    let _ = writeln!(
        stdout,
        "{AFTER}: {}",
        matches!(result, CoroutineResult::Yield(_))
    );
    let _ = stdout.flush();
    pool.recycle(co);
    std::process::exit(0);
}

/// Runs this test binary again, as a child that only runs `test` with `CHILD_ENV=mode`.
fn run_child(test: &str, mode: &str) -> Output {
    let exe = std::env::current_exe().expect("path of the test binary");
    Command::new(exe)
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running the test binary as a child")
}

/// If this process is a child, do the child's work and never return.
fn child_mode() {
    match std::env::var(CHILD_ENV).as_deref() {
        Ok("overflow") => {
            no_core_dump();
            child(u64::MAX)
        }
        Ok("bounded") => child(20),
        _ => {}
    }
}

/// A killed child must not leave a core file behind (in the crate's directory on some systems).
fn no_core_dump() {
    let limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `setrlimit` reads the `rlimit` we pass by reference, which lives through the call.
    // Tested by the overflow test itself (it runs this in every child it kills).
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_CORE, &limit) };
    assert_eq!(rc, 0, "setrlimit(RLIMIT_CORE, 0)");
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_bounded_recursion_on_the_same_stack_finishes() {
    child_mode();
    // The control: the same child with 20 levels (about 12 KiB) exits normally, so the
    // overflow test below sees the overflow, not some other failure of the child.
    let out = run_child("a_bounded_recursion_on_the_same_stack_finishes", "bounded");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(stdout.contains(BEFORE), "{}", describe(&out));
    assert!(
        stdout.contains(&format!("{AFTER}: true")),
        "{}",
        describe(&out)
    );
}

#[test]
fn an_overflow_inside_a_coroutine_is_killed_by_the_guard_page() {
    child_mode();
    let out = run_child(
        "an_overflow_inside_a_coroutine_is_killed_by_the_guard_page",
        "overflow",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains(BEFORE), "{}", describe(&out));
    assert!(
        !stdout.contains(AFTER),
        "ran on past the overflow: {}",
        describe(&out)
    );
    if cfg!(sanitize = "address") {
        // ASan's SIGSEGV handler reports the fault and exits with 1.
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        assert!(
            stderr.contains("AddressSanitizer") && stderr.contains("stack-overflow"),
            "{}",
            describe(&out)
        );
    } else {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGSEGV),
            "{}",
            describe(&out)
        );
        // Killed by the kernel: not Rust's "has overflowed its stack" abort (that is SIGABRT).
        assert!(
            !stderr.contains("overflowed its stack"),
            "{}",
            describe(&out)
        );
    }
}

/// The permissions (`rw-p`, `---p`, ...) of the mapping of this process that holds `addr`, from
/// `/proc/self/maps`.
fn permissions_at(addr: usize) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").expect("reading /proc/self/maps");
    maps.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        let (range, perms) = (fields.next()?, fields.next()?);
        let (start, end) = range.split_once('-')?;
        let start = usize::from_str_radix(start, 16).ok()?;
        let end = usize::from_str_radix(end, 16).ok()?;
        (start..end).contains(&addr).then(|| perms.to_owned())
    })
}

/// The layout the overflow relies on, for stacks from several of the pool's mappings: read-write
/// down to the usable size, and the page just below inaccessible. A guard installed with
/// `MADV_GUARD_INSTALL` does not show in `/proc/self/maps` (the page stays in the `rw-p` mapping),
/// so the guard is probed with `write(2)`, which fails with `EFAULT` on a page that cannot be read;
/// where guards are `mprotect`ed instead, the maps show `---p` there too.
#[test]
fn every_pool_stack_is_writable_above_an_inaccessible_guard_page() {
    child_mode();
    let mut pool = StackPool::new(SMALL_STACK_SIZE);
    let stacks: Vec<_> = (0..40).map(|_| pool.get().expect("a stack")).collect();
    for stack in &stacks {
        let (base, limit) = (stack.base().get(), stack.limit().get());
        assert!(
            base - limit > SMALL_STACK_SIZE,
            "room for the stack and a guard page"
        );
        assert_eq!(
            permissions_at(base - 1).as_deref(),
            Some("rw-p"),
            "top of the stack"
        );
        assert_eq!(
            permissions_at(base - SMALL_STACK_SIZE).as_deref(),
            Some("rw-p"),
            "lowest usable byte"
        );
        assert!(!guard_is_inaccessible(base - SMALL_STACK_SIZE).expect("probe"));
        assert!(guard_is_inaccessible(limit).expect("probe"), "guard page");
        assert!(
            guard_is_inaccessible(base - SMALL_STACK_SIZE - 1).expect("probe"),
            "the byte just below the usable part is in the guard page"
        );
        if guards_split_mappings() {
            assert_eq!(permissions_at(limit).as_deref(), Some("---p"), "guard page");
        }
    }
}
