#!/usr/bin/env bash
# Browser, OpenAPI and curl tests of the REST API and the dashboard, against a live `errand serve`.
#
# Installs what is missing (Debian chromium + chromium-driver, curl; a venv .venv-web from
# Tests/requirements-web.txt), builds the errand binary (incremental), starts it on a free port with the
# memory store, runs `pytest Tests/web`, and stops the server. Exits non-zero on any failure.
#
# Environment: ERRAND_BIN (default .build/debug/errand; set it to skip the build),
#              ERRAND_STORE_TOOL (default: ErrandStoreTool beside ERRAND_BIN; fills the 100,000-task file of
#              test_dashboard_scale.py),
#              ERRAND_PID_DIR (scripts/test.sh: each server started here leaves its pid there),
#              PYTEST_ARGS (extra pytest arguments, e.g. "-k dashboard -x").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

log() { printf 'test-web: %s\n' "$*" >&2; }

# 1. System packages (Debian names; apt-get works as root on the build machines).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Python tools, reinstalled when the pins change.
venv=.venv-web
if [ ! -x "$venv/bin/python" ] || ! cmp -s Tests/requirements-web.txt "$venv/.installed-requirements"; then
    log "creating $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/requirements-web.txt
    cp Tests/requirements-web.txt "$venv/.installed-requirements"
fi

# 3. The server binary.
bin=${ERRAND_BIN:-}
if [ -z "$bin" ]; then
    log "building errand"
    swift build --product errand >/dev/null
    swift build --product ErrandStoreTool >/dev/null
    bin=.build/debug/errand
fi
store_tool=${ERRAND_STORE_TOOL:-$(dirname "$bin")/ErrandStoreTool}

# 4. Start it on a free port and wait for "listening on http://HOST:PORT".
mkdir -p artifacts
server_log=artifacts/test-web-server.log
"$bin" serve --port 0 --store memory --log-level warning >"$server_log" 2>&1 &
server_pid=$!
[ -n "${ERRAND_PID_DIR:-}" ] && echo "$server_pid" >"$ERRAND_PID_DIR/web-$server_pid"
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT
url=""
for _ in $(seq 300); do
    url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$server_log" | head -n 1)
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { log "the server exited:"; cat "$server_log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { log "the server did not start within 30 s"; cat "$server_log" >&2; exit 1; }
log "server at $url"

# 5. The tests. ERRAND_BIN lets tests that restart a server start their own.
export ERRAND_WEB_URL=$url ERRAND_BIN=$root/$bin ERRAND_STORE_TOOL=$root/$store_tool
[[ "$bin" = /* ]] && export ERRAND_BIN=$bin
[[ "$store_tool" = /* ]] && export ERRAND_STORE_TOOL=$store_tool
# shellcheck disable=SC2086
"$venv/bin/python" -m pytest Tests/web -q -p no:cacheprovider ${PYTEST_ARGS:-}
