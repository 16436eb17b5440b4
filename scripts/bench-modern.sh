#!/usr/bin/env bash
# MCP 2026-07-28 tasks: Errand beside the FastMCP 4.1.2 reference server, with the same mcp 2.3.0 client
# (and fastmcp-tasks' TasksClientExtension), in one run on loopback:
#
#   scripts/bench-modern.sh           # about 2 minutes plus the release build
#
# Builds errand in release, sets up .venv-v2 (Tests/requirements-v2.txt, which has the reference server's
# pins too), then runs scripts/bench/bench_modern.py: submit latency, tasks/s with 50 concurrent callers, and
# the time from completion to the client knowing (polling on both, subscriptions/listen push on Errand).
# The JSON report lands in artifacts/bench-modern.json.
#
# Environment knobs: BENCH_QUICK=1 (small counts), BENCH_SKIP_BUILD=1, CALLERS (50), DURATION (10 s).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/common.sh
source scripts/lib/common.sh

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    log "swift build -c release --product errand"
    swift build -c release --product errand
fi
ensure_venv .venv-v2 Tests/requirements-v2.txt

ARGS=(--callers "${CALLERS:-50}" --duration "${DURATION:-10}")
[[ "${BENCH_QUICK:-0}" == 1 ]] && ARGS=(--callers 5 --duration 2 --submits 20 --knowing 2)
mkdir -p artifacts
.venv-v2/bin/python scripts/bench/bench_modern.py --errand-bin "$(swift build -c release --show-bin-path)/errand" \
    "${ARGS[@]}" | tee artifacts/bench-modern.json
