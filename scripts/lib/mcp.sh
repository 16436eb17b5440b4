# A tiny MCP client in curl + jq, for scripts/demo.sh. Source it; it defines functions only.
# shellcheck shell=bash
#
#   mcp_init URL            start a session: sets MCP_URL and MCP_SESSION
#   mcp_rpc METHOD [PARAMS [ID]]
#                           send a request in the session; prints the JSON-RPC answer (one line).
#                           Give distinct IDs to requests sent concurrently from subshells.
#   mcp_end                 DELETE the session
#
# The server may answer a POST with JSON or with an SSE stream; both are reduced to the answer.

MCP_URL=""
MCP_SESSION=""
_mcp_id=0

# mcp_to_json: reduce a JSON or SSE body on stdin to the JSON-RPC response(s) it carries.
mcp_to_json() {
    sed -e '/^event:/d' -e '/^id:/d' -e '/^retry:/d' -e '/^:/d' -e 's/^data: \{0,1\}//' \
        | jq -c 'select(has("result") or has("error"))'
}

_mcp_post() {
    curl -sS --fail-with-body "$MCP_URL" \
        -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' \
        ${MCP_SESSION:+-H "Mcp-Session-Id: $MCP_SESSION"} \
        ${MCP_SESSION:+-H 'MCP-Protocol-Version: 2025-11-25'} \
        "$@"
}

mcp_init() {
    MCP_URL="$1"
    MCP_SESSION=""
    local headers answer
    headers="$(mktemp)"
    answer="$(_mcp_post -D "$headers" -d '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"errand-demo","version":"1.0"}}}' \
        | mcp_to_json)" || { rm -f "$headers"; return 1; }
    MCP_SESSION="$(tr -d '\r' < "$headers" | awk 'tolower($1) == "mcp-session-id:" { print $2 }')"
    rm -f "$headers"
    [ -n "$MCP_SESSION" ] || { echo "no Mcp-Session-Id from $MCP_URL: $answer" >&2; return 1; }
    _mcp_post -o /dev/null -d '{"jsonrpc":"2.0","method":"notifications/initialized"}'
}

mcp_rpc() {
    local method="$1" params="${2:-}" id="${3:-}" body
    if [ -z "$id" ]; then
        _mcp_id=$((_mcp_id + 1))
        id=$_mcp_id
    fi
    if [ -n "$params" ]; then
        body="$(jq -cn --arg m "$method" --argjson p "$params" --argjson id "$id" \
            '{jsonrpc:"2.0", id:$id, method:$m, params:$p}')"
    else
        body="$(jq -cn --arg m "$method" --argjson id "$id" '{jsonrpc:"2.0", id:$id, method:$m}')"
    fi
    _mcp_post -d "$body" | mcp_to_json
}

mcp_end() {
    [ -n "$MCP_SESSION" ] || return 0
    curl -sS -o /dev/null -X DELETE "$MCP_URL" -H "Mcp-Session-Id: $MCP_SESSION" \
        -H 'MCP-Protocol-Version: 2025-11-25' || true
    MCP_SESSION=""
}
