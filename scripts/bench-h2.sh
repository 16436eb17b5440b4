#!/usr/bin/env bash
# h2load against Errand's /healthz and, in the same run, against nginx serving the same 3-byte body
# over prior-knowledge h2c (nginx 1.22: `listen ... http2` on a cleartext port). Prints req/s of both
# (median of ROUNDS alternating runs each) and Errand's share of nginx's.
#
#   scripts/bench-h2.sh                  release build, -n 200000 -c 50 -m 10
#   REQUESTS=50000 CLIENTS=10 STREAMS=100 ROUNDS=1 scripts/bench-h2.sh
#   ERRAND_BIN=.build/debug/errand scripts/bench-h2.sh    (skip the build; debug numbers are not comparable)
#
# Both servers run with two workers (Errand: one event loop per core; nginx: worker_processes 2) on the
# same machine as h2load, so the figures compare the servers under the same squeeze, nothing more.
# Traffic goes to 127.0.0.1 only. Exits non-zero if either run fails or has failed requests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh

REQUESTS=${REQUESTS:-200000}
ROUNDS=${ROUNDS:-3}  # alternating runs per server; the median is reported (two shared cores are noisy)
CLIENTS=${CLIENTS:-50}
STREAMS=${STREAMS:-10}

ensure_apt_packages nghttp2-client || die "could not install nghttp2-client"
command -v nginx >/dev/null 2>&1 || ensure_apt_packages nginx-light || die "could not install nginx-light"

bin=${ERRAND_BIN:-}
if [ -z "$bin" ]; then
    log "building errand (release)"
    swift build -c release --product errand >/dev/null || die "release build failed"
    bin=.build/release/errand
fi

work=$(mktemp -d)
errand_pid=""
nginx_pid=""
cleanup() {
    stop_errand "$errand_pid"
    stop_errand "$nginx_pid"
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Errand.
start_errand errand "$work" "$bin" serve --port 0 --store memory --log-level warning || die "errand did not start"
errand_pid=$ERRAND_SERVER_PID
errand_url=$ERRAND_SERVER_URL

# nginx, from a throwaway prefix.
nginx_port=$(free_port)
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp/body;
    proxy_temp_path $work/nginx/tmp/proxy;
    fastcgi_temp_path $work/nginx/tmp/fastcgi;
    uwsgi_temp_path $work/nginx/tmp/uwsgi;
    scgi_temp_path $work/nginx/tmp/scgi;
    http2_max_concurrent_streams 256;
    keepalive_requests 100000000;  # else nginx ends each h2 connection after 1,000 requests
    server {
        listen 127.0.0.1:$nginx_port http2;
        location = /healthz { default_type text/plain; return 200 "ok\n"; }
    }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
for _ in $(seq 100); do
    curl -sf --http2-prior-knowledge "http://127.0.0.1:$nginx_port/healthz" >/dev/null 2>&1 && break
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/logs/error.log" >&2; die "nginx exited"; }
    sleep 0.1
done

# run NAME URL: h2load, then prints req/s on stdout; the full report goes to $work/NAME.h2load.
run() {
    local name="$1" url="$2" report="$work/$1.h2load"
    h2load -n "$REQUESTS" -c "$CLIENTS" -m "$STREAMS" "$url" >"$report" 2>&1 || {
        cat "$report" >&2
        die "h2load against $name failed"
    }
    grep -E '^(finished in|requests:|status codes:)' "$report" | sed "s/^/  $name: /" >&2
    local ok total
    total=$(sed -n 's/^requests: \([0-9]*\) total.*/\1/p' "$report")
    ok=$(sed -n 's/.* \([0-9]*\) succeeded.*/\1/p' "$report")
    [ "$ok" = "$total" ] || die "$name: only $ok of $total requests succeeded"
    sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$report"
}

log "h2load -n $REQUESTS -c $CLIENTS -m $STREAMS, warming up"
h2load -n 5000 -c 10 -m 10 "$errand_url/healthz" >/dev/null 2>&1 || true
h2load -n 5000 -c 10 -m 10 "http://127.0.0.1:$nginx_port/healthz" >/dev/null 2>&1 || true
errand_runs=()
nginx_runs=()
for round in $(seq "$ROUNDS"); do
    errand_runs+=("$(run errand "$errand_url/healthz")")
    nginx_runs+=("$(run nginx "http://127.0.0.1:$nginx_port/healthz")")
    log "round $round: errand ${errand_runs[-1]} req/s, nginx ${nginx_runs[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
errand_rps=$(median "${errand_runs[@]}")
nginx_rps=$(median "${nginx_runs[@]}")
ratio=$(python3 -c "print(f'{float($errand_rps) / float($nginx_rps):.2f}')")

printf '\nh2load -n %s -c %s -m %s  /healthz over h2c, median of %s rounds\n' "$REQUESTS" "$CLIENTS" "$STREAMS" "$ROUNDS"
printf '  errand  %12.0f req/s   (runs: %s)\n' "$errand_rps" "${errand_runs[*]}"
printf '  nginx   %12.0f req/s   (runs: %s)\n' "$nginx_rps" "${nginx_runs[*]}"
printf '  errand/nginx  %s\n' "$ratio"
