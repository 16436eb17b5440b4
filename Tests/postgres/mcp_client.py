"""A minimal MCP 2025-11-25 client over Streamable HTTP for multinode.py (standard library only).

`Session(base)` initializes a session (tasks capability declared), sends notifications/initialized and stamps
every later request with `Mcp-Session-Id` and `MCP-Protocol-Version`. `call()` answers the JSON-RPC response,
whether the server replied with application/json or an SSE stream. `open_get_stream()` reads the session's
GET stream in a thread; `wait_for()` waits for a message on it.
"""

import http.client
import itertools
import json
import re
import socket
import threading
import time
from datetime import datetime

VERSION = "2025-11-25"
ACCEPT_BOTH = "application/json, text/event-stream"
RELATED_TASK = "io.modelcontextprotocol/related-task"
TASK_STATUSES = {"working", "input_required", "completed", "failed", "cancelled"}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def instant(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def task_shape_problems(task: dict) -> list[str]:
    """What in `task` breaks the 2025-11-25 `Task` schema (flat fields; ttl key present, integer or null)."""
    problems = []
    for key in ("taskId", "status", "createdAt", "lastUpdatedAt"):
        if not isinstance(task.get(key), str):
            problems.append(f"{key} missing or not a string")
    if task.get("status") not in TASK_STATUSES:
        problems.append(f"status {task.get('status')!r} unknown")
    if "ttl" not in task or not (task["ttl"] is None or type(task["ttl"]) is int):
        problems.append("ttl missing or not integer/null")
    if "pollInterval" in task and type(task["pollInterval"]) is not int:
        problems.append("pollInterval not an integer")
    for key in ("createdAt", "lastUpdatedAt"):
        if isinstance(task.get(key), str) and not RFC3339.match(task[key]):
            problems.append(f"{key} {task[key]!r} not RFC 3339 UTC")
    if not problems and instant(task["lastUpdatedAt"]) < instant(task["createdAt"]):
        problems.append("lastUpdatedAt before createdAt")
    if RELATED_TASK in (task.get("_meta") or {}):
        problems.append("carries related-task _meta")
    return problems


def sse_messages(lines):
    """JSON-RPC messages of an SSE byte-line iterator (events with empty data, e.g. priming, are skipped)."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode().rstrip("\r\n")
        if line == "":
            if data and "".join(data).strip():
                yield json.loads("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))


class Session:
    def __init__(self, base: str, name: str) -> None:
        self.host = base.removeprefix("http://")
        self.ids = itertools.count(1)
        self.session_id = ""
        self.messages: list[dict] = []  # what arrived on the GET stream, in order
        self.times: list[float] = []  # time.time() of each arrival
        self.arrived = threading.Condition()
        self.stream_socket: socket.socket | None = None
        status, headers, body = self._post(
            {"jsonrpc": "2.0", "id": 0, "method": "initialize",
             "params": {"protocolVersion": VERSION, "clientInfo": {"name": name, "version": "1"},
                        "capabilities": {"tasks": {"list": {}, "cancel": {}}}}})
        assert status == 200, (status, body)
        self.initialize = json.loads(body)["result"]
        self.session_id = headers.get("Mcp-Session-Id") or ""
        assert self.session_id, "initialize answered without Mcp-Session-Id"
        status, _, _ = self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert status == 202, status

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": ACCEPT_BOTH}
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
            headers["MCP-Protocol-Version"] = VERSION
        return headers

    def _post(self, message: dict, timeout: float = 30) -> tuple[int, http.client.HTTPMessage, bytes]:
        connection = http.client.HTTPConnection(self.host, timeout=timeout)
        try:
            connection.request("POST", "/mcp", json.dumps(message).encode(), self._headers())
            response = connection.getresponse()
            if response.getheader("Content-Type", "").startswith("text/event-stream"):
                # Notifications may come first; the response to our request ends the stream.
                for item in sse_messages(response):
                    if item.get("id") == message.get("id") and ("result" in item or "error" in item):
                        return response.status, response.headers, json.dumps(item).encode()
                raise AssertionError(f"{message.get('method')}: event stream ended without a response")
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def call(self, method: str, params: dict, timeout: float = 30) -> dict:
        """The JSON-RPC response (with `result` or `error`) to `method`."""
        request_id = next(self.ids)
        status, _, body = self._post(
            {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}, timeout)
        assert status == 200, (method, status, body)
        response = json.loads(body)
        assert response.get("id") == request_id, (method, response)
        return response

    def start_task(self, tool: str, arguments: dict, progress_token: str | None = None) -> dict:
        """Calls `tool` as a task; returns the Task of its CreateTaskResult."""
        params: dict = {"name": tool, "arguments": arguments, "task": {"ttl": 3600000}}
        if progress_token is not None:
            params["_meta"] = {"progressToken": progress_token}
        response = self.call("tools/call", params)
        assert "task" in (response.get("result") or {}), response
        return response["result"]["task"]

    def open_get_stream(self) -> bool:
        connection = http.client.HTTPConnection(self.host, timeout=300)
        headers = self._headers()
        del headers["Content-Type"]
        headers["Accept"] = "text/event-stream"
        connection.request("GET", "/mcp", headers=headers)
        self.stream_socket = connection.sock  # getresponse may drop the connection's reference
        response = connection.getresponse()
        if response.status != 200:
            return False

        def read() -> None:
            try:
                for message in sse_messages(response):
                    with self.arrived:
                        self.messages.append(message)
                        self.times.append(time.time())
                        self.arrived.notify_all()
            except Exception:
                pass

        threading.Thread(target=read, daemon=True).start()
        return True

    def notifications(self, method: str) -> list[dict]:
        with self.arrived:
            return [m["params"] for m in self.messages if m.get("method") == method]

    def status_problems(self, task_id: str) -> list[str]:
        """Schema problems of every `notifications/tasks/status` for `task_id` so far."""
        return [problem for params in self.notifications("notifications/tasks/status")
                if params.get("taskId") == task_id for problem in task_shape_problems(params)]

    def status_arrival(self, task_id: str, status: str) -> float | None:
        """When the first `notifications/tasks/status` of `task_id` in `status` arrived."""
        with self.arrived:
            for message, at in zip(self.messages, self.times):
                params = message.get("params") or {}
                if (message.get("method") == "notifications/tasks/status" and params.get("taskId") == task_id
                        and params.get("status") == status):
                    return at
        return None

    def statuses(self, task_id: str) -> list[str]:
        """Statuses of `notifications/tasks/status` for `task_id`, in arrival order."""
        return [p.get("status") for p in self.notifications("notifications/tasks/status") if p.get("taskId") == task_id]

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.time() + timeout
        with self.arrived:
            while not predicate():
                remaining = deadline - time.time()
                if remaining <= 0:
                    return False
                self.arrived.wait(remaining)
        return True

    def close(self) -> None:
        if self.stream_socket is not None:
            # shutdown, not close: the reader thread's file object still holds the socket open.
            try:
                self.stream_socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.stream_socket.close()
        connection = http.client.HTTPConnection(self.host, timeout=10)
        try:
            connection.request("DELETE", "/mcp", headers=self._headers())
            connection.getresponse().read()
        except OSError:
            pass
        finally:
            connection.close()
