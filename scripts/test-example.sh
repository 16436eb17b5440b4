#!/usr/bin/env bash
# The example package (Examples/FileAudit): a separate Swift package that depends on Errand by path and serves
# tools of its own through Errand's command line. Builds it, runs its `swift test`, then starts
# `file-audit serve` and checks its tools end to end over REST (a fan-out task, its children, its log).
# Prints one line per check and "N passed, N failed"; exits non-zero if any check failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
ensure_apt_packages curl jq || die "could not install curl and jq"

passed=0
failed=0
check() { # check NAME CONDITION-COMMAND...
    local name="$1"
    shift
    if "$@"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        failed=$((failed + 1))
    fi
}

cd Examples/FileAudit
log "swift build (Examples/FileAudit)"
swift build </dev/null || die "the example package does not build"
log "swift test (Examples/FileAudit)"
if swift test </dev/null; then
    echo "ok   example swift test"
    passed=$((passed + 1))
else
    echo "FAIL example swift test"
    failed=$((failed + 1))
fi
bin="$(swift build --show-bin-path)/file-audit"

work=$(mktemp -d)
ERRAND_SERVER_PID=""
cleanup() {
    stop_errand "$ERRAND_SERVER_PID"
    rm -rf "$work"
}
trap cleanup EXIT

check "file-audit --help names the program and its subcommands" \
    bash -c "'$bin' --help | grep -q 'USAGE: file-audit' && '$bin' --help | grep -q worker"

start_errand test-example "$work" "$bin" serve --port 0 --store memory --public-dir "$ROOT/Public" \
    --log-level warning || die "file-audit serve did not start"
base=$ERRAND_SERVER_URL

tools=$(curl -sS "$base/api/tools" | jq -r '[.tools[].name] | sort | join(",")')
check "it serves its own tools, not the demo tools ($tools)" test "$tools" = "audit_tree,count_lines"

task=$(curl -sS -X POST "$base/api/tools/audit_tree/call?task=true" -d "{\"path\":\"$ROOT/Sources\"}")
id=$(jq -r '.id' <<<"$task")
result=$(curl -sS "$base/api/tasks/$id/result?wait=60s")
check "audit_tree completed" test "$(jq -r '.status' <<<"$result")" = completed
folders=$(find "$ROOT/Sources" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)
check "one folder counted per folder of Sources ($folders)" \
    test "$(jq -r '.result.structuredContent.folders' <<<"$result")" = "$folders"
swift_lines=$(find "$ROOT/Sources" -name '*.swift' -type f -print0 | xargs -0 cat | wc -l)
check "the Swift line total matches wc -l ($swift_lines)" \
    test "$(jq -r '.result.structuredContent.total.extensions.swift.lines' <<<"$result")" = "$swift_lines"
children=$(curl -sS "$base/api/tasks?tool=count_lines&limit=1000" | jq --arg id "$id" '[.tasks[] | select(.parentTaskId == $id)] | length')
check "each folder ran as a child task linked to its parent ($children)" test "$children" = "$folders"
check "the parent's log names the folders it audits" \
    bash -c "curl -sS '$base/api/tasks/$id/log' | grep -q 'auditing $folders folders'"
bad=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/api/tools/count_lines/call?task=true" -d '{"path":7}')
check "a bad argument is refused before a task exists (HTTP $bad)" test "$bad" = 422

echo "example: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
