#!/usr/bin/env bash
# What one PostgreSQL node sends per task: pg_stat_statements (with planning tracked) over N no-op tasks submitted
# over REST, printed as calls, execution and planning time per task for each statement. Statement counts do not
# depend on the build; the times are the server's, for the build given. The starting point of issue 15 (CPU per
# task); not a throughput benchmark (scripts/bench-stores.sh is that).
#
#   scripts/pg-statements.sh                 # debug build with the Postgres trait (.build-pg), 1,000 tasks
#   N=5000 ERRAND_BIN=.build-release-postgres/release/errand scripts/pg-statements.sh
#
# Starts a throwaway PostgreSQL (scripts/lib/postgres.sh) with pg_stat_statements preloaded, one `errand serve`
# node on it with raised anonymous limits, submits N `sleep(0)` tasks from 16 threads, waits until all completed,
# prints the table, and stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/common.sh
source scripts/lib/common.sh
# shellcheck source=lib/postgres.sh
source scripts/lib/postgres.sh

N=${N:-1000}
bin=${ERRAND_BIN:-}
if [ -z "$bin" ]; then
    log "swift build --traits Postgres (scratch path .build-pg)"
    swift build --traits Postgres --scratch-path .build-pg --product errand </dev/null >/dev/null || die "build failed"
    bin=.build-pg/debug/errand
fi

work=$(mktemp -d)
chmod 755 "$work"
ERRAND_SERVER_PID=""
cleanup() {
    stop_errand "$ERRAND_SERVER_PID"
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT

start_postgres "$work"
options="$(sed 's/^[^ ]* //' "$PG_DATA/postmaster.opts")"
as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$work/postgres.log" -w start \
    -o "$options -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all \
        -c pg_stat_statements.track_planning=on" >/dev/null || die "PostgreSQL did not restart with pg_stat_statements"
psql=("$PG_BIN/psql" "$PG_URL" -v ON_ERROR_STOP=1 -q -At)
"${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"

start_errand pg-statements "$work" "$bin" serve --port 0 --store "$PG_URL" --node n1 --log-level error \
    --anonymous-submissions-per-minute 1000000 --anonymous-concurrent-tasks 1000000 \
    --anonymous-queued-tasks 1000000 || die "errand did not start"
"${psql[@]}" -c "SELECT pg_stat_statements_reset()" >/dev/null

log "submitting $N sleep(0) tasks"
python3 - "$ERRAND_SERVER_URL" "$N" <<'PY'
import concurrent.futures, json, sys, time, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
def submit(_):
    request = urllib.request.Request(base + "/api/tools/sleep/call?task=true", data=b'{"seconds":0}', method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["id"]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    ids = list(pool.map(submit, range(n)))
deadline = time.time() + 120
while time.time() < deadline:
    with urllib.request.urlopen(base + "/api/stats", timeout=30) as response:
        if json.load(response)["byStatus"].get("completed", 0) >= n:
            sys.exit(0)
    time.sleep(0.2)
sys.exit(f"not all {n} tasks completed within 120 s")
PY

printf '%-8s %-8s %-10s %-10s %-7s %s\n' per_task calls exec_ms plan_ms plans statement
"${psql[@]}" -F ' ' -c "
    SELECT to_char(calls::numeric / $N, 'FM990.00'), calls, to_char(total_exec_time, 'FM99990.0'),
           to_char(total_plan_time, 'FM99990.0'), plans, left(regexp_replace(query, '\s+', ' ', 'g'), 90)
    FROM pg_stat_statements
    WHERE query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE 'SELECT%FROM errand_schema%' AND calls > 0
    ORDER BY calls DESC LIMIT 20" | while read -r per calls exec plan plans rest; do
    printf '%-8s %-8s %-10s %-10s %-7s %s\n' "$per" "$calls" "$exec" "$plan" "$plans" "$rest"
done
