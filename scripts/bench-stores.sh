#!/usr/bin/env bash
# Throughput of the task stores side by side, in one run: memory, SQLite (synchronous NORMAL and FULL) and
# PostgreSQL (one ClusterEngine node; two nodes sharing the database, A submitting and W running; two nodes both
# submitting and running plus a worker), no-op tool, 50 concurrent submitters each awaiting completion, plus
# submit→pickup latency (on W for A→W: NOTIFY), this process's CPU per task and the PostgreSQL server's.
#
#   scripts/bench-stores.sh            # release build with the Postgres trait, then about 5-10 minutes
#
# Builds ErrandBench in release with `--traits Postgres` into .build-release-postgres, starts a throwaway
# PostgreSQL on 127.0.0.1 with its durable defaults (fsync, synchronous_commit, full_page_writes on), runs
# `ErrandBench stores` (see Benchmarks/ErrandBench/StoreOptions.swift): every configuration BENCH_ROUNDS times,
# interleaved, median reported; PostgreSQL durable and then switched to fsync=off + synchronous_commit=off, each
# row labelled. Prints one table with ratios to memory. Stops the cluster and deletes it on exit.
#
# Then runs scripts/bench-wire-stores.sh with the release `errand` (REST submissions by wrk; BENCH_WIRE=0 skips it;
# BENCH_WIRE_ROUNDS rounds of it, 3 by default, median reported).
#
# Knobs: BENCH_TASKS (tasks per configuration and round, 20000), BENCH_ROUNDS (3), BENCH_SUBMITTERS (50),
# BENCH_IDLE (one-at-a-time tasks for pickup latency, 500), BENCH_SKIP_BUILD=1, BENCH_BIN=path/to/ErrandBench
# (measure that build instead of the release build; implies BENCH_SKIP_BUILD=1), BASELINE_BIN=path/to/ErrandBench
# (another build, e.g. of an earlier commit: measured first, against the same server, for a before/after).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh

SCRATCH=.build-release-postgres
TASKS=${BENCH_TASKS:-20000}
ROUNDS=${BENCH_ROUNDS:-3}
SUBMITTERS=${BENCH_SUBMITTERS:-50}
IDLE=${BENCH_IDLE:-500}

if [ -n "${BENCH_BIN:-}" ]; then
    bin=$BENCH_BIN
else
    if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
        log "swift build -c release --traits Postgres --product ErrandBench (scratch path $SCRATCH)"
        swift build -c release --traits Postgres --scratch-path "$SCRATCH" --product ErrandBench </dev/null \
            || die "release build failed"
        swift build -c release --traits Postgres --scratch-path "$SCRATCH" --product errand </dev/null \
            || die "release build failed"
    fi
    bin="$(swift build -c release --traits Postgres --scratch-path "$SCRATCH" --show-bin-path)/ErrandBench"
fi
[ -x "$bin" ] || die "no $bin; build first"

work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PG_DURABLE=1 start_postgres "$work"
args=(stores --tasks "$TASKS" --rounds "$ROUNDS" --submitters "$SUBMITTERS" --idle "$IDLE"
    --postgres "$PG_URL" --postgres-fsync-off --postgres-pid "$(head -1 "$PG_DATA/postmaster.pid")")
log "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${BASELINE_BIN:-}" ]; then
    log "baseline: $BASELINE_BIN"
    "$BASELINE_BIN" "${args[@]}" </dev/null | tee "$work/baseline.txt"
fi
log "this build: $bin"
"$bin" "${args[@]}" </dev/null | tee "$work/current.txt"

if [ -n "${BASELINE_BIN:-}" ]; then
    echo
    echo "== baseline ($BASELINE_BIN)"
    cat "$work/baseline.txt"
    echo
    echo "== this build"
    cat "$work/current.txt"
fi

# Over the wire as well (REST submissions by wrk, separate servers), unless BENCH_WIRE=0.
if [ "${BENCH_WIRE:-1}" = 1 ]; then
    stop_postgres
    echo
    echo "== over the wire: scripts/bench-wire-stores.sh"
    ERRAND_BIN=${ERRAND_BIN:-$(dirname "$bin")/errand} ROUNDS=${BENCH_WIRE_ROUNDS:-3} \
        bash scripts/bench-wire-stores.sh
fi
