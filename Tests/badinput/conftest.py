"""Fixtures of the bad-input suite: one server for the whole run, one MCP session, and the baseline tasks.

Before the first case the suite creates three tasks the abuse must not disturb: one completed, one running
(`slow_computation` for 30 s) and one failed, and opens one connection that sends half a request head and
then nothing (the header read timeout must answer it). ``test_99_survival.py`` checks all of them last.

Run (about 25 s):  .venv-badinput/bin/python -m pytest Tests/badinput    (ERRAND_BIN=... for another binary)
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))  # mcpwire, shared by the suites

from wire import MCP, RawConnection, Server, start_server, stop_server  # noqa: E402


@dataclasses.dataclass
class Baseline:
    """What the tasks looked like before the abuse started."""

    completed: dict[str, Any]
    completed_result: dict[str, Any]
    running: dict[str, Any]
    failed: dict[str, Any]
    failed_result: dict[str, Any]
    rest_views: dict[str, dict[str, Any]]
    stalled: RawConnection  # half a request head, sent at the start
    started_at: float


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = start_server()
    try:
        yield srv
    finally:
        code = stop_server(srv)
        if srv.process is not None:
            assert code == 0, f"errand exited with {code} after SIGTERM (it should shut down cleanly)"


@pytest.fixture(scope="session")
def mcp(server: Server) -> Iterator[MCP]:
    client = MCP(server)
    client.initialize()
    yield client
    client.close()


@pytest.fixture(scope="session", autouse=True)
def baseline(server: Server, mcp: MCP) -> Iterator[Baseline]:
    stalled = RawConnection(server, timeout=20)
    stalled.send(f"GET /healthz HTTP/1.1\r\nHost: {server.authority}\r\nX-Slow: ".encode())
    started = time.monotonic()
    completed = mcp.start_task("sleep", {"seconds": 0})
    running = mcp.start_task("slow_computation", {"duration": 30})
    failed = mcp.start_task("fail", {"message": "baseline failure"})
    completed = mcp.wait_task(completed["taskId"])
    failed = mcp.wait_task(failed["taskId"])
    assert completed["status"] == "completed", completed
    assert failed["status"] == "failed", failed
    running = mcp.call("tasks/get", {"taskId": running["taskId"]})
    assert running["status"] == "working", running
    completed_result = mcp.call("tasks/result", {"taskId": completed["taskId"]})
    failed_result = mcp.call("tasks/result", {"taskId": failed["taskId"]})
    rest_views = {}
    with httpx.Client(base_url=server.base, timeout=10) as http:
        for task in (completed, failed):
            rest_views[task["taskId"]] = http.get(f"/api/tasks/{task['taskId']}").json()
    yield Baseline(completed, completed_result, running, failed, failed_result, rest_views, stalled, started)
    stalled.sock.close()


@pytest.fixture(scope="session")
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=15) as client:
        yield client


def pytest_report_header() -> str:
    return f"server under test: {os.environ.get('ERRAND_URL') or os.environ.get('ERRAND_BIN') or '.build/debug/errand'}"
