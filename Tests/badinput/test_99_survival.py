"""Runs last (file order): after all the abuse the server still answers, and the baseline tasks made before
the first case are intact — terminal ones unchanged, the running one still running or legitimately done.
"""

from __future__ import annotations

import socket
import time

import httpx

from conftest import Baseline
from wire import MCP, Server


def test_server_process_is_alive(server: Server) -> None:
    assert server.alive(), f"errand exited with {server.process.poll() if server.process else '?'}"


def test_healthz_and_ping_still_answer(server: Server, http: httpx.Client, mcp: MCP) -> None:
    assert http.get("/healthz").text == "ok\n"
    assert http.get("/readyz").status_code == 200
    assert mcp.call("ping") == {}
    fresh = MCP(server)
    try:
        fresh.initialize()
        assert fresh.call("ping") == {}
    finally:
        fresh.close()


def test_terminal_baseline_tasks_are_unchanged(mcp: MCP, http: httpx.Client, baseline: Baseline) -> None:
    for before, result in ((baseline.completed, baseline.completed_result),
                           (baseline.failed, baseline.failed_result)):
        now = mcp.call("tasks/get", {"taskId": before["taskId"]})
        assert now == before, f"task changed:\n before {before}\n now    {now}"
        assert mcp.call("tasks/result", {"taskId": before["taskId"]}) == result
        assert http.get(f"/api/tasks/{before['taskId']}").json() == baseline.rest_views[before["taskId"]]


def test_running_baseline_task_progressed_legitimately(mcp: MCP, baseline: Baseline) -> None:
    before = baseline.running
    now = mcp.call("tasks/get", {"taskId": before["taskId"]})
    assert now["createdAt"] == before["createdAt"] and now["ttl"] == before["ttl"]
    assert now["lastUpdatedAt"] >= before["lastUpdatedAt"]
    if now["status"] == "working":
        return
    assert now["status"] == "completed", now  # only if the suite ran longer than the task's 30 s
    result = mcp.call("tasks/result", {"taskId": before["taskId"]})
    assert result["content"][0]["text"] == "computed 30 steps", result


def test_stalled_head_got_408_and_was_closed(baseline: Baseline) -> None:
    """Half a head sent at the start and never finished: the 10 s header timeout answers 408 and closes."""
    conn = baseline.stalled
    remaining = 10 + 3 - (time.monotonic() - baseline.started_at)
    conn.sock.settimeout(max(1.0, remaining))
    try:
        response = conn.read_response()
    except (socket.timeout, TimeoutError):
        raise AssertionError("no 408 within 13 s of the first byte of a head") from None
    assert response is not None and response.status == 408, response
    assert conn.is_closed(wait=2.0)
