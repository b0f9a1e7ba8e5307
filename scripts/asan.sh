#!/usr/bin/env bash
# AddressSanitizer (with LeakSanitizer) over the stackful and stackless crates' tests, doc tests
# included.
#
#   scripts/asan.sh
#
# 1. Runs `cargo test -p stackful`, then `cargo test -p stackless`, built with
#    -Zsanitizer=address: both must pass with no ASan/LSan report. `--features sanitizer` turns on corosensei's `sanitizer` feature, which tells ASan
#    about every stack switch (__sanitizer_start_switch_fiber / __sanitizer_finish_switch_fiber).
#    Without it the tests still pass, but ASan warns "ignoring requested __asan_handle_no_return ...
#    False positive error reports may follow": a panic or forced unwind on a coroutine stack looks
#    to ASan like a jump to an unknown stack. No ASAN_OPTIONS are needed with the feature on
#    (detect_stack_use_after_return and detect_leaks stay at their defaults, both on).
# 2. Runs the `leak_probe` test, which forgets a suspended coroutine holding a 1 MiB Vec: LSan must
#    report that leak, showing that step 1 would catch a coroutine whose stack was never unwound.
#
# `--target` keeps RUSTFLAGS off build scripts; a separate target dir keeps the normal build intact.
# The standard library itself is not instrumented (rust-src is not installed, so no -Zbuild-std);
# our code, corosensei and every other dependency are.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTFLAGS="-Zsanitizer=address"
export RUSTDOCFLAGS="-Zsanitizer=address"
export CARGO_TARGET_DIR="target/asan"
target="$(rustc -vV | sed -n 's/^host: //p')"
args=(-p stackful --features sanitizer --target "$target")
stackless_args=(-p stackless --target "$target")

echo "== 1. cargo test ${args[*]}; cargo test ${stackless_args[*]} (RUSTFLAGS=$RUSTFLAGS)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! cargo test "${args[@]}" 2>&1 | tee "$log"; then
    echo "asan.sh: FAILED: the stackful tests failed under AddressSanitizer" >&2
    exit 1
fi
if ! cargo test "${stackless_args[@]}" 2>&1 | tee -a "$log"; then
    echo "asan.sh: FAILED: the stackless tests failed under AddressSanitizer" >&2
    exit 1
fi
if grep -E "AddressSanitizer|LeakSanitizer|WARNING: ASan" "$log" | grep -v "stack-overflow" >/dev/null; then
    # The only expected ASan report is the overflow test's child, whose stderr the test captures.
    echo "asan.sh: FAILED: a sanitizer report appeared (see above)" >&2
    exit 1
fi

echo "== 2. leak probe: a forgotten suspended coroutine must be reported by LeakSanitizer"
if STACKFUL_LEAK_PROBE=1 cargo test "${args[@]}" --test panic_drop -- leak_probe --exact >"$log" 2>&1; then
    cat "$log"
    echo "asan.sh: FAILED: the leak probe exited successfully; LeakSanitizer is not checking" >&2
    exit 1
fi
if ! grep -q "LeakSanitizer: detected memory leaks" "$log" || ! grep -q "Direct leak of 1048576 byte" "$log"; then
    cat "$log"
    echo "asan.sh: FAILED: the leak probe failed without the expected LeakSanitizer report" >&2
    exit 1
fi
grep -m1 "Direct leak of 1048576 byte" "$log"

echo "asan.sh: OK: stackful and stackless tests pass under AddressSanitizer with no report; the leak probe is caught"
