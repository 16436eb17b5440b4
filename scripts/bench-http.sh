#!/usr/bin/env bash
# Benchmarks Errand's HTTP server against nginx on /healthz, and the latency of a JSON-RPC ping on /mcp.
#
#   scripts/bench-http.sh
#   ERRAND_BIN=/path/to/errand DURATION=30s CONNECTIONS=100 scripts/bench-http.sh
#   ERRAND_BENCH_LOOPS=1 scripts/bench-http.sh   # fallback server with one event loop, like nginx's one worker
#
# Errand: `$ERRAND_BIN serve --port PORT` (default .build/release/errand, built with
# `swift build -c release`). If that binary is missing or does not answer /healthz, the script builds a
# minimal benchmark server instead: ErrandHTTP (release) plus a main that answers /healthz, compiled with
# swiftc in a temporary directory, so the HTTP layer can be measured before the CLI exists.
# nginx: Debian's nginx-light, one worker, `return 200 "ok"` on a loopback port, all files in a temp dir.
# Load: wrk -t1 -cCONNECTIONS -dDURATION against both, then requests/s of each and their ratio.
# Needs: wrk, nginx, curl, python3 (to pick free ports).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
duration=${DURATION:-10s}
connections=${CONNECTIONS:-50}
work=$(mktemp -d -t errand-bench.XXXXXX)
pids=()

cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

for tool in wrk nginx curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-http: $tool is required" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until http://127.0.0.1:$1/healthz answers 200; fails after 10 s, or at once if process $2 exits.
wait_healthy() {
    for _ in $(seq 1 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/healthz" || true)" = 200 ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

rps() { awk '/^Requests\/sec:/ { print $2 }'; }

build_bench_server() {
    echo "bench-http: building a minimal benchmark server on ErrandHTTP (release)" >&2
    (cd "$root" && swift build -c release --target ErrandHTTP >&2)
    local bin=$root/.build/release
    cat > "$work/main.swift" <<'SWIFT'
import ErrandHTTP
import Logging

@main struct BenchServer {
    static func main() async throws {
        var configuration = HTTPServerConfiguration()
        configuration.port = Int(CommandLine.arguments[1])!
        configuration.eventLoopCount = Int(CommandLine.arguments[2]) ?? 0
        var logger = Logger(label: "errand.bench")
        logger.logLevel = .warning
        let healthy = HTTPResponse.text(200, "ok")
        let server = HTTPServer(
            configuration: configuration,
            responder: HTTPResponderClosure { request in
                request.path == "/healthz" ? .immediate(healthy) : .immediate(.text(404, "not found\n"))
            },
            logger: logger)
        _ = try server.start()
        _ = await SignalWatcher.waitForTermination()
        await server.shutdown(gracePeriod: .seconds(1))
    }
}
SWIFT
    swiftc -O -parse-as-library -I "$bin/Modules" "$work/main.swift" \
        "$bin"/ErrandHTTP.build/*.o "$bin"/Logging.build/*.o -o "$work/bench-server" >&2
}

# --- Errand -------------------------------------------------------------------------------------------
errand_port=$(free_port)
errand_bin=${ERRAND_BIN:-}
if [ -z "$errand_bin" ]; then
    errand_bin=$root/.build/release/errand
    echo "bench-http: swift build -c release" >&2
    (cd "$root" && swift build -c release >&2) || echo "bench-http: release build failed" >&2
fi
errand_label="errand serve"
started=false
if [ -x "$errand_bin" ]; then
    "$errand_bin" serve --port "$errand_port" > "$work/errand.log" 2>&1 &
    pids+=($!)
    if wait_healthy "$errand_port" "${pids[-1]}"; then started=true; else
        echo "bench-http: $errand_bin serve did not answer /healthz; see below" >&2
        tail -5 "$work/errand.log" >&2 || true
        kill "${pids[-1]}" 2>/dev/null || true
    fi
fi
if ! $started; then
    build_bench_server
    errand_port=$(free_port)
    "$work/bench-server" "$errand_port" "${ERRAND_BENCH_LOOPS:-0}" > "$work/errand.log" 2>&1 &
    pids+=($!)
    wait_healthy "$errand_port" "${pids[-1]}" || { echo "bench-http: benchmark server did not start" >&2; exit 1; }
    errand_label="ErrandHTTP bench server"
fi

# --- nginx --------------------------------------------------------------------------------------------
nginx_port=$(free_port)
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    server {
        listen 127.0.0.1:$nginx_port;
        location /healthz { return 200 "ok"; }
    }
}
NGINX
mkdir -p "$work/tmp"
nginx -e "$work/nginx-error.log" -p "$work" -c "$work/nginx.conf" &
pids+=($!)
wait_healthy "$nginx_port" "${pids[-1]}" || { echo "bench-http: nginx did not start" >&2; cat "$work/nginx-error.log" >&2; exit 1; }

# --- /healthz throughput ------------------------------------------------------------------------------
echo "== wrk -t1 -c$connections -d$duration /healthz: $errand_label"
wrk -t1 -c"$connections" -d"$duration" "http://127.0.0.1:$errand_port/healthz" | tee "$work/errand.wrk"
echo "== wrk -t1 -c$connections -d$duration /healthz: nginx"
wrk -t1 -c"$connections" -d"$duration" "http://127.0.0.1:$nginx_port/healthz" | tee "$work/nginx.wrk"
errand_rps=$(rps < "$work/errand.wrk")
nginx_rps=$(rps < "$work/nginx.wrk")
ratio=$(awk -v a="$errand_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')

# --- JSON-RPC ping latency ----------------------------------------------------------------------------
# An MCP session first (initialize; its Mcp-Session-Id goes on every ping), then one connection pinging
# back to back: wrk's latency percentiles are the round trip of one JSON-RPC request on loopback.
ping='{"jsonrpc":"2.0","id":1,"method":"ping"}'
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
session=$(curl -s -D - -o /dev/null -X POST -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' --data "$init" "http://127.0.0.1:$errand_port/mcp" \
    | tr -d '\r' | awk 'tolower($1) == "mcp-session-id:" { print $2 }' || true)
ping_p50="skipped"
ping_p99="skipped"
if [ -n "$session" ]; then
    cat > "$work/ping.lua" <<LUA
wrk.method = "POST"
wrk.body = '$ping'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$session"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
LUA
    echo "== wrk -t1 -c1 -d$duration --latency POST /mcp ping"
    wrk -t1 -c1 -d"$duration" --latency -s "$work/ping.lua" "http://127.0.0.1:$errand_port/mcp" | tee "$work/ping.wrk"
    ping_p50=$(awk '$1 == "50%" { print $2 }' "$work/ping.wrk")
    ping_p99=$(awk '$1 == "99%" { print $2 }' "$work/ping.wrk")
else
    echo "== JSON-RPC ping: skipped, initialize on POST /mcp gave no session (no MCP endpoint on this server)"
fi

echo
echo "errand ($errand_label) /healthz: $errand_rps req/s"
echo "nginx /healthz:                  $nginx_rps req/s"
echo "ratio errand/nginx:              $ratio (target >= 0.60)"
echo "JSON-RPC ping p50 / p99:         $ping_p50 / $ping_p99 (target p50 < 100us)"
