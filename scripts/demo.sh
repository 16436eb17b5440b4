#!/usr/bin/env bash
# Replay the seeds' headline against a running server, with curl and jq:
#   1. sleep 3 s, 2 s, 1 s one after another          (~6 s)
#   2. the same three as concurrent plain calls        (~3 s)
#   3. the same three as tasks, polling their status   (~3 s)
#   4. fire-and-forget: start slow_computation as a task, end the session ("close the laptop"),
#      then fetch the result by task id from a new session ("check from the phone").
#
#   scripts/demo.sh [MCP-URL]        default http://127.0.0.1:8080/mcp (start it with scripts/serve.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/mcp.sh
source scripts/lib/mcp.sh

URL="${1:-http://127.0.0.1:8080/mcp}"
command -v jq >/dev/null || { echo "demo.sh needs jq (apt-get install jq)" >&2; exit 1; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
text_of() { jq -r 'if .error then "error \(.error.code): \(.error.message)" else .result.content[0].text end'; }

mcp_init "$URL" || { echo "cannot start an MCP session at $URL (is the server running?)" >&2; exit 1; }
trap mcp_end EXIT
echo "session $MCP_SESSION at $URL"
echo

echo "1. three sleep calls, one after another"
t0=$(now)
for s in 3 2 1; do
    echo "   $(mcp_rpc tools/call "{\"name\":\"sleep\",\"arguments\":{\"seconds\":$s}}" | text_of)"
done
echo "   sequential: $(since "$t0") s"
echo

echo "2. the same three as concurrent plain calls"
t0=$(now)
out="$(mktemp -d)"
for s in 3 2 1; do
    mcp_rpc tools/call "{\"name\":\"sleep\",\"arguments\":{\"seconds\":$s}}" "$((9000 + s))" > "$out/$s" &
done
wait
for s in 3 2 1; do echo "   $(text_of < "$out/$s")"; done
rm -rf "$out"
echo "   concurrent: $(since "$t0") s"
echo

echo "3. the same three as background tasks, polling their status"
t0=$(now)
ids=()
for s in 3 2 1; do
    ids+=("$(mcp_rpc tools/call "{\"name\":\"sleep\",\"arguments\":{\"seconds\":$s},\"task\":{\"ttl\":600000}}" \
        | jq -r '.result.task.taskId')")
done
echo "   submitted in $(since "$t0") s: ${ids[*]}"
while :; do
    line=""
    pending=0
    for id in "${ids[@]}"; do
        st="$(mcp_rpc tasks/get "{\"taskId\":\"$id\"}" | jq -r '.result.status')"
        line+=" ${id:0:8}=$st"
        [ "$st" = working ] && pending=1
    done
    echo "   t+$(since "$t0") s:$line"
    [ "$pending" -eq 1 ] || break
    sleep 0.2
done
for id in "${ids[@]}"; do
    echo "   ${id:0:8}: $(mcp_rpc tasks/result "{\"taskId\":\"$id\"}" | text_of)"
done
echo "   as tasks, including polling and fetching the results: $(since "$t0") s"
echo

echo "4. fire and forget, then check from another session"
t0=$(now)
task="$(mcp_rpc tools/call '{"name":"slow_computation","arguments":{"duration":3},"task":{"ttl":600000}}' \
    | jq -r '.result.task.taskId')"
echo "   started slow_computation as task $task"
old_session="$MCP_SESSION"
mcp_end
echo "   ended session $old_session (the laptop is closed)"
mcp_init "$URL"
echo "   new session $MCP_SESSION (the phone)"
while :; do
    got="$(mcp_rpc tasks/get "{\"taskId\":\"$task\"}")"
    if jq -e .error >/dev/null <<<"$got"; then
        echo "   tasks/get from the new session failed: $(jq -c .error <<<"$got")"
        exit 1
    fi
    echo "   t+$(since "$t0") s: $(jq -r '.result | "\(.status) \(.statusMessage // "")"' <<<"$got")"
    [ "$(jq -r .result.status <<<"$got")" = working ] || break
    sleep 1
done
echo "   result: $(mcp_rpc tasks/result "{\"taskId\":\"$task\"}" | text_of)"
echo "   fire and forget: $(since "$t0") s"
