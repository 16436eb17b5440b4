#!/usr/bin/env bash
# Task-path benchmarks of Errand beside the FastMCP 3.4.10 reference server, in one run, on loopback only:
#
#   scripts/bench-tasks.sh            # about 8-9 minutes plus the release build
#
# 1. builds Errand and ErrandBench in release, sets up .venv-bench (httpx + the reference server's pins);
# 2. starts Errand (`errand serve --port 0`) and the reference server (on a free port picked with python);
# 3. runs scripts/bench/bench_tasks.py against both (submit latency, submit->completed, 50-session
#    throughput, status notifications), then wrk with scripts/bench/submit.lua (and a completion check);
# 4. runs ErrandBench (in-process engine figures against the targets);
# 5. measures RSS on fresh servers, one at a time: 10,000 retained tasks each by the same Python client
#    (the reference's ~40 tasks/s makes this the longest phase), then 90,000 more on Errand by wrk;
# 6. prints the side-by-side table; everything lands in artifacts/bench-tasks.json.
#
# Environment knobs: BENCH_QUICK=1 (small counts, for trying the script), BENCH_SKIP_BUILD=1,
# BENCH_SKIP_RSS=1, PEER_SERVER=path/to/reference_server.py. Both servers are stopped on exit (trap).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PEER_SERVER=${PEER_SERVER:-$ROOT/scripts/bench/peers/reference_server.py}
ART=$ROOT/artifacts
JSON=$ART/bench-tasks.json
LOGS=$ART/bench-logs
VENV=$ROOT/.venv-bench
PY=$VENV/bin/python
BENCH="$PY scripts/bench/bench_tasks.py"
STARTED=$(date +%s)

if [[ "${BENCH_QUICK:-0}" == 1 ]]; then
    N=200 N_COMPLETE=50 DURATION=3 N_NOTIFY=30 WRK_SECONDS=3 RSS_ERRAND=2000 RSS_ERRAND_MORE=8000 RSS_PEER=1000
    ENGINE_ARGS=(--tasks 20000 --idle 2000 --seconds 2 --mcp 5000)
else
    N=500 N_COMPLETE=200 DURATION=10 N_NOTIFY=100 WRK_SECONDS=10 RSS_ERRAND=10000 RSS_ERRAND_MORE=90000
    RSS_PEER=10000
    ENGINE_ARGS=(--tasks 100000 --idle 10000 --seconds 5 --mcp 20000 --breakdown)
fi

say() { printf '\n== %s (%ds)\n' "$*" $(($(date +%s) - STARTED)); }

ERRAND_PID='' PEER_PID=''
stop_servers() {
    for pid in $ERRAND_PID $PEER_PID; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in $ERRAND_PID $PEER_PID; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    ERRAND_PID='' PEER_PID=''
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

[[ -f "$PEER_SERVER" ]] || { echo "reference server not found: $PEER_SERVER (set PEER_SERVER)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
mkdir -p "$ART" "$LOGS"
rm -f "$JSON"

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    say "building release (errand, ErrandBench)"
    swift build -c release 2>&1 | tail -n 3
fi

REQS='httpx==0.28.1 fastmcp[tasks]==3.4.10 mcp==1.30.0 pydocket==0.27.0'
if [[ "$(cat "$VENV/.bench-reqs" 2>/dev/null)" != "$REQS" ]]; then
    say "setting up $VENV"
    python3 -m venv "$VENV"
    # shellcheck disable=SC2086
    "$VENV/bin/pip" install -q $REQS
    echo "$REQS" >"$VENV/.bench-reqs"
fi

start_errand() {
    local out=$LOGS/errand.out
    : >"$out"
    .build/release/errand serve --port 0 --store memory --log-level error >"$out" 2>"$LOGS/errand.err" &
    ERRAND_PID=$!
    for _ in $(seq 100); do
        ERRAND_URL=$(sed -n 's#^listening on \(http://[^ ]*\)$#\1/mcp#p' "$out")
        [[ -n "$ERRAND_URL" ]] && return 0
        kill -0 "$ERRAND_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "errand did not start:" >&2
    cat "$out" "$LOGS/errand.err" >&2
    exit 1
}

start_peer() {
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$PY" "$PEER_SERVER" "$port" >"$LOGS/peer.log" 2>&1 &
    PEER_PID=$!
    PEER_URL=http://127.0.0.1:$port/mcp
    for _ in $(seq 200); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
            return 0
        fi
        kill -0 "$PEER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "reference server did not start:" >&2
    cat "$LOGS/peer.log" >&2
    exit 1
}

# A new MCP session id, by curl: initialize, then notifications/initialized.
new_session() {
    local url=$1 headers
    headers=$(curl -s -D - -o /dev/null -H 'Accept: application/json, text/event-stream' \
        -H 'Content-Type: application/json' "$url" \
        -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"wrk","version":"1"}}}')
    local sid
    sid=$(printf '%s' "$headers" | tr -d '\r' | sed -n 's/^[Mm][Cc][Pp]-[Ss]ession-[Ii][Dd]: *//p')
    curl -s -o /dev/null -H 'Accept: application/json, text/event-stream' -H 'Content-Type: application/json' \
        -H "Mcp-Session-Id: $sid" -H 'MCP-Protocol-Version: 2025-11-25' "$url" \
        -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    printf '%s' "$sid"
}

# wrk with submit.lua against $2 (name $1, pid $7): $3 threads, $4 connections, $5 sessions, $6 seconds.
run_wrk() {
    local name=$1 url=$2 threads=$3 connections=$4 sessions=$5 seconds=$6 pid=$7 ids='' i
    for i in $(seq "$sessions"); do ids+=${ids:+,}$(new_session "$url"); done
    local out=$LOGS/wrk-$name.out
    : >"$out"
    local start
    start=$(python3 -c 'import time; print(time.time())')
    $BENCH wrk-check --url "$url" --name "$name" --json "$JSON" --sessions "$ids" --wrk-output "$out" \
        --start-epoch "$start" --pid "$pid" >"$LOGS/wrk-check-$name.log" 2>&1 &
    local checker=$!
    MCP_SESSIONS=$ids WRK_CONNECTIONS=$connections timeout $((seconds + 30)) \
        wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s scripts/bench/submit.lua "$url" >"$out" 2>&1 ||
        { echo "WRK_JSON {\"failed\": true}" >>"$out"; }
    if ! wait "$checker"; then
        echo "wrk check for $name failed:" >&2
        tail -n 5 "$LOGS/wrk-check-$name.log" >&2
    fi
    grep -E 'Requests/sec|WRK_JSON' "$out" || true
}

say "starting servers"
start_errand
start_peer
echo "errand  $ERRAND_URL (pid $ERRAND_PID)"
echo "fastmcp $PEER_URL (pid $PEER_PID)"

COMMON=(--n "$N" --n-complete "$N_COMPLETE" --duration "$DURATION" --n-notify "$N_NOTIFY" --json "$JSON")
say "Errand: submit, complete, throughput, notify"
timeout 300 $BENCH run --url "$ERRAND_URL" --name errand --pid "$ERRAND_PID" "${COMMON[@]}"
say "FastMCP: submit, complete, throughput, notify"
timeout 300 $BENCH run --url "$PEER_URL" --name fastmcp --pid "$PEER_PID" "${COMMON[@]}"

say "wrk against Errand (2 threads, 64 connections, 8 sessions, ${WRK_SECONDS}s)"
run_wrk errand "$ERRAND_URL" 2 64 8 "$WRK_SECONDS" "$ERRAND_PID"
say "wrk against FastMCP (1 thread, 16 connections, 4 sessions, 5s)"
run_wrk fastmcp "$PEER_URL" 1 16 4 5 "$PEER_PID"
stop_servers

say "ErrandBench (in-process engine)"
timeout 300 .build/release/ErrandBench "${ENGINE_ARGS[@]}" --json "$ART/bench-engine.json"
$BENCH merge --json "$JSON" --key engine --file "$ART/bench-engine.json"

if [[ "${BENCH_SKIP_RSS:-0}" != 1 ]]; then
    # One server at a time: the reference's RSS grows with its backlog, so it must not share the CPU.
    say "RSS, FastMCP: $RSS_PEER retained tasks (fresh server)"
    start_peer
    # A time budget: on a loaded machine the reference may make far fewer than 40 tasks/s; the phase then
    # stops early and reports RSS at the tasks it made.
    timeout 400 $BENCH run --url "$PEER_URL" --name fastmcp --phases rss --pid "$PEER_PID" \
        --rss-tasks "$RSS_PEER" --rss-budget 270 --json "$JSON" || echo "FastMCP RSS phase failed" >&2
    stop_servers
    say "RSS, Errand: ${RSS_ERRAND%%,*} retained tasks (fresh server)"
    start_errand
    timeout 300 $BENCH run --url "$ERRAND_URL" --name errand --phases rss --pid "$ERRAND_PID" \
        --rss-tasks "${RSS_ERRAND%%,*}" --json "$JSON" || echo "Errand RSS phase failed" >&2
    if [[ -n "$RSS_ERRAND_MORE" ]]; then
        # The Python client is too slow to create 90,000 more in time: wrk does, in 5 s runs.
        say "RSS, Errand: $RSS_ERRAND_MORE more by wrk, then RSS"
        ids=''
        for _ in $(seq 8); do ids+=${ids:+,}$(new_session "$ERRAND_URL"); done
        out=$LOGS/wrk-rss.out
        : >"$out"
        made=0
        for _ in $(seq 12); do
            ((made < RSS_ERRAND_MORE)) || break
            MCP_SESSIONS=$ids MCP_LIMIT=$((RSS_ERRAND_MORE - made)) WRK_THREADS=2 timeout 40 \
                wrk -t2 -c32 -d5s -s scripts/bench/submit.lua "$ERRAND_URL" >"$out.part" 2>&1 || true
            cat "$out.part" >>"$out"
            made=$((made + $(sed -n 's/^WRK_JSON .*"created":\([0-9]*\).*/\1/p' "$out.part" | tail -n 1)))
        done
        echo "wrk created $made tasks"
        timeout 200 $BENCH rss-add --url "$ERRAND_URL" --name errand --json "$JSON" --pid "$ERRAND_PID" \
            --sessions "$ids" --wrk-output "$out" || echo "Errand RSS (wrk part) failed" >&2
    fi
    stop_servers
fi

say "results"
$BENCH table --json "$JSON"
echo
echo "JSON: $JSON   logs: $LOGS   total $(($(date +%s) - STARTED)) s"
