"""Bad input to the REST API under /api (openapi.yaml): bodies, arguments, query parameters, ids, routes.

Refusals are `application/problem+json` (RFC 9457) with the status openapi.yaml documents: 400 for a body or
query parameter that cannot be read, 404 for unknown routes, tools and tasks, 405 for a wrong method, 409 for
a task-mode conflict, 422 for arguments that do not match the tool's schema.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from wire import Server, raw_exchange, request_bytes

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@dataclass
class Case:
    id: str
    method: str
    path: str
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


CALL = "/api/tools/sleep/call"
CASES: list[Case] = [
    # --- bodies that are not a JSON object (400)
    Case("body-truncated-json", "POST", CALL, 400, b'{"seconds":'),
    Case("body-trailing-garbage", "POST", CALL, 400, b'{"seconds":0}}'),
    Case("body-invalid-utf8", "POST", CALL, 400, b'{"seconds":0,"x":"\xff"}'),
    Case("body-nul-byte", "POST", CALL, 400, b'{"seconds":0}\x00'),
    Case("body-deep-nesting", "POST", CALL, 400, b'{"x":' + b"[" * 1000 + b"]" * 1000 + b"}"),
    Case("body-1e400", "POST", CALL, 400, b'{"seconds":1e400}'),
    Case("body-array", "POST", CALL, 400, b"[0]"),
    Case("body-string", "POST", CALL, 400, b'"seconds"'),
    Case("body-number", "POST", CALL, 400, b"0"),
    Case("body-null", "POST", CALL, 400, b"null"),
    Case("body-true", "POST", CALL, 400, b"true"),
    # --- arguments that do not match the schema (422)
    Case("args-missing-required", "POST", CALL, 422, b"{}"),
    Case("args-wrong-type", "POST", CALL, 422, b'{"seconds":"1"}'),
    Case("args-below-minimum", "POST", CALL, 422, b'{"seconds":-1}'),
    Case("args-null", "POST", CALL, 422, b'{"seconds":null}'),
    Case("args-integer-fraction", "POST", "/api/tools/slow_computation/call", 422, b'{"duration":1.5}'),
    Case("args-integer-2-pow-64", "POST", "/api/tools/slow_computation/call", 422, b'{"duration":18446744073709551616}'),
    Case("args-integer-over-maximum", "POST", "/api/tools/slow_computation/call", 422, b'{"duration":86401}'),
    Case("args-enum-violated", "POST", "/api/tools/analyze_molecules/call?task=true", 422, b'{"models":["magic"]}'),
    Case("args-too-many-items", "POST", "/api/tools/analyze_molecules/call?task=true", 422,
         b'{"models":["toxicity","toxicity","toxicity","toxicity"]}'),
    # --- query parameters (400)
    Case("task-flag-not-boolean", "POST", CALL + "?task=maybe", 400, b'{"seconds":0}'),
    Case("ttl-negative", "POST", CALL + "?task=true&ttl=-1", 400, b'{"seconds":0}'),
    Case("ttl-not-a-number", "POST", CALL + "?task=true&ttl=1h", 400, b'{"seconds":0}'),
    Case("ttl-beyond-int64", "POST", CALL + "?task=true&ttl=99999999999999999999", 400, b'{"seconds":0}'),
    Case("priority-out-of-range", "POST", CALL + "?task=true&priority=1000001", 400, b'{"seconds":0}'),
    Case("priority-fraction", "POST", CALL + "?task=true&priority=1.5", 400, b'{"seconds":0}'),
    Case("list-limit-zero", "GET", "/api/tasks?limit=0", 400),
    Case("list-limit-over-1000", "GET", "/api/tasks?limit=1001", 400),
    Case("list-limit-not-a-number", "GET", "/api/tasks?limit=ten", 400),
    Case("list-status-unknown", "GET", "/api/tasks?status=working,exploded", 400),
    Case("list-created-after-garbage", "GET", "/api/tasks?created_after=yesterday", 400),
    Case("list-created-before-bad-date", "GET", "/api/tasks?created_before=2026-13-45T99:99:99Z", 400),
    Case("list-cursor-empty", "GET", "/api/tasks?cursor=", 400),
    Case("list-cursor-garbage", "GET", "/api/tasks?cursor=%ff%fe", 400),
    Case("result-wait-garbage", "GET", f"/api/tasks/{UNKNOWN}/result?wait=forever", 400),
    Case("result-wait-negative", "GET", f"/api/tasks/{UNKNOWN}/result?wait=-5s", 400),
    Case("events-last-event-id-garbage", "GET", "/api/events", 400, headers={"Last-Event-ID": "abc"}),
    Case("events-last-event-id-negative", "GET", "/api/events?lastEventId=-1", 400),
    Case("input-body-not-json", "POST", f"/api/tasks/{UNKNOWN}/input", 400, b'{"action":'),
    Case("input-body-array", "POST", f"/api/tasks/{UNKNOWN}/input", 400, b'["accept"]'),
    Case("input-action-missing", "POST", f"/api/tasks/{UNKNOWN}/input", 400, b'{"content":{}}'),
    Case("input-action-unknown", "POST", f"/api/tasks/{UNKNOWN}/input", 400, b'{"action":"approve"}'),
    Case("input-content-not-object", "POST", f"/api/tasks/{UNKNOWN}/input", 400, b'{"action":"accept","content":[1]}'),
    Case("log-format-unknown", "GET", f"/api/tasks/{UNKNOWN}/log?format=xml", 400),
    Case("log-follow-last-event-id-garbage", "GET", f"/api/tasks/{UNKNOWN}/log?follow=1", 400,
         headers={"Last-Event-ID": "line-3"}),
    Case("log-follow-last-event-id-negative", "GET", f"/api/tasks/{UNKNOWN}/log?follow=1&lastEventId=-1", 400),
    # --- unknown and malformed task ids (404)
    Case("task-unknown", "GET", f"/api/tasks/{UNKNOWN}", 404),
    Case("task-percent-nul", "GET", "/api/tasks/%00", 404),
    Case("task-encoded-traversal", "GET", "/api/tasks/..%2F..%2Fetc%2Fpasswd", 404),
    Case("task-10k-id", "GET", "/api/tasks/" + "t" * 7000, 404),
    Case("task-invalid-utf8-escape", "GET", "/api/tasks/%ff%fe%fd", 404),
    Case("result-unknown", "GET", f"/api/tasks/{UNKNOWN}/result", 404),
    Case("cancel-unknown", "POST", f"/api/tasks/{UNKNOWN}/cancel", 404),
    Case("log-unknown", "GET", f"/api/tasks/{UNKNOWN}/log", 404),
    Case("input-unknown", "POST", f"/api/tasks/{UNKNOWN}/input", 404, b'{"action":"decline"}'),
    Case("log-follow-unknown", "GET", f"/api/tasks/{UNKNOWN}/log?follow=1", 404),
    Case("log-unknown-json", "GET", f"/api/tasks/{UNKNOWN}/log", 404, headers={"Accept": "application/json"}),
    Case("delete-unknown", "DELETE", f"/api/tasks/{UNKNOWN}", 404),
    # --- unknown routes and tools (404), wrong methods (405), task-mode conflicts (409)
    Case("route-unknown", "GET", "/api/nope", 404),
    Case("route-api-root", "GET", "/api/", 404),
    Case("route-too-deep", "GET", "/api/tasks/a/b/c", 404),
    Case("route-empty-segment", "GET", "/api/tools//call", 404),
    Case("route-outside-api", "GET", "/definitely/not/here", 404),
    Case("tool-unknown", "POST", "/api/tools/no_such_tool/call", 404, b"{}"),
    Case("tool-unknown-describe", "GET", "/api/tools/no_such_tool", 404),
    Case("method-put-tools", "PUT", "/api/tools", 405, b"{}"),
    Case("method-get-call", "GET", CALL, 405),
    Case("method-delete-events", "DELETE", "/api/events", 405),
    Case("method-post-task", "POST", f"/api/tasks/{UNKNOWN}", 405, b"{}"),
    Case("method-post-log", "POST", f"/api/tasks/{UNKNOWN}/log", 405, b"{}"),
    Case("method-get-input", "GET", f"/api/tasks/{UNKNOWN}/input", 405),
    Case("task-on-forbidden-tool", "POST", "/api/tools/sync_only/call?task=true", 409, b"{}"),
    Case("no-task-on-required-tool", "POST", "/api/tools/must_be_background/call", 409, b"{}"),
    # --- DNS rebinding applies to /api too (403)
    Case("foreign-origin", "GET", "/api/tasks", 403, headers={"Origin": "http://evil.example.com"}),
    Case("foreign-host", "GET", "/api/tasks", 403, headers={"Host": "evil.example.com"}),
    # A sandboxed iframe sends Origin: null; a text/plain POST needs no CORS preflight (CSRF).
    Case("null-origin-simple-post", "POST", "/api/tools/echo/call", 403, b'{"text":"csrf"}',
         headers={"Origin": "null", "Content-Type": "text/plain"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rest_refusal(http: httpx.Client, case: Case) -> None:
    resp = http.request(case.method, case.path, content=case.body, headers=case.headers)
    assert resp.status_code == case.status, f"{case.id}: {resp.status_code} {resp.text[:300]}"
    if case.path.startswith("/api/"):
        assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
        problem = resp.json()
        assert problem["status"] == case.status and problem["detail"], problem
        if case.status == 422:
            assert problem["problems"], problem
        if case.status == 405:
            assert resp.headers.get("allow"), resp.headers


def test_oversize_rest_body_is_413(server: Server) -> None:
    head = request_bytes(server, "POST", "/api/tools/sleep/call", [("Content-Length", str(4 * 1024 * 1024 + 1))],
                         length=False)
    exchange = raw_exchange(server, head)
    assert [r.status for r in exchange.responses] == [413] and exchange.closed


def test_huge_sleep_over_rest_does_not_trap(http: httpx.Client) -> None:
    """Valid JSON, valid against the schema (minimum 0, no maximum), absurd as a duration."""
    resp = http.post("/api/tools/sleep/call?task=true", content=b'{"seconds":1e308}')
    assert resp.status_code == 202, resp.text
    deadline = time.monotonic() + 5  # the tool runs (the conversion itself is unit-tested in ToolCallTests)
    while http.get(resp.headers["location"]).json()["status"] != "working":
        assert time.monotonic() < deadline, "the task never started"
        time.sleep(0.02)
    cancel = http.post(resp.headers["location"] + "/cancel")
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled", cancel.text
    assert http.get("/healthz").status_code == 200


def test_arguments_are_echoed_safely(http: httpx.Client) -> None:
    """Hostile strings in arguments come back as the same JSON string, not as markup or broken JSON."""
    nasty = "</script><script>alert(1)</script>\u2028\u0000\"\\\U0001F600"
    resp = http.post("/api/tools/fail/call?task=true", json={"message": nasty})
    assert resp.status_code == 202, resp.text
    assert resp.json()["arguments"]["message"] == nasty
    task_id = resp.json()["id"]
    deadline = time.monotonic() + 5
    while http.get(f"/api/tasks/{task_id}").json()["status"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    result = http.get(f"/api/tasks/{task_id}/result").json()
    assert result["result"]["isError"] is True and nasty in result["result"]["content"][0]["text"], result
