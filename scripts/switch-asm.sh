#!/usr/bin/env bash
# Prints the measured loop of two `switch` benchmarks from the optimised bench binary, so the gap
# between the native coroutine and the hand-written state machine can be read off the machine code.
# Usage: scripts/switch-asm.sh [STYLE...]   (default: manual native; build with `cargo bench -p
# benches --bench switch --no-run` first). Needs objdump and nm (binutils).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
bin=$(ls -t "$target"/release/deps/switch-* 2>/dev/null | grep -v '\.d$' | head -n 1 || true)
if [[ -z "$bin" ]]; then
    echo "no switch bench binary under $target/release/deps: run 'cargo bench -p benches --bench switch --no-run'" >&2
    exit 2
fi
# Closure numbers follow the order of `bench_function` calls in benches/benches/switch.rs.
styles=(manual native gen genawaiter-stack genawaiter-rc genawaiter-sync corosensei thread)
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=(manual native)
for style in "${wanted[@]}"; do
    k=-1
    for i in "${!styles[@]}"; do [[ "${styles[$i]}" == "$style" ]] && k=$i; done
    if [[ $k -lt 0 ]]; then
        echo "unknown style '$style' (one of: ${styles[*]})" >&2
        exit 2
    fi
    line=$(nm -C "$bin" | grep -F "switch::switch::{closure#$k}::{closure#0}>" | grep -F "Bencher>::iter" | head -n 1)
    addr=${line%% *}
    echo "== switch/$style: criterion's timed loop (between the 2nd and 3rd clock reads)"
    # The timed loop sits between the second and the third call of Timespec::now in Bencher::iter.
    objdump -d --no-show-raw-insn -C "$bin" --start-address=0x"$addr" \
        --stop-address=$(printf '0x%x' $((0x$addr + 0x400))) |
        awk '/call.*Timespec>::now/ {n++; next} n == 2 {sub(/<.*>/, ""); print}'
done
