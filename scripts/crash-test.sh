#!/usr/bin/env bash
# Crash test of the SQLite task store: kill -9 a busy `errand serve`, restart it on the same file, check that
# no acknowledged task is lost and every task has its promised fate, then time a restart with 100,000 tasks.
# The checks are in Tests/crash/crash_test.py (Python standard library only).
#
# Environment: CONFIG (debug or release, default release: recovery time is measured on the real binary),
#              KEEP_WORK=1 keeps the working directory (database file and server log) for inspection.
# Exits non-zero on any violation.
set -euo pipefail
cd "$(dirname "$0")/.."

config=${CONFIG:-release}
log() { printf 'crash-test: %s\n' "$*" >&2; }

log "building errand and ErrandStoreTool ($config)"
# TRAITS (set by scripts/test.sh): build with the same traits as the rest of the run, so that this build does not
# replace the binary other suites use with one built differently.
traits=()
[ -n "${TRAITS:-}" ] && traits=(--traits "$TRAITS")
swift build -c "$config" "${traits[@]}" --product errand >/dev/null
swift build -c "$config" "${traits[@]}" --product ErrandStoreTool >/dev/null
bin_dir=$(swift build -c "$config" "${traits[@]}" --show-bin-path)

work=$(mktemp -d "${TMPDIR:-/tmp}/errand-crash-test.XXXXXX")
cleanup() {
    if [ "${KEEP_WORK:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Public/ is the dashboard's default directory; run from the repository so it resolves.
python3 Tests/crash/crash_test.py "$bin_dir/errand" "$bin_dir/ErrandStoreTool" "$work"
