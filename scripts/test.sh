#!/usr/bin/env bash
# The one test command (CI runs it through .ci/run): installs what is missing, builds, runs
# `swift test`, then every pytest suite listed below against a freshly started errand binary, then the
# script suites listed below (each starts its own servers from the same binary).
#
#   scripts/test.sh              everything
#   ERRAND_URL=http://127.0.0.1:8765/mcp scripts/test.sh
#                                run the pytest suites against an already running server instead
#
# Exit status: 0 only if every step passed. Logs: artifacts/test-logs/.
set -euo pipefail

# Python suites: "directory under Tests/  venv  requirements file". Add a line to add a suite.
PYTEST_SUITES=(
    "interop     .venv-v1  Tests/requirements-v1.txt"
    "interop_v2  .venv-v2  Tests/requirements-v2.txt"
    "badinput    .venv-badinput  Tests/requirements-badinput.txt"
)
# Suites that are whole scripts (they install what they need and start their own servers from $ERRAND_BIN).
SCRIPT_SUITES=(
    scripts/test-web.sh
    scripts/test-example.sh   # Examples/FileAudit: its own build and test, then its tools end to end
    scripts/test-h2.sh
    scripts/crash-test.sh
    scripts/test-postgres.sh
    scripts/load-test.sh   # 5,000 subscribers, 1,000 tasks/s for 60 s, 500 slowloris (~100 s run)
)
export CONFIG="${CONFIG:-debug}"   # crash-test.sh reuses the debug build instead of building release
# One build for everything: with the Postgres trait, so `swift test` also runs the PostgreSQL store tests against
# the throwaway server started below and test-postgres.sh reuses the binary (TRAITS= builds without it).
export TRAITS="${TRAITS-Postgres}"
APT_PACKAGES=(libnghttp2-dev nghttp2-client curl jq)
BUILD_TIMEOUT=1500   # seconds; a first build fetches and compiles every dependency
STEP_TIMEOUT=900     # seconds for `swift test` and for each pytest suite

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh
TRAIT_ARGS=()
[ -n "$TRAITS" ] && TRAIT_ARGS=(--traits "$TRAITS")

LOG_DIR="$ROOT/artifacts/test-logs"
mkdir -p "$LOG_DIR"
# Servers started by the suites write their pid here; whatever is left is killed on exit.
ERRAND_PID_DIR="$(mktemp -d)"
export ERRAND_PID_DIR

cleanup() {
    local f pid
    for f in "$ERRAND_PID_DIR"/*; do
        [ -f "$f" ] || continue
        pid="$(cat "$f")"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            warn "stopping leftover server pid $pid"
            kill -TERM "$pid" 2>/dev/null || true
            sleep 1
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$ERRAND_PID_DIR"
    stop_postgres
    [ -n "${PG_WORK:-}" ] && rm -rf "$PG_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

START=$SECONDS
SUMMARY=()
FAILED=0
PY_PASSED=0
PY_FAILED=0
PY_SKIPPED=0

# record NAME STATUS SECONDS [DETAIL]
record() {
    local name="$1" status="$2" secs="$3" detail="${4:-}"
    SUMMARY+=("$(printf '%-22s %-6s %5ss  %s' "$name" "$status" "$secs" "$detail")")
    [ "$status" = "ok" ] || FAILED=1
}

# run_logged LOG CMD...: run CMD with output to the terminal and LOG; return CMD's exit status.
run_logged() {
    local logfile="$1"
    shift
    set +e
    "$@" 2>&1 | tee "$logfile"
    local rc="${PIPESTATUS[0]}"
    set -e
    return "$rc"
}

# tally_pytest LOG: read pytest's closing line ("=== 3 failed, 60 passed, 2 skipped in 30.1s ===") into
# $closing and add its counts to the totals; leaves $closing empty when the log has none.
tally_pytest() {
    # Quiet pytest runs print the line without the '=' frame; scripts may print "name: N passed, N failed".
    closing="$( { grep -E '(^|[ =:])[0-9]+ (passed|failed|error)|no tests ran' "$1" || true; } | tail -1 \
        | tr -d '=' | sed 's/^ *//; s/ *$//')"
    count() { grep -oE "[0-9]+ $1" <<<"$closing" | grep -oE '^[0-9]+' || echo 0; }
    PY_PASSED=$((PY_PASSED + $(count passed)))
    PY_FAILED=$((PY_FAILED + $(count failed) + $(count error)))
    PY_SKIPPED=$((PY_SKIPPED + $(count skipped)))
}

# ---------------------------------------------------------------- 1. system packages and venvs
t0=$SECONDS
if ensure_apt_packages "${APT_PACKAGES[@]}"; then
    record "apt packages" ok $((SECONDS - t0))
else
    record "apt packages" FAIL $((SECONDS - t0))
fi

declare -A VENV_OK=()
for line in "${PYTEST_SUITES[@]}"; do
    read -r suite venv req <<<"$line"
    [ -n "${VENV_OK[$venv]:-}" ] && continue
    t0=$SECONDS
    if (ensure_venv "$venv" "$req"); then
        VENV_OK[$venv]=ok
        record "venv $venv" ok $((SECONDS - t0))
    else
        VENV_OK[$venv]=FAIL
        record "venv $venv" FAIL $((SECONDS - t0)) "pip install -r $req failed"
    fi
done

# A throwaway PostgreSQL server for the store tests in `swift test` (only when building with the trait).
if [[ "$TRAITS" == *Postgres* ]]; then
    t0=$SECONDS
    PG_WORK="$(mktemp -d)"
    chmod 755 "$PG_WORK"
    if (start_postgres "$PG_WORK") >"$LOG_DIR/postgres.log" 2>&1; then
        # start_postgres ran in a subshell so a failure is recorded, not fatal: read back what it set.
        PG_DATA="$PG_WORK/pgdata"
        PG_BIN="$(find_pg_bin)"
        PG_PORT="$(grep -oE '127\.0\.0\.1:[0-9]+' "$LOG_DIR/postgres.log" | tail -1 | cut -d: -f2)"
        export ERRAND_TEST_POSTGRES_URL="postgres://errand@127.0.0.1:$PG_PORT/errand"
        export ERRAND_TEST_POSTGRES_CA="$PG_WORK/tls/ca.crt"   # the server's TLS certificate is signed by it
        export ERRAND_POSTGRES_BIN_BUILT=1   # test-postgres.sh: the store tests ran in `swift test`
        record "postgres server" ok $((SECONDS - t0)) "127.0.0.1:$PG_PORT"
    else
        record "postgres server" FAIL $((SECONDS - t0)) "see artifacts/test-logs/postgres.log"
    fi
fi

# ---------------------------------------------------------------- 2. swift build + swift test
t0=$SECONDS
BUILD_OK=0
log "swift build ${TRAIT_ARGS[*]}"
if run_logged "$LOG_DIR/swift-build.log" timeout "$BUILD_TIMEOUT" swift build "${TRAIT_ARGS[@]}" </dev/null; then
    BUILD_OK=1
    record "swift build" ok $((SECONDS - t0))
else
    record "swift build" FAIL $((SECONDS - t0)) "see artifacts/test-logs/swift-build.log"
fi

if [ "$BUILD_OK" -eq 1 ]; then
    BIN_DIR="$(swift build "${TRAIT_ARGS[@]}" --show-bin-path 2>/dev/null || echo "$ROOT/.build/debug")"
    export ERRAND_BIN="${ERRAND_BIN:-$BIN_DIR/errand}"
    t0=$SECONDS
    log "swift test"
    if run_logged "$LOG_DIR/swift-test.log" timeout "$STEP_TIMEOUT" swift test "${TRAIT_ARGS[@]}" </dev/null; then
        record "swift test" ok $((SECONDS - t0))
    else
        record "swift test" FAIL $((SECONDS - t0)) "see artifacts/test-logs/swift-test.log"
    fi
else
    record "swift test" FAIL 0 "not run: swift build failed"
fi

# The fuzz targets, built without libFuzzer, replay the committed seed corpus through the same invariants.
if [ "$BUILD_OK" -eq 1 ]; then
    t0=$SECONDS
    if run_logged "$LOG_DIR/fuzz-http-corpus.log" "$BIN_DIR/HTTPParserFuzz" "$ROOT/Fuzz/corpus/http" \
        && run_logged "$LOG_DIR/fuzz-jsonrpc-corpus.log" "$BIN_DIR/JSONRPCFuzz" "$ROOT/Fuzz/corpus/jsonrpc"; then
        record "fuzz corpus replay" ok $((SECONDS - t0))
    else
        record "fuzz corpus replay" FAIL $((SECONDS - t0)) "see artifacts/test-logs/fuzz-*-corpus.log"
    fi
else
    record "fuzz corpus replay" FAIL 0 "not run: swift build failed"
fi

# ---------------------------------------------------------------- 3. pytest suites
for line in "${PYTEST_SUITES[@]}"; do
    read -r suite venv req <<<"$line"
    name="pytest $suite"
    if [ "${VENV_OK[$venv]}" != ok ]; then
        record "$name" FAIL 0 "not run: $venv could not be set up"
        continue
    fi
    if [ "$BUILD_OK" -ne 1 ] && [ -z "${ERRAND_URL:-}" ]; then
        record "$name" FAIL 0 "not run: no errand binary (swift build failed)"
        continue
    fi
    t0=$SECONDS
    log "pytest Tests/$suite (${ERRAND_URL:-errand binary $ERRAND_BIN})"
    logfile="$LOG_DIR/pytest-$suite.log"
    if run_logged "$logfile" timeout "$STEP_TIMEOUT" "$venv/bin/python" -m pytest "Tests/$suite" \
        -p no:cacheprovider --junitxml="$LOG_DIR/pytest-$suite.xml" </dev/null; then
        status=ok
    else
        status=FAIL
    fi
    tally_pytest "$logfile"
    record "$name" "$status" $((SECONDS - t0)) "${closing:-no pytest summary}"
done

# ---------------------------------------------------------------- 4. script suites
# The load test runs the binary built above (debug, with the traits): a release build of its own would add minutes
# to every run. Its release-build figures come from `scripts/load-test.sh` run by hand.
export LOAD_TEST_BIN="${LOAD_TEST_BIN:-${ERRAND_BIN:-}}"
for script in "${SCRIPT_SUITES[@]}"; do
    name="$(basename "$script" .sh)"
    if [ "$BUILD_OK" -ne 1 ]; then
        record "$name" FAIL 0 "not run: swift build failed"
        continue
    fi
    t0=$SECONDS
    log "$script"
    logfile="$LOG_DIR/$name.log"
    if run_logged "$logfile" timeout "$STEP_TIMEOUT" bash "$script" </dev/null; then
        status=ok
    else
        status=FAIL
    fi
    tally_pytest "$logfile"
    record "$name" "$status" $((SECONDS - t0)) "${closing:-see artifacts/test-logs/$name.log}"
done

# ---------------------------------------------------------------- summary
echo
echo "================================ test summary ================================"
printf '%s\n' "${SUMMARY[@]}"
echo "total time: $((SECONDS - START))s; logs in artifacts/test-logs/"
echo "pytest: ${PY_PASSED} passed, ${PY_FAILED} failed, ${PY_SKIPPED} skipped"
if [ "$FAILED" -ne 0 ]; then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: OK"
