-- wrk script: POSTs `sleep` with `seconds: 0` as a task to Errand's REST API (no session needed).
--
--   wrk -t2 -c32 -d10s --latency -s scripts/bench/submit-rest.lua http://127.0.0.1:PORT
--
-- Every 202 is a created task; wrk reports anything else as "Non-2xx or 3xx responses".
wrk.method = "POST"
wrk.path = "/api/tools/sleep/call?task=true"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"seconds":0}'
