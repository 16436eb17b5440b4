-- wrk script: POSTs task-augmented `tools/call` of `sleep` with `seconds: 0` to an MCP endpoint.
--
--   MCP_SESSIONS=id1,id2,... wrk -t2 -c32 -d10s -s scripts/bench/submit.lua http://127.0.0.1:PORT/mcp
--
-- MCP_SESSIONS holds session ids made beforehand (curl initialize + notifications/initialized); thread i
-- uses id i (round robin), so the per-session active-task quota is spread. MCP_TTL sets the requested task
-- ttl in ms (default one day); MCP_LIMIT (with WRK_THREADS) stops after about that many tasks. A response counts as a created task when it is HTTP 200 and carries "task"
-- and no "error" (JSON-RPC errors such as a quota refusal come with HTTP 200). done() prints one line
-- `WRK_JSON {...}` that scripts/bench/bench_tasks.py wrk-check reads.

local sessions = {}
for id in string.gmatch(os.getenv("MCP_SESSIONS") or "", "[^,]+") do
    table.insert(sessions, id)
end
if #sessions == 0 then
    error("set MCP_SESSIONS to one or more comma-separated MCP session ids")
end

local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
    table.insert(threads, thread)
end

function init(args)
    local sid = sessions[((tid - 1) % #sessions) + 1]
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Accept"] = "application/json, text/event-stream"
    wrk.headers["Mcp-Session-Id"] = sid
    wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
    ttl = os.getenv("MCP_TTL") or "86400000"
    prefix = '{"jsonrpc":"2.0","id":'
    suffix = ',"method":"tools/call","params":{"name":"sleep","arguments":{"seconds":0},"task":{"ttl":'
        .. ttl .. '}}}'
    -- MCP_LIMIT: stop after about this many created tasks in all (split over WRK_THREADS threads);
    -- requests in flight at the stop may add up to one per connection.
    local limit = tonumber(os.getenv("MCP_LIMIT") or "0")
    local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
    per_thread_limit = limit > 0 and math.ceil(limit / nthreads) or 0
    sent = 0
    created = 0
    rpc_errors = 0
    first_error = ""
end

function request()
    sent = sent + 1
    return wrk.format(nil, nil, nil, prefix .. sent .. suffix)
end

function response(status, headers, body)
    if status == 200 and string.find(body, '"task"', 1, true) and not string.find(body, '"error"', 1, true) then
        created = created + 1
        if per_thread_limit > 0 and created >= per_thread_limit then
            wrk.thread:stop()
        end
    else
        rpc_errors = rpc_errors + 1
        if first_error == "" then
            first_error = status .. " " .. string.sub(body, 1, 160)
        end
    end
end

local function jsonstring(text)
    return '"' .. string.gsub(text, '[%c"\\]', function(c)
        return string.format("\\u%04x", string.byte(c))
    end) .. '"'
end

function done(summary, latency, requests)
    local created_total, errors_total, first = 0, 0, ""
    for _, thread in ipairs(threads) do
        created_total = created_total + (thread:get("created") or 0)
        errors_total = errors_total + (thread:get("rpc_errors") or 0)
        local e = thread:get("first_error") or ""
        if first == "" and e ~= "" then
            first = e
        end
    end
    local e = summary.errors
    local socket_errors = e.connect + e.read + e.write + e.timeout
    local seconds = summary.duration / 1e6
    io.write(string.format(
        'WRK_JSON {"threads":%d,"connections":%d,"requests":%d,"duration_s":%.3f,"requests_per_s":%.1f,'
            .. '"created":%d,"rpc_errors":%d,"http_status_errors":%d,"socket_errors":%d,'
            .. '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"first_error":%s}\n',
        #threads, tonumber(os.getenv("WRK_CONNECTIONS") or "0"), summary.requests, seconds, summary.requests / seconds,
        created_total, errors_total, e.status, socket_errors,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, jsonstring(first)))
end
