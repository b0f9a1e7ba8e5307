#!/usr/bin/env bash
# Prints the machine code of `switch` benchmarks from the optimised bench binary: criterion's timed
# loop of each style and, for the styles resumed through a `dyn Coroutine` / `dyn Iterator`
# handle, the resume function the loop calls through the vtable. It shows that every loop resumes
# the coroutine for real (a call it cannot inline, the output fed back as the next input) and that
# the resumed code reads or writes the coroutine's state.
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
# The function a resume calls through the handle's vtable, for the styles where it has a symbol.
callee() {
    case "$1" in
        manual) echo "<benches::identity::ManualIdentity as core::ops::coroutine::Coroutine<u64>>::resume" ;;
        native) echo "benches::identity::native::{closure#0}" ;;
        gen) echo "benches::identity::gen_block::{closure#0}" ;;
        *) echo "" ;;
    esac
}
symbols=$(nm -C "$bin")
wanted=("$@")
[[ ${#wanted[@]} -eq 0 ]] && wanted=(manual native)
for style in "${wanted[@]}"; do
    k=-1
    for i in "${!styles[@]}"; do [[ "${styles[$i]}" == "$style" ]] && k=$i; done
    if [[ $k -lt 0 ]]; then
        echo "unknown style '$style' (one of: ${styles[*]})" >&2
        exit 2
    fi
    line=$(grep -F "switch::switch::{closure#$k}::{closure#" <<<"$symbols" | grep -F "Bencher>::iter" | head -n 1 || true)
    if [[ -z "$line" ]]; then
        echo "== switch/$style: criterion's timed loop has no symbol of its own: it is the same machine code as another style's loop, and the linker kept one copy (manual's and native's loops are identical: one call through the vtable)"
    else
        addr=${line%% *}
        echo "== switch/$style: criterion's timed loop (between the 2nd and 3rd clock reads)"
        # The timed loop sits between the second and the third call of Timespec::now in Bencher::iter.
        objdump -d --no-show-raw-insn -C "$bin" --start-address=0x"$addr" \
            --stop-address=$(printf '0x%x' $((0x$addr + 0x400))) |
            awk '/call.*Timespec>::now/ {n++; next} n == 2 {sub(/<.*>/, ""); print}'
    fi
    name=$(callee "$style")
    if [[ -n "$name" ]]; then
        line=$(grep -F " $name" <<<"$symbols" | grep -vF "drop_glue" | head -n 1 || true)
        if [[ -n "$line" ]]; then
            addr=${line%% *}
            echo "-- the resume it calls through the vtable: $name"
            objdump -d --no-show-raw-insn -C "$bin" --start-address=0x"$addr" \
                --stop-address=$(printf '0x%x' $((0x$addr + 0x100))) |
                awk '/^ *[0-9a-f]+:/ { if ($0 ~ /int3/) exit; sub(/<.*>/, ""); print }'
        fi
    fi
done
