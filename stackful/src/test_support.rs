//! Helpers for the demo modules' tests.

use corosensei::Coroutine;
use corosensei::stack::DefaultStack;

use crate::stacks::measure_coroutine;

/// Measures the stack a demo's coroutine touches and checks it against the demo's stack size:
/// the coroutine `make` builds on a painted stack of `size` bytes is resumed once per item of
/// `inputs`, then dropped (unwound, if unfinished, on that stack), and at most half of the stack
/// may have been touched; the rest is headroom (a panic's hook runs there). Prints the figure for
/// `--nocapture`.
pub(crate) fn assert_stack_use<I, Y, R>(
    demo: &str,
    size: usize,
    make: impl FnOnce(DefaultStack) -> Coroutine<I, Y, R, DefaultStack>,
    inputs: impl IntoIterator<Item = I>,
) {
    let used = measure_coroutine(size, make, inputs).expect("a stack to measure on");
    println!("stackful {demo}: touched {used} of {size} stack bytes");
    assert!(used > 0 && used <= size / 2, "{demo}: {used} of {size}");
}
