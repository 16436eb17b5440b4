#!/usr/bin/env bash
# Task submissions over the wire per store, the way issue 15's baseline was taken: `wrk` POSTing sleep(0) tasks
# to REST for DURATION seconds from 32 connections, then waiting until every created task completed. One run
# measures, one after the other on fresh servers: memory, SQLite (default synchronous=NORMAL), PostgreSQL with one
# node, and PostgreSQL with two `serve` nodes (half the connections each) plus an `errand worker`. PostgreSQL is a
# throwaway durable cluster (fsync and synchronous_commit on).
#
#   ERRAND_BIN=.build-release-postgres/release/errand scripts/bench-wire-stores.sh
#
# Per store: tasks/s submitted (accepted by the API) and completed (all accepted tasks done, from the first
# request to the last completion), submit latency p50/p99 (wrk), refused requests, and CPU per completed task of
# the Errand processes and of the PostgreSQL server (postmaster and backends), from /proc.
# Knobs: DURATION (10), CONNECTIONS (32), THREADS (2), STORES ("memory sqlite pg1 pg2": which rows to run), ROUNDS
# (1): rounds of every row, interleaved (round 1 of each store, then round 2, …), each on a fresh server and a
# fresh database; with more than one, a last table gives each store's round of median done/s and every round's
# done/s (this 2-core VM's speed drifts by a quarter from minute to minute). scripts/bench-stores.sh runs it after
# its in-process table, with 3 rounds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh

bin=${ERRAND_BIN:?set ERRAND_BIN to a release errand built with --traits Postgres}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
STORES=${STORES:-memory sqlite pg1 pg2}
ROUNDS=${ROUNDS:-1}
command -v wrk >/dev/null || ensure_apt_packages wrk

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do stop_errand "$pid"; done
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PG_DURABLE=1 start_postgres "$work/pg" >/dev/null
postmaster=$(head -1 "$PG_DATA/postmaster.pid")
psql=("$PG_BIN/psql" "$PG_URL" -v ON_ERROR_STOP=1 -q -At)
limits=(--anonymous-submissions-per-minute 10000000 --anonymous-concurrent-tasks 1000000
    --anonymous-queued-tasks 1000000 --max-active-tasks-per-owner 1000000 --max-active-tasks 10000000
    --max-queued-tasks 10000000 --log-level error)

# cpu_ticks PID...: user + system clock ticks of the processes given and of their direct children.
cpu_ticks() {
    python3 - "$@" <<'PY'
import os, sys
roots = {int(p) for p in sys.argv[1:]}
total = 0
for name in os.listdir("/proc"):
    if not name.isdigit():
        continue
    try:
        fields = open(f"/proc/{name}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        continue
    if int(name) in roots or int(fields[1]) in roots:
        total += int(fields[11]) + int(fields[12])
print(total)
PY
}

# completed URL: tasks completed, from /api/stats.
completed() {
    curl -sf "$1/api/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["byStatus"].get("completed", 0))'
}

# measure NAME URL...: wrk against each URL (connections split between them) and the table row.
measure() {
    local name=$1
    shift
    local urls=("$@") per=$((CONNECTIONS / $#)) threads=$((THREADS > $# ? THREADS / $# : 1))
    local errand_before pg_before start end accepted=0 refused=0 lat50="" lat99="" i=0 clients=()
    errand_before=$(cpu_ticks "${pids[@]}")
    pg_before=$(cpu_ticks "$postmaster")
    start=$(date +%s.%N)
    for url in "${urls[@]}"; do
        wrk -t"$threads" -c"$per" -d"${DURATION}s" --latency -s scripts/bench/submit-rest.lua "$url" \
            >"$work/wrk-$i.out" 2>&1 &
        clients+=("$!")
        i=$((i + 1))
    done
    for pid in "${clients[@]}"; do wait "$pid" || die "wrk failed: $(cat "$work"/wrk-*.out)"; done
    for ((j = 0; j < i; j++)); do
        local requests non2xx
        requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk-$j.out")
        non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$work/wrk-$j.out")
        accepted=$((accepted + requests - ${non2xx:-0}))
        refused=$((refused + ${non2xx:-0}))
        lat50+="$(sed -n 's/^ *50% *\([^ ]*\).*/\1/p' "$work/wrk-$j.out") "
        lat99+="$(sed -n 's/^ *99% *\([^ ]*\).*/\1/p' "$work/wrk-$j.out") "
    done
    local done_count=0 _
    for _ in $(seq 1200); do
        done_count=$(completed "${urls[0]}")
        [ "$done_count" -ge "$accepted" ] && break
        sleep 0.1
    done
    end=$(date +%s.%N)
    local errand_after pg_after
    errand_after=$(cpu_ticks "${pids[@]}")
    pg_after=$(cpu_ticks "$postmaster")
    python3 - "$name" "$accepted" "$refused" "$done_count" "$start" "$end" "$DURATION" \
        "$((errand_after - errand_before))" "$((pg_after - pg_before))" "$lat50" "$lat99" "$1" <<'PY'
import os, sys
name, accepted, refused, done, start, end, duration, errand, pg, p50, p99, _ = sys.argv[1:]
p50, p99 = "/".join(p50.split()), "/".join(p99.split())
accepted, refused, done, errand, pg = map(int, (accepted, refused, done, errand, pg))
tick = 1e6 / os.sysconf("SC_CLK_TCK")
elapsed = float(end) - float(start)
per = lambda ticks: f"{ticks * tick / max(done, 1):.0f}"
pg_text = per(pg) if name.startswith("PostgreSQL") else "-"
row = (f"{name:<34}{accepted / float(duration):>10.0f}{done / elapsed:>11.0f}{p50:>18}{p99:>18}{refused:>8}"
       f"{per(errand):>12}{pg_text:>10}{'' if done >= accepted else '  (not all completed)'}")
print(row)
with open(os.environ["ROWS_FILE"], "a") as rows:
    rows.write(f"{name}\t{done / elapsed:.0f}\t{row}\n")
PY
    for pid in "${pids[@]}"; do stop_errand "$pid"; done
    pids=()
}

log "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); $DURATION s of wrk, $CONNECTIONS connections"
printf '%-34s%10s%11s%18s%18s%8s%12s%10s\n' store "sub/s" "done/s" "submit p50" "submit p99" refused \
    "errand µs" "pg µs"

# runs ROW: whether STORES asks for the row.
runs() { [[ " $STORES " == *" $1 "* ]]; }

export ROWS_FILE=$work/rows.tsv
"${psql[@]}" -c "CREATE DATABASE one_node" -c "CREATE DATABASE two_nodes"
base=${PG_URL%/*}
for round in $(seq "$ROUNDS"); do
    [ "$ROUNDS" = 1 ] || log "round $round of $ROUNDS"
    if runs memory; then
        start_errand memory "$work" "$bin" serve --port 0 --store memory "${limits[@]}" \
            || die "errand did not start"
        pids=("$ERRAND_SERVER_PID")
        measure "memory" "$ERRAND_SERVER_URL"
    fi

    if runs sqlite; then
        rm -f "$work"/tasks.sqlite*
        start_errand sqlite "$work" "$bin" serve --port 0 --store "sqlite:$work/tasks.sqlite" "${limits[@]}" \
            || die "errand did not start"
        pids=("$ERRAND_SERVER_PID")
        measure "SQLite (synchronous=NORMAL)" "$ERRAND_SERVER_URL"
    fi

    if [ "$round" -gt 1 ]; then
        "${psql[@]}" -c "DROP DATABASE one_node" -c "DROP DATABASE two_nodes" \
            -c "CREATE DATABASE one_node" -c "CREATE DATABASE two_nodes"
    fi
    if runs pg1; then
        start_errand pg-1 "$work" "$bin" serve --port 0 --store "$base/one_node" --node n1 "${limits[@]}" \
            || die "errand did not start"
        pids=("$ERRAND_SERVER_PID")
        measure "PostgreSQL, 1 node (durable)" "$ERRAND_SERVER_URL"
    fi

    if runs pg2; then
        start_errand pg-a "$work" "$bin" serve --port 0 --store "$base/two_nodes" --node a "${limits[@]}" \
            || die "errand did not start"
        pids=("$ERRAND_SERVER_PID")
        url_a=$ERRAND_SERVER_URL
        start_errand pg-b "$work" "$bin" serve --port 0 --store "$base/two_nodes" --node b "${limits[@]}" \
            || die "errand did not start"
        pids+=("$ERRAND_SERVER_PID")
        url_b=$ERRAND_SERVER_URL
        "$bin" worker --store "$base/two_nodes" --node w --log-level error >"$work/worker.out" \
            2>"$work/worker.err" &
        pids+=("$!")
        measure "PostgreSQL, 2 nodes + worker" "$url_a" "$url_b"
    fi
done
if [ "$ROUNDS" -gt 1 ]; then
    echo
    echo "Median of $ROUNDS rounds: each store's round of median done/s, then every round's done/s."
    printf '%-34s%10s%11s%18s%18s%8s%12s%10s\n' store "sub/s" "done/s" "submit p50" "submit p99" refused \
        "errand µs" "pg µs"
    python3 - "$ROWS_FILE" <<'PY'
import sys
stores = {}
for line in open(sys.argv[1]):
    name, done, row = line.rstrip("\n").split("\t", 2)
    stores.setdefault(name, []).append((int(done), row))
for name, rounds in stores.items():
    ordered = sorted(rounds)
    print(ordered[(len(ordered) - 1) // 2][1], "  rounds:", " / ".join(str(done) for done, _ in rounds))
PY
fi
echo "sub/s: tasks accepted per second of wrk; done/s: completed tasks per second from the first request to the"
echo "last completion; errand µs / pg µs: CPU per completed task of the Errand processes / the PostgreSQL server."
