"""Wrong types and values in every params field of every method, on a valid 2025-11-25 session.

Each answer is a JSON-RPC error with HTTP 200 (checklist 36): `-32602` for bad params, unknown or malformed
task ids and bad cursors (docs/mcp-protocol.md §6.9), `-32601` for task-support violations (§5.3).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import Baseline
from wire import INVALID_PARAMS, METHOD_NOT_FOUND, MCP, OMIT, PARSE_ERROR


@dataclass
class Case:
    id: str
    method: str
    params: Any
    code: int


def call(name: Any = "sleep", arguments: Any = OMIT, task: Any = OMIT) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name}
    if arguments is not OMIT:
        params["arguments"] = arguments
    if task is not OMIT:
        params["task"] = task
    return params


SLEEP0 = {"seconds": 0}
BAD_TASK_IDS = {
    "unknown-uuid": "00000000-0000-4000-8000-000000000000",
    "empty": "",
    "path-traversal": "../../../etc/passwd",
    "nul-inside": "abc\u0000def",
    "10k-chars": "t" * 10_000,
    "sql-ish": "' OR 1=1 --",
    "non-ascii": "t\u00e2che-\U0001F600",
}
WRONG_TYPES = {"number": 42, "null": None, "bool": True, "array": ["x"], "object": {"id": "x"}}

CASES: list[Case] = [
    # --- tools/call: name
    Case("call-no-params", "tools/call", OMIT, INVALID_PARAMS),
    Case("call-params-empty", "tools/call", {}, INVALID_PARAMS),
    Case("call-params-array", "tools/call", ["sleep", {}], INVALID_PARAMS),
    *[Case(f"call-name-{k}", "tools/call", call(name=v, arguments=SLEEP0), INVALID_PARAMS)
      for k, v in WRONG_TYPES.items()],
    Case("call-name-unknown", "tools/call", call(name="no_such_tool", arguments={}), INVALID_PARAMS),
    Case("call-name-empty", "tools/call", call(name="", arguments={}), INVALID_PARAMS),
    Case("call-name-case-differs", "tools/call", call(name="SLEEP", arguments=SLEEP0), INVALID_PARAMS),
    Case("call-name-with-nul", "tools/call", call(name="sleep\u0000", arguments=SLEEP0), INVALID_PARAMS),
    # --- tools/call: arguments
    *[Case(f"call-arguments-{k}", "tools/call", call(arguments=v), INVALID_PARAMS)
      for k, v in {"string": "x", "number": 1, "array": [0], "null": None, "bool": False}.items()],
    # --- tools/call: task and task.ttl
    *[Case(f"call-task-{k}", "tools/call", call(arguments=SLEEP0, task=v), INVALID_PARAMS)
      for k, v in {"string": "yes", "number": 1, "array": [], "bool": True}.items()],
    *[Case(f"call-ttl-{k}", "tools/call", call(arguments=SLEEP0, task={"ttl": v}), INVALID_PARAMS)
      for k, v in {"string": "60000", "negative": -1, "fraction": 1.5, "2-pow-64": 2**64, "bool": True,
                   "object": {"ms": 1}, "int64-min": -(2**63)}.items()],
    # --- task-support violations (-32601)
    Case("call-task-on-forbidden-tool", "tools/call", call(name="sync_only", arguments={}, task={}), METHOD_NOT_FOUND),
    Case("call-task-on-plain-tool", "tools/call", call(name="echo", arguments={"text": "x"}, task={}),
         METHOD_NOT_FOUND),
    Case("call-required-tool-without-task", "tools/call", call(name="must_be_background", arguments={}),
         METHOD_NOT_FOUND),
    # --- tasks/get, tasks/result, tasks/cancel: taskId
    *[Case(f"{m.split('/')[1]}-no-params", m, OMIT, INVALID_PARAMS)
      for m in ("tasks/get", "tasks/result", "tasks/cancel")],
    *[Case(f"{m.split('/')[1]}-taskid-missing", m, {"id": "x"}, INVALID_PARAMS)
      for m in ("tasks/get", "tasks/result", "tasks/cancel")],
    *[Case(f"{m.split('/')[1]}-taskid-{k}", m, {"taskId": v}, INVALID_PARAMS)
      for m in ("tasks/get", "tasks/result", "tasks/cancel") for k, v in WRONG_TYPES.items()],
    *[Case(f"{m.split('/')[1]}-taskid-{k}", m, {"taskId": v}, INVALID_PARAMS)
      for m in ("tasks/get", "tasks/result", "tasks/cancel") for k, v in BAD_TASK_IDS.items()],
    # --- tasks/list: cursor
    *[Case(f"list-cursor-{k}", "tasks/list", {"cursor": v}, INVALID_PARAMS)
      for k, v in {"number": 0, "bool": False, "array": [], "object": {}, "garbage": "not-a-cursor",
                   "empty": "", "base64-junk": "eyJ4IjoxfQ==", "10k-chars": "c" * 10_000}.items()],
    # --- initialize: protocolVersion and capabilities (no session involved)
    Case("initialize-no-params", "initialize", OMIT, INVALID_PARAMS),
    Case("initialize-params-array", "initialize", ["2025-11-25"], INVALID_PARAMS),
    *[Case(f"initialize-version-{k}", "initialize", {"protocolVersion": v, "capabilities": {}}, INVALID_PARAMS)
      for k, v in {"missing": OMIT, "number": 20251125, "null": None, "array": ["2025-11-25"],
                   "object": {"v": 1}}.items()],
    *[Case(f"initialize-capabilities-{k}", "initialize", {"protocolVersion": "2025-11-25", "capabilities": v},
           INVALID_PARAMS)
      for k, v in {"string": "all", "array": [], "number": 1, "null": None, "bool": True}.items()],
    # --- resources/read and prompts/get
    *[Case(f"read-uri-{k}", "resources/read", {"uri": v}, INVALID_PARAMS) for k, v in WRONG_TYPES.items()],
    Case("read-no-params", "resources/read", OMIT, INVALID_PARAMS),
    *[Case(f"prompt-name-{k}", "prompts/get", {"name": v}, INVALID_PARAMS) for k, v in WRONG_TYPES.items()],
    Case("prompt-unknown", "prompts/get", {"name": "no_such_prompt"}, INVALID_PARAMS),
    # --- task-augmented calls with arguments that cannot run: refused before a task exists
    Case("task-call-args-wrong-type", "tools/call",
         {"name": "sleep", "arguments": {"seconds": "1"}, "task": {}}, INVALID_PARAMS),
    Case("task-call-args-missing", "tools/call", {"name": "sleep", "arguments": {}, "task": {}}, INVALID_PARAMS),
    # --- logging/setLevel
    Case("set-level-no-params", "logging/setLevel", OMIT, INVALID_PARAMS),
    Case("set-level-unknown", "logging/setLevel", {"level": "loud"}, INVALID_PARAMS),
    Case("set-level-not-a-string", "logging/setLevel", {"level": 3}, INVALID_PARAMS),
    Case("set-level-uppercase", "logging/setLevel", {"level": "INFO"}, INVALID_PARAMS),
    Case("prompt-arguments-string", "prompts/get", {"name": "research_brief", "arguments": "x"}, INVALID_PARAMS),
    Case("prompt-missing-required-argument", "prompts/get", {"name": "research_brief", "arguments": {}},
         INVALID_PARAMS),
]
# "protocolVersion": OMIT means the key is absent.
for case in CASES:
    if isinstance(case.params, dict) and case.params.get("protocolVersion", None) is OMIT:
        del case.params["protocolVersion"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_params(mcp: MCP, case: Case) -> None:
    if case.method == "initialize":
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": 77, "method": "initialize"}
        if case.params is not OMIT:
            body["params"] = case.params
        resp = mcp.post_raw(json.dumps(body).encode(), session=False)
        message = resp.json()
        assert "mcp-session-id" not in resp.headers, f"{case.id}: refused initialize created a session"
    else:
        resp, message = mcp.send(case.method, case.params)
    assert resp.status_code == 200, f"{case.id}: HTTP {resp.status_code} {resp.text[:300]}"
    assert "error" in message, f"{case.id}: succeeded: {str(message)[:300]}"
    assert message["error"]["code"] == case.code, f"{case.id}: {message['error']}"


@pytest.mark.parametrize("text", [
    b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"sleep","arguments":{"seconds":1},'
    b'"task":{"ttl":1e400}}}',
    b'{"jsonrpc":"2.0","id":5,"method":"tasks/get","params":{"taskId":"\xff\xfe"}}',
], ids=["ttl-1e400", "taskid-invalid-utf8"])
def test_params_that_are_not_json(mcp: MCP, text: bytes) -> None:
    resp = mcp.post_raw(text)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == PARSE_ERROR, resp.text


def test_unknown_initialize_version_gets_latest(mcp: MCP) -> None:
    """Checklist 2: an unknown protocolVersion string is negotiated down, not refused."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "1999-01-01\u0000", "capabilities": {"tasks": "garbage"},
                       "clientInfo": ["not", "an", "object"]}}
    resp = mcp.post_raw(json.dumps(body).encode(), session=False)
    assert resp.status_code == 200 and resp.json()["result"]["protocolVersion"] == "2025-11-25", resp.text
    mcp.http.delete(mcp.server.mcp_url, headers={"mcp-session-id": resp.headers["mcp-session-id"]})


@pytest.mark.parametrize("arguments", [
    {"seconds": "1"}, {"seconds": -1}, {"seconds": None}, {}, {"seconds": [1]},
], ids=["string", "negative", "null", "missing", "array"])
def test_invalid_tool_arguments_are_a_tool_error(mcp: MCP, arguments: dict[str, Any]) -> None:
    """SEP-1303: argument validation failures are a CallToolResult with isError, not a protocol error."""
    result = mcp.call("tools/call", {"name": "sleep", "arguments": arguments})
    assert result.get("isError") is True, result


@pytest.mark.parametrize("seconds", [1e300, 1e16, 9.3e15], ids=["1e300", "1e16", "just-past-int64-ms"])
def test_absurd_sleep_runs_as_a_task_and_can_be_cancelled(mcp: MCP, seconds: float) -> None:
    """Huge but valid numbers must not trap the server (Int64 conversion of seconds * 1000)."""
    task = mcp.start_task("sleep", {"seconds": seconds})
    time.sleep(0.2)  # let the tool body start: the conversion happens there
    cancelled = mcp.call("tasks/cancel", {"taskId": task["taskId"]})
    assert cancelled["status"] == "cancelled", cancelled
    assert mcp.call("ping") == {}


def test_cancel_of_a_terminal_task_is_refused(mcp: MCP, baseline: Baseline) -> None:
    """§6.9: cancelling a completed task is -32602 and leaves it completed (the survival check re-reads it)."""
    resp, message = mcp.send("tasks/cancel", {"taskId": baseline.completed["taskId"]})
    assert resp.status_code == 200 and message["error"]["code"] == INVALID_PARAMS, message
