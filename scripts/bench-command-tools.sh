#!/usr/bin/env bash
# The cost of running a program through a command tool (ErrandCommandTools), in one run:
#
#   scripts/bench-command-tools.sh [RUNS] [ROUNDS]   # defaults 1000 and 5; builds CommandToolsBench in release
#
# Prints, for RUNS runs of the `true` binary: a shell while-loop (timed from bash, and again started through a
# command tool), posix_spawn + waitpid from Swift, swift-subprocess's run alone, the command tool handler one
# call after another, and 8 calls at a time, in ROUNDS interleaved rounds: medians of the wall time per run
# (the difference to the shell loop is the handler's overhead) and of the server's own CPU time per run. Set
# BENCH_SKIP_BUILD=1 to reuse the last release build.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${1:-1000}
ROUNDS=${2:-5}
TRUE_BIN=$(command -v -p true 2>/dev/null | grep / || echo /usr/bin/true)
[[ -x /usr/bin/true ]] && TRUE_BIN=/usr/bin/true

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    swift build -c release --product CommandToolsBench >&2
fi

start=$(date +%s%N)
sh -c "i=0; while [ \$i -lt $RUNS ]; do $TRUE_BIN; i=\$((i+1)); done"
end=$(date +%s%N)
awk -v ns=$((end - start)) -v runs="$RUNS" \
    'BEGIN { printf "%-48s%12.1f ms total%12.1f µs/run\n", "shell loop, timed from bash", ns / 1e6, ns / 1e3 / runs }'

.build/release/CommandToolsBench --runs "$RUNS" --rounds "$ROUNDS"
