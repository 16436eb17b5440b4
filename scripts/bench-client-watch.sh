#!/usr/bin/env bash
# Time from a task's completion to `errand tasks watch` printing it: push vs polling, both MCP eras.
#
#   scripts/bench-client-watch.sh [RUNS]     (default 10 runs per mode; builds the debug binary unless ERRAND_BIN)
#
# Starts `errand serve` on a free port with the memory store, runs scripts/bench/client_watch_latency.py
# against it, stops it. Timestamps are the server's (lastUpdatedAt, millisecond resolution) and the script's
# clock on the same machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
RUNS="${1:-10}"
if [ -z "${ERRAND_BIN:-}" ]; then
    swift build --product errand >/dev/null
    ERRAND_BIN="$(swift build --show-bin-path)/errand"
fi
OUT="$(mktemp)"
"$ERRAND_BIN" serve --host 127.0.0.1 --port 0 --store memory --log-level error >"$OUT" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 1 200); do
    grep -q 'listening on' "$OUT" && break
    kill -0 "$SERVER" 2>/dev/null || die "errand serve exited: $(cat "$OUT")"
    sleep 0.05
done
URL="$(grep -oE 'http://[^ ]+' "$OUT" | head -1)/mcp"
log "server $URL, $RUNS runs per mode"
python3 scripts/bench/client_watch_latency.py "$ERRAND_BIN" "$URL" "$RUNS"
