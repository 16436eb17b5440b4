#!/usr/bin/env bash
# PostgreSQL integration tests: the store against a real server, then several errand processes on one database.
#
# Installs PostgreSQL (Debian `postgresql`) if no server binaries are found, starts a throwaway cluster on
# 127.0.0.1 on a free port (as the `postgres` user when run as root), builds errand with the `Postgres` trait
# into .build-postgres (the default .build is left alone), runs the ErrandPostgresTests suite against it, then
# Tests/postgres/multinode.py: two `errand serve` nodes (one serve-only) and `errand worker`s as separate
# processes (live events and cancel across nodes, over REST and over MCP — `notifications/tasks/status` and
# progress on the GET stream, `tasks/cancel`, a session on another node watching — SIGKILL takeover, 200 tasks
# none completed twice) — and, when Chromium and .venv-web are there, the dashboard's nodes view
# (Tests/web/test_cluster_view.py). multinode.py uses the pytest suites' MCP client (Tests/pylib/mcpwire.py, httpx),
# so it runs in .venv-v1 (Tests/requirements-v1.txt), which scripts/test.sh sets up for Tests/interop.
# Stops every process and deletes the cluster on exit. Ends with "test-postgres: N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh

SCRATCH=.build-postgres
work=$(mktemp -d)
chmod 755 "$work"
cleanup() {
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_apt_packages python3 python3-venv || die "could not install python3"
ensure_venv .venv-v1 Tests/requirements-v1.txt || die "could not set up .venv-v1"
start_postgres "$work"

passed=0
failed=0

if [ "${ERRAND_POSTGRES_BIN_BUILT:-}" = 1 ] && [ -n "${ERRAND_BIN:-}" ]; then
    # scripts/test.sh built everything with the trait and ran ErrandPostgresTests inside `swift test`.
    bin="$ERRAND_BIN"
    log "reusing $bin (built with the Postgres trait; the store tests ran in swift test)"
    grep -qa PostgresNIO "$bin" || die "$bin has no PostgreSQL support (built without the Postgres trait?)"
else
    log "swift build --traits Postgres (scratch path $SCRATCH)"
    swift build --traits Postgres --scratch-path "$SCRATCH" --product errand </dev/null \
        || die "swift build --traits Postgres failed"
    bin="$(swift build --traits Postgres --scratch-path "$SCRATCH" --show-bin-path)/errand"

    log "swift test ErrandPostgresTests against $PG_URL"
    set +e
    ERRAND_TEST_POSTGRES_URL="$PG_URL" ERRAND_TEST_POSTGRES_CA="$PG_CA_FILE" swift test --traits Postgres --scratch-path "$SCRATCH" \
        --filter ErrandPostgresTests </dev/null 2>&1 | tee "$work/swift-test.log"
    rc=${PIPESTATUS[0]}
    set -e
    # Swift Testing closes with "Test run with N tests in M suites passed|failed after …".
    tests=$(grep -oE 'Test run with [0-9]+ tests?' "$work/swift-test.log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    issues=$(grep -oE 'with [0-9]+ issues?' "$work/swift-test.log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    if [ "$rc" -eq 0 ] && [ "$tests" -gt 0 ]; then
        passed=$((passed + tests))
    else
        failed=$((failed + (issues > 0 ? issues : 1)))
    fi
fi

log "multi-node test"
mkdir -p "$work/multinode"
set +e
export PG_DATA   # multinode.py stops and starts this server in its last scenario
.venv-v1/bin/python Tests/postgres/multinode.py "$bin" "$PG_URL" "$work/multinode" </dev/null | tee "$work/multinode.log"
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^multinode: [0-9]+ passed, [0-9]+ failed' "$work/multinode.log" | tail -1 || true)
if [ -n "$summary" ]; then
    passed=$((passed + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$summary")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")))
fi
if [ "$rc" -ne 0 ] && [ -z "$summary" ]; then failed=$((failed + 1)); fi
if [ "$rc" -ne 0 ]; then
    for f in "$work"/multinode/*.err; do
        [ -f "$f" ] || continue
        echo "--- last lines of $(basename "$f")"
        tail -n 20 "$f"
    done
fi

# The dashboard's nodes view over this cluster, in Chromium (needs what scripts/test-web.sh installs), on a
# database of its own so that nothing the multi-node test left behind shows.
if [ -x .venv-web/bin/python ] && command -v chromium >/dev/null 2>&1 && [ -x /usr/bin/chromedriver ]; then
    log "dashboard cluster view (Chromium)"
    as_pg_user "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U errand errand_web || die "createdb failed"
    set +e
    ERRAND_TEST_POSTGRES_URL="postgres://errand@127.0.0.1:$PG_PORT/errand_web" ERRAND_POSTGRES_BIN="$bin" \
        .venv-web/bin/python -m pytest Tests/web/test_cluster_view.py -q -p no:cacheprovider </dev/null
    rc=$?
    set -e
    if [ "$rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
else
    log "skipping the dashboard cluster view: no .venv-web or Chromium (scripts/test-web.sh installs them)"
fi

# A run that checked nothing (a server that never started, say) is a failure, not a pass.
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "test-postgres: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
