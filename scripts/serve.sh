#!/usr/bin/env bash
# Build Errand (release) and run its server; arguments go to `errand serve`, whose defaults are
# 127.0.0.1:8080, the demo tools, the dashboard from ./Public and the SQLite store sqlite:data/errand.sqlite
# (relative to the repository root, where this script runs it; `--store memory` keeps nothing across restarts).
#
#   scripts/serve.sh                         # http://127.0.0.1:8080/mcp
#   scripts/serve.sh --port 9000 --log-level debug
#   scripts/serve.sh --store memory
#
# Installs libnghttp2-dev if it is missing (needed to build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh

ensure_apt_packages libnghttp2-dev || die "could not install libnghttp2-dev"
log "swift build -c release --product errand"
swift build -c release --product errand
exec .build/release/errand serve "$@"
