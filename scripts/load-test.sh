#!/usr/bin/env bash
# Load test of a release build on loopback: SSE fan-out, task submissions, slowloris, RSS and descriptors.
#
# Starts `errand serve --store memory` (release build) on 127.0.0.1 and runs scripts/load/loadgen.c (one C
# epoll loop, so the client is not the bottleneck) against it:
#   - SUBSCRIBERS (5000) clients on GET /api/events, each timing every task-completion event
#     (lag = receipt time - the event's task lastUpdatedAt);
#   - RATE (1000) task submissions per second for DURATION (60) seconds:
#     POST /api/tools/sleep/call?task=true {"seconds":0};
#   - SLOWLORIS (500) connections sending one header byte every SLOW_INTERVAL (3) seconds during the middle
#     half of the run, while /healthz latency is compared with the quarter before;
#   - the server's RSS, descriptors and CPU every 5 s; descriptors again after every client has gone.
# The server runs with a tokens file holding one principal ("load") whose limits do not get in the way.
# Prints a summary table and writes artifacts/load-test.json. Bounded: about DURATION + 20 seconds.
#
#   scripts/load-test.sh
#   SUBSCRIBERS=1000 RATE=200 DURATION=20 scripts/load-test.sh     # a smaller run
#   ERRAND_BIN=/path/to/errand scripts/load-test.sh                 # skip the release build
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-1000}
DURATION=${DURATION:-60}
SLOWLORIS=${SLOWLORIS:-500}
SLOW_INTERVAL=${SLOW_INTERVAL:-3}
out=$root/artifacts
work=$(mktemp -d)
mkdir -p "$out"

# Both ends need a descriptor per connection, plus headroom.
need=$((SUBSCRIBERS + SLOWLORIS + 512))
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
    echo "load-test: the hard descriptor limit is $hard, the run needs $need" >&2
    exit 1
fi
ulimit -n "$need"

if [ -z "${ERRAND_BIN:-}" ]; then
    echo "Building the release binary ..."
    (cd "$root" && swift build -c release --product errand)
    ERRAND_BIN=$root/.build/release/errand
fi
cc -O2 -Wall -o "$work/loadgen" "$root/scripts/load/loadgen.c"

server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        sleep 1
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    [ -n "${ERRAND_PID_DIR:-}" ] && [ -n "$server_pid" ] && rm -f "$ERRAND_PID_DIR/errand-$server_pid"
    rm -rf "$work"
}
trap cleanup EXIT

# One principal with limits high enough for the run: without authentication REST submissions are limited
# per client address (600 a minute by default), which would measure the limiter, not the server.
token_out=$("$ERRAND_BIN" token new --principal load)
token=$(printf '%s\n' "$token_out" | sed -n 's/^token: //p')
hash=$(printf '%s\n' "$token_out" | sed -n 's/^hash: //p')
cat >"$work/tokens.json" <<JSON
{"principals": [{"name": "load", "tokens": ["$hash"],
  "limits": {"concurrentTasks": 256, "queuedTasks": 1000000, "submissionsPerMinute": 1000000}}]}
JSON

"$ERRAND_BIN" serve --host 127.0.0.1 --port 0 --store memory --log-level error --public-dir "$root/Public" \
    --auth-file "$work/tokens.json" >"$work/server.out" 2>"$work/server.err" </dev/null &
server_pid=$!
[ -n "${ERRAND_PID_DIR:-}" ] && [ -d "$ERRAND_PID_DIR" ] && echo "$server_pid" >"$ERRAND_PID_DIR/errand-$server_pid"
port=
for _ in $(seq 100); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$work/server.out" 2>/dev/null || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "errand did not start: $(cat "$work/server.err")" >&2; exit 1; }
echo "errand pid $server_pid on 127.0.0.1:$port (descriptor limit $(ulimit -n))"

"$work/loadgen" --host 127.0.0.1 --port "$port" --pid "$server_pid" --subscribers "$SUBSCRIBERS" --rate "$RATE" \
    --duration "$DURATION" --slowloris "$SLOWLORIS" --slow-interval "$SLOW_INTERVAL" --token "$token" \
    --out "$out/load-test.json"

alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
python3 "$root/scripts/load/summary.py" "$out/load-test.json" --server-alive "$alive" --exit-status "$status"
echo "report: artifacts/load-test.json"
