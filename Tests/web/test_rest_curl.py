"""The REST flow as a person types it: curl against a live server, and the same tasks seen over MCP."""

from __future__ import annotations

import json
import subprocess
import time


def wait_for_status(curl, task_id: str, statuses: set[str], timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        task = curl("GET", f"/api/tasks/{task_id}").json()
        if task["status"] in statuses or time.monotonic() > deadline:
            return task
        time.sleep(0.2)


def test_start_poll_and_fetch_the_result(curl):
    created = curl("POST", "/api/tools/slow_computation/call?task=true", '{"duration": 2}')
    assert created.status == 202
    task = created.json()
    assert created.headers["location"] == f"/api/tasks/{task['id']}"
    assert task["tool"] == "slow_computation" and task["arguments"] == {"duration": 2}
    assert task["status"] in {"queued", "working"}

    polled = curl("GET", created.headers["location"])
    assert polled.status == 200 and polled.json()["id"] == task["id"]

    early = curl("GET", f"/api/tasks/{task['id']}/result")
    assert early.status == 202 and int(early.headers["retry-after"]) >= 1

    result = curl("GET", f"/api/tasks/{task['id']}/result?wait=5s")
    assert result.status == 200, result.text
    outcome = result.json()
    assert outcome["status"] == "completed"
    assert outcome["result"]["content"][0]["text"] == "computed 2 steps"

    history = [entry["status"] for entry in curl("GET", f"/api/tasks/{task['id']}").json()["history"]]
    assert history[-1] == "completed"


def test_plain_call_answers_at_once(curl):
    response = curl("POST", "/api/tools/echo/call", '{"text": "hello"}')
    assert response.status == 200
    assert response.json()["content"][0]["text"] == "hello"


def test_prefer_respond_async(curl):
    response = curl("POST", "/api/tools/sleep/call", '{"seconds": 0}', headers={"Prefer": "respond-async"})
    assert response.status == 202 and response.headers["location"].startswith("/api/tasks/")


def test_cancel_then_delete(curl):
    task_id = curl.start("slow_computation", {"duration": 60})
    running_delete = curl("DELETE", f"/api/tasks/{task_id}")
    assert running_delete.status == 409
    assert "cancel it first" in running_delete.json()["detail"]

    cancelled = curl("POST", f"/api/tasks/{task_id}/cancel")
    assert cancelled.status == 200 and cancelled.json()["status"] == "cancelled"
    again = curl("POST", f"/api/tasks/{task_id}/cancel")
    assert again.status == 409 and again.headers["content-type"] == "application/problem+json"

    result = curl("GET", f"/api/tasks/{task_id}/result")
    assert result.status == 200 and result.json()["status"] == "cancelled" and "result" not in result.json()

    assert curl("DELETE", f"/api/tasks/{task_id}").status == 204
    gone = curl("GET", f"/api/tasks/{task_id}")
    assert gone.status == 404 and gone.json()["status"] == 404


def test_errors_are_problems_a_person_can_act_on(curl):
    cases = [
        ("GET", "/api/nope", None, 404),
        ("POST", "/api/tools/nope/call", "{}", 404),
        ("POST", "/api/tools/echo/call", "[1]", 400),
        ("POST", "/api/tools/echo/call", "{oops", 400),
        ("POST", "/api/tools/must_be_background/call", "{}", 409),
        ("POST", "/api/tools/sync_only/call?task=true", "{}", 409),
        ("POST", "/api/tools/slow_computation/call?task=true", '{"duration": "long"}', 422),
        ("GET", "/api/tasks?status=running", None, 400),
        ("GET", "/api/tasks?cursor=garbage", None, 400),
        ("GET", "/api/tasks/not-a-task", None, 404),
    ]
    for method, path, body, status in cases:
        response = curl(method, path, body)
        assert response.status == status, (method, path, response.text)
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["status"] == status and problem["title"] and len(problem["detail"]) > 10

    required = curl("POST", "/api/tools/must_be_background/call", "{}").json()
    assert "add ?task=true" in required["detail"]
    invalid = curl("POST", "/api/tools/slow_computation/call?task=true", "{}").json()
    assert invalid["problems"] == ["missing required argument 'duration'"]

    wrong_method = curl("PUT", "/api/tasks")
    assert wrong_method.status == 405 and wrong_method.headers["allow"] == "GET"


def test_list_filters(curl):
    task_id = curl.start("sleep", {"seconds": 0})
    wait_for_status(curl, task_id, {"completed"})
    listed = curl("GET", "/api/tasks?tool=sleep&status=completed&limit=1000").json()["tasks"]
    assert task_id in [task["id"] for task in listed]
    assert all(task["tool"] == "sleep" and task["status"] == "completed" for task in listed)
    created = [task["createdAt"] for task in curl("GET", "/api/tasks").json()["tasks"]]
    assert created == sorted(created, reverse=True)


def read_events(output: str) -> list[dict]:
    events = []
    for block in output.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                fields[name] = fields[name] + "\n" + value if name in fields and name == "data" else value
        if fields:
            events.append(fields)
    return events


def test_event_stream_follows_one_task(curl, base_url):
    task_id = curl.start("slow_computation", {"duration": 2})
    stream = subprocess.run(
        ["curl", "-sS", "-N", "--max-time", "5", f"{base_url}/api/events?task={task_id}"],
        capture_output=True, text=True)
    assert stream.returncode == 28, stream.stderr  # 28: ended by --max-time, as an endless stream should be
    events = read_events(stream.stdout)
    assert events[0]["event"] == "ready" and events[0]["retry"] == "2000"
    task_events = [json.loads(event["data"]) for event in events if event.get("event") == "task"]
    assert task_events, stream.stdout
    assert all(event["task"]["id"] == task_id for event in task_events)
    assert {"progress", "status"} <= {event["type"] for event in task_events}
    assert task_events[-1]["task"]["status"] == "completed"
    ids = [int(event["id"]) for event in events if event.get("event") == "task"]
    assert ids == sorted(ids) and ids == [event["sequence"] for event in task_events]

    # Resuming after the opening event replays what happened since.
    replay = subprocess.run(
        ["curl", "-sS", "-N", "--max-time", "1", "-H", f"Last-Event-ID: {events[0]['id']}",
         f"{base_url}/api/events?task={task_id}"], capture_output=True, text=True)
    replayed = [json.loads(e["data"]) for e in read_events(replay.stdout) if e.get("event") == "task"]
    assert [e["sequence"] for e in replayed] == [e["sequence"] for e in task_events]


class MCPSession:
    def __init__(self, curl):
        self.curl = curl
        response = self.post({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "curl", "version": "1"}}})
        self.session = response.headers["mcp-session-id"]
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, message: dict):
        headers = {"Accept": "application/json, text/event-stream"}
        if getattr(self, "session", None):
            headers |= {"Mcp-Session-Id": self.session, "MCP-Protocol-Version": "2025-11-25"}
        return self.curl("POST", "/mcp", json.dumps(message), headers=headers)

    def call(self, method: str, params: dict) -> dict:
        response = self.post({"jsonrpc": "2.0", "id": 2, "method": method, "params": params})
        assert response.status == 200, response.text
        return response.json()


def test_rest_and_mcp_share_tasks(curl):
    mcp = MCPSession(curl)
    rest_task = curl.start("sleep", {"seconds": 0})
    seen = mcp.call("tasks/get", {"taskId": rest_task})
    assert seen["result"]["taskId"] == rest_task

    created = mcp.call("tools/call", {"name": "slow_computation", "arguments": {"duration": 1}, "task": {}})
    mcp_task = created["result"]["task"]["taskId"]
    over_rest = curl("GET", f"/api/tasks/{mcp_task}")
    assert over_rest.status == 200 and over_rest.json()["tool"] == "slow_computation"
    result = curl("GET", f"/api/tasks/{mcp_task}/result?wait=5s").json()
    assert result["status"] == "completed" and result["result"]["content"][0]["text"] == "computed 1 steps"


def test_health_readiness_and_metrics(curl):
    assert curl("GET", "/healthz").status == 200
    assert curl("GET", "/readyz").status == 200
    metrics = curl("GET", "/metrics")
    assert metrics.status == 200 and metrics.headers["content-type"].startswith("text/plain")
    for name in ("errand_tasks{status=\"completed\"}", "errand_queue_depth", "errand_tasks_running",
                 "errand_event_subscribers", "errand_mcp_sessions", "errand_http_requests_total{status=\"200\"}",
                 "errand_task_submit_seconds_bucket", "errand_task_run_seconds_count"):
        assert name in metrics.text, name
