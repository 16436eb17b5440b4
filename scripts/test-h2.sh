#!/usr/bin/env bash
# HTTP/2 (h2c) end-to-end checks against a live `errand serve`, with real clients:
# nghttp and `curl --http2-prior-knowledge` for /healthz, the dashboard, and the MCP flow on /mcp
# (initialize, tools/call with the session header, GET /mcp event stream, DELETE), and
# `curl --http2` / `nghttp -u` for the HTTP/1.1 `Upgrade: h2c` path.
#
# Installs nghttp2-client and curl (Debian) if missing, builds errand (incremental) unless ERRAND_BIN
# is set, starts it on a free port with the memory store, and stops it on exit.
# Prints one line per check and "N passed, N failed"; exits non-zero if any check failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh

ensure_apt_packages nghttp2-client curl || die "could not install nghttp2-client and curl"

bin=${ERRAND_BIN:-}
if [ -z "$bin" ]; then
    log "building errand"
    swift build --product errand >/dev/null || die "build failed"
    bin=.build/debug/errand
fi

work=$(mktemp -d)
ERRAND_SERVER_PID=""
cleanup() {
    stop_errand "$ERRAND_SERVER_PID"
    rm -rf "$work"
}
trap cleanup EXIT

start_errand test-h2 "$work" "$bin" serve --port 0 --store memory --log-level warning || die "errand did not start"
base=$ERRAND_SERVER_URL
log "errand listening on $base"

passed=0
failed=0
# check NAME CONDITION-COMMAND...: runs the command; records pass or fail.
check() {
    local name="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        printf 'ok    %s\n' "$name"
    else
        failed=$((failed + 1))
        printf 'FAIL  %s\n' "$name"
    fi
}
# contains FILE TEXT: FILE contains TEXT (fixed string, case-insensitive); shows FILE when it does not.
contains() {
    if grep -qiF -- "$2" "$1"; then return 0; fi
    printf '      expected %q in %s:\n' "$2" "$1" >&2
    head -c 2000 "$1" | sed 's/^/      | /' >&2
    return 1
}

h2() { curl -sS --http2-prior-knowledge --max-time 10 "$@"; }
mcp_headers=(-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'
    -H 'MCP-Protocol-Version: 2025-11-25')

# /healthz with both clients.
h2 -o "$work/healthz.body" -w '%{http_version} %{http_code}\n' "$base/healthz" >"$work/healthz.meta" || true
check "curl h2 prior knowledge /healthz is HTTP/2 200" contains "$work/healthz.meta" "2 200"
check "curl h2 /healthz body is ok" contains "$work/healthz.body" "ok"
nghttp -v "$base/healthz" >"$work/nghttp-healthz" 2>&1 || true
check "nghttp /healthz gets :status 200" contains "$work/nghttp-healthz" ":status: 200"
check "nghttp /healthz body is ok" grep -qx "ok" "$work/nghttp-healthz"
check "nghttp sees the server's SETTINGS" contains "$work/nghttp-healthz" "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):256"

# The dashboard.
h2 -D "$work/dash.head" -o "$work/dash.body" "$base/" || true
check "curl h2 / (dashboard) is 200" contains "$work/dash.head" "HTTP/2 200"
check "dashboard is HTML" contains "$work/dash.head" "content-type: text/html"
check "dashboard body is a page" contains "$work/dash.body" "<html"
nghttp "$base/" >"$work/nghttp-dash" 2>&1 || true
check "nghttp / returns the same page" cmp -s "$work/dash.body" "$work/nghttp-dash"

# MCP: initialize, then calls with the session header.
init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"test-h2","version":"1"}}}'
h2 "${mcp_headers[@]}" -D "$work/init.head" -o "$work/init.body" -d "$init" "$base/mcp" || true
check "MCP initialize over h2 is 200" contains "$work/init.head" "HTTP/2 200"
check "MCP initialize answers the protocol version" contains "$work/init.body" '"protocolVersion":"2025-11-25"'
session=$(sed -n 's/^mcp-session-id: *\([^[:space:]]*\).*/\1/ip' "$work/init.head" | tr -d '\r' | head -n1)
check "MCP initialize returns a session id" test -n "$session"
session_headers=("${mcp_headers[@]}" -H "Mcp-Session-Id: $session")

h2 "${session_headers[@]}" -o /dev/null -w '%{http_code}\n' \
    -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$base/mcp" >"$work/initialized.code" || true
check "notifications/initialized is 202" contains "$work/initialized.code" "202"

call='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"sleep","arguments":{"seconds":0}}}'
h2 "${session_headers[@]}" -o "$work/call.body" -d "$call" "$base/mcp" || true
check "tools/call over h2 runs the tool" contains "$work/call.body" "slept 0"

printf '%s' '{"jsonrpc":"2.0","id":3,"method":"tools/list"}' >"$work/list.json"
nghttp -d "$work/list.json" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    -H 'mcp-protocol-version: 2025-11-25' -H "mcp-session-id: $session" "$base/mcp" >"$work/list.body" 2>&1 || true
check "tools/list over nghttp (POST with a body)" contains "$work/list.body" '"name":"sleep"'

# GET /mcp opens the session's event stream; it stays open until --max-time ends it (curl exit 28).
rc=0
h2 --max-time 2 -H 'Accept: text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' -H "Mcp-Session-Id: $session" \
    -D "$work/sse.head" -o "$work/sse.body" "$base/mcp" 2>/dev/null || rc=$?
check "GET /mcp event stream is HTTP/2 200" contains "$work/sse.head" "HTTP/2 200"
check "GET /mcp is text/event-stream" contains "$work/sse.head" "content-type: text/event-stream"
check "GET /mcp stays open until the client gives up (curl exit 28)" test "$rc" -eq 28

h2 -X DELETE -H 'MCP-Protocol-Version: 2025-11-25' -H "Mcp-Session-Id: $session" -o /dev/null \
    -w '%{http_code}\n' "$base/mcp" >"$work/delete.code" || true
check "DELETE /mcp ends the session" grep -qE '^(200|204)$' "$work/delete.code"
h2 "${session_headers[@]}" -o /dev/null -w '%{http_code}\n' \
    -d '{"jsonrpc":"2.0","id":4,"method":"tools/list"}' "$base/mcp" >"$work/after-delete.code" || true
check "the deleted session is gone (404)" contains "$work/after-delete.code" "404"

# HTTP/1.1 Upgrade: h2c.
curl -sS --http2 --max-time 10 -v -o "$work/upgrade.body" -w '%{http_version}\n' "$base/healthz" \
    >"$work/upgrade.meta" 2>"$work/upgrade.trace" || true
check "curl --http2 upgrades (101 Switching Protocols)" contains "$work/upgrade.trace" "101 Switching Protocols"
check "curl --http2 ends on HTTP/2" grep -qx "2" "$work/upgrade.meta"
check "curl --http2 /healthz body is ok" contains "$work/upgrade.body" "ok"
nghttp -u -v "$base/healthz" >"$work/nghttp-upgrade" 2>&1 || true
check "nghttp -u upgrades and gets :status 200" contains "$work/nghttp-upgrade" ":status: 200"

# Plain HTTP/1.1 still works beside it.
curl -sS --http1.1 --max-time 10 -o "$work/h1.body" -w '%{http_version}\n' "$base/healthz" >"$work/h1.meta" || true
check "curl --http1.1 /healthz still HTTP/1.1" grep -qx "1.1" "$work/h1.meta"

check "errand is still running" kill -0 "$ERRAND_SERVER_PID"

echo "test-h2: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
