"""A raw MCP 2026-07-28 client over httpx, and schema checks against the copies in Tests/spec.

Every request is stateless: `_meta` carries the version and the client's capabilities, and the
`MCP-Protocol-Version` / `Mcp-Method` / `Mcp-Name` headers mirror the body (each can be overridden to
test the server's checks).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx

VERSION = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPS = "io.modelcontextprotocol/clientCapabilities"
META_INFO = "io.modelcontextprotocol/clientInfo"
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
TERMINAL = {"completed", "failed", "cancelled"}
WITH_TASKS = {"extensions": {TASKS: {}}}
SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
_OMIT = object()


class Modern:
    """One client: `declare_tasks` decides whether requests declare the tasks extension."""

    def __init__(self, url: str, *, declare_tasks: bool = True, timeout: float = 30.0,
                 token: str | None = None) -> None:
        self.url = url
        self.capabilities: dict[str, Any] = dict(WITH_TASKS) if declare_tasks else {}
        self.http = httpx.Client(timeout=timeout)
        self.token = token
        self._next_id = 0

    def __enter__(self) -> "Modern":
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def body(self, method: str, params: dict[str, Any] | None = None, *, id: Any = None,
             meta: Any = _OMIT) -> dict[str, Any]:
        self._next_id += 1
        params = dict(params or {})
        if meta is _OMIT:
            meta = {META_VERSION: VERSION, META_CAPS: self.capabilities,
                    META_INFO: {"name": "errand-modern-raw", "version": "0"}}
        if meta is not None:
            params["_meta"] = meta
        return {"jsonrpc": "2.0", "id": self._next_id if id is None else id, "method": method, "params": params}

    def headers(self, body: dict[str, Any], overrides: dict[str, str | None] | None = None) -> dict[str, str]:
        params = body.get("params") or {}
        h: dict[str, str | None] = {
            "accept": "application/json, text/event-stream", "content-type": "application/json",
            "mcp-protocol-version": VERSION, "mcp-method": body["method"],
        }
        if body["method"] in ("tools/call", "prompts/get"):
            h["mcp-name"] = params.get("name")
        elif body["method"] == "resources/read":
            h["mcp-name"] = params.get("uri")
        if self.token:
            h["authorization"] = f"Bearer {self.token}"
        h.update(overrides or {})
        return {k: v for k, v in h.items() if v is not None}

    def send(self, method: str, params: dict[str, Any] | None = None, *,
             headers: dict[str, str | None] | None = None, meta: Any = _OMIT) -> httpx.Response:
        body = self.body(method, params, meta=meta)
        return self.http.post(self.url, content=json.dumps(body).encode(), headers=self.headers(body, headers))

    def result(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """A request that must succeed with HTTP 200 and a JSON body; returns `result`."""
        resp = self.send(method, params, **kw)
        assert resp.status_code == 200, f"{method}: HTTP {resp.status_code} {resp.text[:400]}"
        assert resp.headers["content-type"].startswith("application/json"), resp.headers["content-type"]
        msg = resp.json()
        assert "result" in msg, f"{method} failed: {msg}"
        return msg["result"]

    def error(self, method: str, params: dict[str, Any] | None = None, *, status: int = 400,
              **kw: Any) -> dict[str, Any]:
        """A request that must fail with `status` and a JSON-RPC error in a JSON body; returns `error`."""
        resp = self.send(method, params, **kw)
        assert resp.status_code == status, f"{method}: HTTP {resp.status_code} {resp.text[:400]}"
        assert resp.headers["content-type"].startswith("application/json"), resp.headers.get("content-type")
        msg = resp.json()
        assert "error" in msg, f"{method} unexpectedly succeeded: {msg}"
        validate_core(msg, "JSONRPCErrorResponse")
        return msg["error"]

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.result("tools/call", {"name": name, "arguments": arguments or {}})

    def get(self, task_id: str) -> dict[str, Any]:
        task = self.result("tasks/get", {"taskId": task_id})
        validate_ext(task, "GetTaskResult")
        return task

    def wait(self, task_id: str, until: set[str] = TERMINAL, timeout: float = 30.0) -> dict[str, Any]:
        """Polls `tasks/get` (as clients do, 20 ms doubling to 0.5 s) until the status is in `until`."""
        deadline = time.monotonic() + timeout
        delay = 0.02
        while True:
            task = self.get(task_id)
            if task["status"] in until:
                return task
            assert time.monotonic() < deadline, f"task {task_id} still {task['status']} after {timeout}s"
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def listen(self, task_ids: list[str], *, request_id: Any = "listen-1") -> "Listener":
        body = self.body("subscriptions/listen", {"notifications": {"taskIds": task_ids}}, id=request_id)
        return Listener(self.url, body, self.headers(body))


class Listener:
    """A `subscriptions/listen` stream read event by event (blocking, with a per-read timeout)."""

    def __init__(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(30.0, read=20.0))
        self.cm = self.client.stream("POST", url, content=json.dumps(body).encode(), headers=headers)
        self.response = self.cm.__enter__()
        self.lines: Iterator[str] = self.response.iter_lines()

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cm.__exit__(None, None, None)
        self.client.close()

    def next_message(self) -> dict[str, Any]:
        data: list[str] = []
        for line in self.lines:
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line == "" and data:
                return json.loads("\n".join(data))
        raise AssertionError("the listen stream ended")


@lru_cache(maxsize=None)
def _schema(which: str) -> dict[str, Any]:
    return json.loads((SPEC_DIR / which / "schema.json").read_text())


@lru_cache(maxsize=None)
def _validator(which: str, name: str) -> Any:
    import jsonschema

    schema = _schema(which)
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})


def validate_core(instance: Any, name: str) -> None:
    """Validates against `$defs/<name>` of the 2026-07-28 core schema."""
    _validator("2026-07-28", name).validate(instance)


def validate_ext(instance: Any, name: str) -> None:
    """Validates against `$defs/<name>` of the tasks extension's schema."""
    _validator("ext-tasks-draft", name).validate(instance)
