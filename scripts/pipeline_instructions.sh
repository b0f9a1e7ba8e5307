#!/usr/bin/env bash
# Instructions per line of each pipeline style and floor, counted by valgrind (callgrind): unlike a
# clock, the count is the same on a busy machine, so it compares styles and before/after a change.
# Each work runs over the benchmark's generated log in memory (pipeline_profile) once with 1 pass and
# once with 3; the difference, divided by 2 x LINES, is the cost of one line (generating the log
# and start-up cancel out). Usage: scripts/pipeline_instructions.sh [LINES] [WORK ...]
# (default 50000 lines; works: scan read plain stackless stackful threaded).
set -euo pipefail
lines=${1:-50000}
shift || true
works=("$@")
[ ${#works[@]} -gt 0 ] || works=(scan read plain stackless stackful)
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 2; }
cd "$(dirname "$0")/.."
cargo build --quiet --release -p benches --example pipeline_profile
bin=target/release/examples/pipeline_profile
count() { # instructions of one run: WORK PASSES
    local log
    if ! log=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$lines" "$2" 2>&1); then
        echo "$1: the run failed:" >&2
        grep -v '^==' <<<"$log" >&2
        return 1
    fi
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<<"$log"
}
echo "instructions per line, $lines lines in memory (valgrind --tool=callgrind, 3 passes minus 1)"
for work in "${works[@]}"; do
    one=$(count "$work" 1)
    three=$(count "$work" 3)
    [ -n "$one" ] && [ -n "$three" ] || { echo "$work: no count from valgrind" >&2; exit 1; }
    echo "$work $(( (three - one) / (2 * lines) ))"
done
