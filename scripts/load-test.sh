#!/usr/bin/env bash
# Load test of a release build on loopback: SSE fan-out, task submissions, slowloris, RSS and descriptors.
#
# Starts `errand serve --store memory` (release build, or LOAD_TEST_BIN) on 127.0.0.1 and runs
# scripts/load/loadgen.c (one C epoll loop, so the client is not the bottleneck) against it:
#   - SUBSCRIBERS (5000) clients on GET /api/events spread over PRINCIPALS (1000) principals, so each has
#     SUBSCRIBERS / PRINCIPALS devices; each subscriber times every task-completion event it gets
#     (lag = receipt time - the event's task lastUpdatedAt) and counts them against what it may see;
#   - RATE (1000) task submissions per second for DURATION (60) seconds, signed in as the principals in turn:
#     POST /api/tools/sleep/call?task=true {"seconds":0}. The first TEAM_SIZE (4) principals share a team and
#     submit one task in TEAM_EVERY (10): their devices are the broad audience, the others see their own tasks;
#   - SLOWLORIS (500) connections sending one header byte every SLOW_INTERVAL (3) seconds during the middle
#     half of the run, while /healthz latency is compared with the quarter before;
#   - the server's RSS, descriptors and CPU every 5 s; descriptors again after every client has gone.
# The server runs with a tokens file of PRINCIPALS principals whose submission limits do not get in the way.
# Prints a summary table, writes artifacts/load-test.json and checks it (exit 1 if a check fails):
#   - at least 99% of the planned submissions were sent, and every one was accepted (202);
#   - every subscriber connected, stayed, and saw exactly the created/completed events it may see;
#   - the slowest subscriber's lag p99 <= MAX_LAG_P99_MS (1000);
#   - /healthz p99 while the slowloris connections are open <= MAX_HEALTHZ_P99_MS (250), on a keep-alive and
#     on a new connection, and the header timeout answered every slowloris connection with 408;
#   - descriptors after the clients left <= before + FD_SLACK (4);
#   - RSS peak <= MAX_RSS_PEAK_MIB (768), RSS after the clients left <= MAX_RSS_AFTER_MIB (256);
#   - the server was alive at the end and exited 0 on SIGTERM.
# Bounded: about DURATION + 25 seconds, plus the release build when LOAD_TEST_BIN is not given.
# scripts/test.sh runs it as a script suite.
#
#   scripts/load-test.sh
#   SUBSCRIBERS=1000 PRINCIPALS=200 RATE=200 DURATION=20 scripts/load-test.sh     # a smaller run
#   LOAD_TEST_BIN=/path/to/errand scripts/load-test.sh                            # skip the release build
# ERRAND_BIN is not read. scripts/test.sh passes its debug build as LOAD_TEST_BIN (a release build of its own
# would add minutes to every run), so CI checks the bounds on a debug binary; release figures come from running
# this script by hand.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
SUBSCRIBERS=${SUBSCRIBERS:-5000}
RATE=${RATE:-1000}
DURATION=${DURATION:-60}
SLOWLORIS=${SLOWLORIS:-500}
SLOW_INTERVAL=${SLOW_INTERVAL:-3}
PRINCIPALS=${PRINCIPALS:-1000}
TEAM_SIZE=${TEAM_SIZE:-4}
TEAM_EVERY=${TEAM_EVERY:-10}
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

MAX_LAG_P99_MS=${MAX_LAG_P99_MS:-1000}
MAX_HEALTHZ_P99_MS=${MAX_HEALTHZ_P99_MS:-250}
FD_SLACK=${FD_SLACK:-4}
MAX_RSS_PEAK_MIB=${MAX_RSS_PEAK_MIB:-768}
MAX_RSS_AFTER_MIB=${MAX_RSS_AFTER_MIB:-256}

if [ -n "${LOAD_TEST_BIN:-}" ]; then
    ERRAND_BIN=$LOAD_TEST_BIN
else
    echo "Building the release binary ..."
    (cd "$root" && swift build -c release --product errand)
    ERRAND_BIN=$(cd "$root" && swift build -c release --show-bin-path)/errand
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
    # The server's own output (a crash report ends up here) goes beside the report.
    cp "$work/server.err" "$out/load-test-server.err" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# PRINCIPALS principals, one token each (the tokens file holds their sha256 hashes, as `errand token hash`
# writes them); the first TEAM_SIZE share the team "ops". Each principal's submission limit is raised above
# what the run asks of it, so that the run measures the server, not the per-principal limiter.
python3 - "$PRINCIPALS" "$TEAM_SIZE" "$work/tokens.txt" "$work/tokens.json" <<'PY'
import hashlib, json, secrets, sys
count, team, tokens_path, file_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
tokens = [secrets.token_urlsafe(32) for _ in range(count)]
principals = [{"name": f"user{i:04d}", "tokens": ["sha256:" + hashlib.sha256(t.encode()).hexdigest()],
               "limits": {"concurrentTasks": 64, "queuedTasks": 10000, "submissionsPerMinute": 100000}}
              for i, t in enumerate(tokens)]
for p in principals[:team]:
    p["team"] = "ops"
open(tokens_path, "w").write("\n".join(tokens) + "\n")
json.dump({"principals": principals}, open(file_path, "w"))
PY

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
    --duration "$DURATION" --slowloris "$SLOWLORIS" --slow-interval "$SLOW_INTERVAL" --tokens "$work/tokens.txt" \
    --team-size "$TEAM_SIZE" --team-every "$TEAM_EVERY" --out "$out/load-test.json"

alive=yes
kill -0 "$server_pid" 2>/dev/null || alive=no
kill -TERM "$server_pid" 2>/dev/null || true
status=0
wait "$server_pid" || status=$?
server_pid=
echo "report: artifacts/load-test.json"
python3 "$root/scripts/load/summary.py" "$out/load-test.json" --server-alive "$alive" --exit-status "$status" --check \
    --bound lag_p99_ms="$MAX_LAG_P99_MS" --bound healthz_p99_ms="$MAX_HEALTHZ_P99_MS" --bound fd_slack="$FD_SLACK" \
    --bound rss_peak_mib="$MAX_RSS_PEAK_MIB" --bound rss_after_mib="$MAX_RSS_AFTER_MIB"
