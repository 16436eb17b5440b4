"""The MCP-over-HTTP test client the Python suites share (Tests/interop, Tests/interop_v2, Tests/badinput and
Tests/postgres/multinode.py).

Each suite's conftest.py (multinode.py itself) puts this directory on ``sys.path``; the suites add what is theirs
on top (the interop harness: schema checks and the FastMCP comparison; the bad-input suite: raw sockets and
malformed requests).

* ``start_errand`` / ``stop_errand``: run ``$ERRAND_BIN`` (default ``<repo>/.build/debug/errand``) as
  ``serve --host 127.0.0.1 --port 0 --store memory``, wait for its ``listening on http://HOST:PORT`` line,
  stop it with SIGTERM. Each process is listed in ``$ERRAND_PID_DIR`` while it runs, so that
  ``scripts/test.sh`` can kill what a crashed suite left behind.
* ``parse_sse`` / ``messages_of``: the JSON-RPC messages of a response, whether the server answered with
  ``application/json`` or a ``text/event-stream``.
* ``Client``: a raw Streamable HTTP client over httpx that shows every wire detail to the test (session and
  version headers, ids, the HTTP response beside the JSON-RPC message).
* ``GetStream``: the session's GET event stream (``Client.open_get_stream()``), read by a thread: a queue to
  consume (``collect``) and a record of every message with its arrival time to wait on (``wait_for``) and query
  (``notifications``, ``statuses``, ``status_arrival``, ``status_problems``).
* ``task_shape_problems`` / ``instant``: what breaks the 2025-11-25 ``Task`` shape, without jsonschema.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
LATEST = "2025-11-25"
ACCEPT_BOTH = "application/json, text/event-stream"
RELATED_TASK = "io.modelcontextprotocol/related-task"
TERMINAL = {"completed", "failed", "cancelled"}
TASK_STATUSES = {"working", "input_required", *TERMINAL}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
LISTENING_RE = re.compile(r"^listening on (http://[^\s/]+:\d+)$")


# --------------------------------------------------------------------------- server process


def errand_binary() -> Path:
    """``$ERRAND_BIN``, else ``<repo>/.build/debug/errand`` (it may not exist)."""
    return Path(os.environ.get("ERRAND_BIN", REPO_ROOT / ".build" / "debug" / "errand"))


@dataclasses.dataclass
class ErrandProcess:
    """An ``errand serve`` started by a test, and what it printed on standard output."""

    base: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[str]
    stdout_lines: list[str] = dataclasses.field(default_factory=list)


def start_errand(extra_args: list[str] | None = None, *, log_level: str = "warning",
                 timeout: float = 30.0) -> ErrandProcess:
    """Start the binary on a free loopback port with the memory store; return once it listens.

    Raises RuntimeError if the binary is missing, exits first, or does not listen within `timeout`.
    """
    binary = errand_binary()
    if not binary.exists():
        raise RuntimeError(
            f"errand binary {binary} not found: run `swift build` first, or set ERRAND_BIN, "
            "or point ERRAND_URL at a running server"
        )
    args = [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--store", "memory",
            "--log-level", log_level, *(extra_args or [])]
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=None, text=True, bufsize=1
    )
    started = ErrandProcess(base="", process=proc)
    lines: "queue.Queue[str | None]" = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            started.stdout_lines.append(line.rstrip("\n"))
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, name="errand-stdout", daemon=True).start()
    pid_dir = os.environ.get("ERRAND_PID_DIR")  # scripts/test.sh kills what is left listed there
    if pid_dir and Path(pid_dir).is_dir():
        (Path(pid_dir) / f"errand-{proc.pid}").write_text(str(proc.pid))
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_errand(proc)
            raise RuntimeError(f"errand did not print `listening on` within {timeout}s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            code = proc.wait()
            raise RuntimeError(f"errand exited with {code} before listening: {started.stdout_lines}")
        match = LISTENING_RE.match(line.strip())
        if match:
            started.base = match.group(1)
            return started


def stop_errand(proc: subprocess.Popen[str] | None, timeout: float = 10.0) -> int | None:
    """SIGTERM a server we started; SIGKILL it if it does not end in `timeout` seconds.

    Returns the exit status after SIGTERM, or None if it had to be killed (or there was no process).
    """
    if proc is None:
        return None
    code: int | None = proc.poll()
    if code is None:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            code = None
    pid_dir = os.environ.get("ERRAND_PID_DIR")
    if pid_dir:
        (Path(pid_dir) / f"errand-{proc.pid}").unlink(missing_ok=True)
    return code


# --------------------------------------------------------------------------- task shape


def instant(timestamp: str) -> datetime:
    """An RFC 3339 timestamp (``Z`` for UTC) as an aware datetime."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def task_shape_problems(task: dict[str, Any]) -> list[str]:
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
        if isinstance(task.get(key), str) and not RFC3339_UTC.match(task[key]):
            problems.append(f"{key} {task[key]!r} not RFC 3339 UTC")
    if not problems and instant(task["lastUpdatedAt"]) < instant(task["createdAt"]):
        problems.append("lastUpdatedAt before createdAt")
    if RELATED_TASK in (task.get("_meta") or {}):
        problems.append("carries related-task _meta")
    return problems


# --------------------------------------------------------------------------- SSE + JSON-RPC


@dataclasses.dataclass
class SSEEvent:
    event: str | None
    id: str | None
    data: str
    retry: int | None


def parse_sse(text: str) -> list[SSEEvent]:
    """Parse a complete text/event-stream body into events (comments dropped)."""
    events: list[SSEEvent] = []
    for block in re.split(r"\r\n\r\n|\n\n|\r\r", text):
        if not block.strip():
            continue
        fields = parse_sse_block(block.splitlines())
        if fields is not None:
            events.append(fields)
    return events


def parse_sse_block(lines: list[str]) -> SSEEvent | None:
    """One event from the lines between two blank lines; None if they hold only comments."""
    event = None
    ev_id = None
    retry = None
    data: list[str] = []
    seen = False
    for line in lines:
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        seen = True
        if name == "event":
            event = value
        elif name == "id":
            ev_id = value
        elif name == "data":
            data.append(value)
        elif name == "retry" and value.isdigit():
            retry = int(value)
    if not seen:
        return None
    return SSEEvent(event=event, id=ev_id, data="\n".join(data), retry=retry)


def messages_of(resp: httpx.Response) -> list[dict[str, Any]]:
    """All JSON-RPC messages in a response body, JSON or SSE."""
    ctype = resp.headers.get("content-type", "")
    if ctype.startswith("text/event-stream"):
        return [json.loads(e.data) for e in parse_sse(resp.text) if e.data.strip()]
    if not resp.content:
        return []
    body = resp.json()
    return body if isinstance(body, list) else [body]


class Client:
    """A raw MCP Streamable HTTP client over httpx: every detail of the wire is visible to the test.

    `headers()` builds each request's headers: Accept and Content-Type, the session's `Mcp-Session-Id` and
    `MCP-Protocol-Version` once `initialize()` has run, then `extra` (names are case-insensitive; a value of
    None removes the header). Subclasses may override it, e.g. to add `Authorization`.
    """

    def __init__(self, url: str, timeout: float = 30.0, *, client_name: str = "errand-test-client",
                 first_id: int = 100) -> None:
        self.url = url
        self.http = httpx.Client(timeout=timeout)
        self.client_name = client_name
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        self._next_id = first_id
        self._streams: list[GetStream] = []

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the GET streams `open_get_stream` opened, then the HTTP client (the session is not deleted)."""
        for stream in self._streams:
            stream.close()
        self._streams.clear()
        self.http.close()

    def open_get_stream(self) -> GetStream:
        """Open the session's GET stream; it is open (or refused: see its `status`) when this returns, and
        `close()` closes it."""
        stream = GetStream(self)
        self._streams.append(stream)
        return stream

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def headers(self, extra: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, str]:
        h = {"accept": ACCEPT_BOTH, "content-type": "application/json"}
        if session and self.session_id:
            h["mcp-session-id"] = self.session_id
        if session and self.protocol_version:
            h["mcp-protocol-version"] = self.protocol_version
        for name, value in (extra or {}).items():
            if value is None:
                h.pop(name.lower(), None)
            else:
                h[name.lower()] = value
        return h

    def post(self, body: Any, headers: dict[str, Any] | None = None, *, session: bool = True,
             raw: bytes | None = None, timeout: float | None = None) -> httpx.Response:
        """POST `body` as JSON (or the exact bytes `raw`) to the endpoint."""
        content = raw if raw is not None else json.dumps(body).encode()
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.post(self.url, content=content, headers=self.headers(headers, session=session),
                              **kwargs)

    def request(self, method: str, params: dict[str, Any] | None = None, *, id: Any = None,
                headers: dict[str, Any] | None = None, timeout: float | None = None,
                ) -> tuple[httpx.Response, dict[str, Any]]:
        """Send a request, return the HTTP response and the JSON-RPC response for its id."""
        rid = self.new_id() if id is None else id
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            body["params"] = params
        resp = self.post(body, headers, timeout=timeout)
        msgs = [m for m in messages_of(resp) if "method" not in m] if resp.status_code == 200 else []
        matching = [m for m in msgs if m.get("id") == rid and type(m.get("id")) is type(rid)]
        if resp.status_code != 200 or len(matching) != 1:
            raise AssertionError(
                f"{method}: expected HTTP 200 with one response for id {rid!r}, got "
                f"{resp.status_code} {resp.headers.get('content-type')} {resp.text[:500]!r}"
            )
        return resp, matching[0]

    def call(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """Send a request and return its `result` (fails on a JSON-RPC error)."""
        _, msg = self.request(method, params, **kw)
        assert "result" in msg, f"{method} returned an error: {msg.get('error')}"
        return msg["result"]

    def error(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        """Send a request that must fail; return the `error` object (HTTP must be 200)."""
        _, msg = self.request(method, params, **kw)
        assert "error" in msg, f"{method} unexpectedly succeeded: {msg.get('result')}"
        return msg["error"]

    def notify(self, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            body["params"] = params
        return self.post(body)

    def initialize(self, version: str = LATEST, *, initialized: bool = True,
                   capabilities: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run the handshake; returns the initialize response message."""
        self.session_id = None
        self.protocol_version = None
        body = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": version, "capabilities": capabilities or {},
                           "clientInfo": {"name": self.client_name, "version": "0"}}}
        resp = self.post(body, session=False)
        assert resp.status_code == 200, f"initialize: HTTP {resp.status_code} {resp.text[:300]}"
        msgs = [m for m in messages_of(resp) if m.get("id") == 0]
        assert len(msgs) == 1, f"initialize: no response in {resp.text[:300]!r}"
        self.last_init_response = resp
        self.session_id = resp.headers.get("mcp-session-id")
        if "result" in msgs[0]:
            self.protocol_version = msgs[0]["result"]["protocolVersion"]
        if initialized:
            r = self.notify("notifications/initialized")
            assert r.status_code == 202, f"notifications/initialized: HTTP {r.status_code}"
        return msgs[0]

    def delete(self) -> httpx.Response | None:
        """End the session (DELETE); None if there is none."""
        if not self.session_id:
            return None
        return self.http.delete(self.url, headers=self.headers())

    # ---- task helpers

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None, *,
                  task: dict[str, Any] | None = None, progress_token: str | int | None = None,
                  **kw: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name, "arguments": arguments or {}}
        if task is not None:
            params["task"] = task
        if progress_token is not None:
            params["_meta"] = {"progressToken": progress_token}
        return self.call("tools/call", params, **kw)

    def start_task(self, name: str, arguments: dict[str, Any] | None = None,
                   ttl: int | None = 60_000, *, progress_token: str | int | None = None) -> dict[str, Any]:
        """Task-augmented tools/call (ttl in ms; None asks for the server's default; `progress_token` asks for
        notifications/progress); returns the Task object."""
        result = self.call_tool(name, arguments, task={} if ttl is None else {"ttl": ttl},
                                progress_token=progress_token)
        assert "task" in result, f"expected CreateTaskResult, got {result}"
        return result["task"]

    def wait_task(self, task_id: str, timeout: float = 30.0,
                  until: set[str] = TERMINAL) -> dict[str, Any]:
        """Poll tasks/get until the task's status is in `until`."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.call("tasks/get", {"taskId": task_id})
            if task["status"] in until:
                return task
            assert time.monotonic() < deadline, f"task {task_id} still {task['status']}"
            time.sleep(0.05)


class GetStream:
    """The session's GET SSE stream, read by a thread.

    Every JSON-RPC message goes into the queue `messages` (consumed by `collect`) and is recorded, with its
    `time.monotonic()` arrival, for `wait_for` and the queries below (which do not consume anything).
    """

    def __init__(self, client: Client) -> None:
        self.raw = client
        self.messages: "queue.Queue[dict[str, Any]]" = queue.Queue()
        self.received: list[tuple[float, dict[str, Any]]] = []  # (arrival, message), in order
        self.arrived = threading.Condition()
        self.status: int | None = None
        self.content_type: str | None = None
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5.0, read=None))
        self._thread = threading.Thread(target=self._run, name="get-stream", daemon=True)
        self._thread.start()
        self.opened.wait(10)

    def _run(self) -> None:
        headers = self.raw.headers({"accept": "text/event-stream", "content-type": None})
        try:
            with self._client.stream("GET", self.raw.url, headers=headers) as resp:
                self.status = resp.status_code
                self.content_type = resp.headers.get("content-type", "")
                self.opened.set()
                if resp.status_code != 200:
                    return
                block: list[str] = []
                for line in resp.iter_lines():
                    if self._stop.is_set():
                        return
                    if line == "":
                        ev = parse_sse_block(block)
                        block = []
                        if ev is not None and ev.data.strip():
                            self._arrive(json.loads(ev.data))
                    else:
                        block.append(line)
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self.opened.set()

    def _arrive(self, message: dict[str, Any]) -> None:
        with self.arrived:
            self.received.append((time.monotonic(), message))
            self.arrived.notify_all()
        self.messages.put(message)

    def collect(self, predicate: Any, timeout: float) -> list[dict[str, Any]]:
        """Messages until one satisfies `predicate` (included) or `timeout` passes."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                msg = self.messages.get(timeout=remaining)
            except queue.Empty:
                break
            got.append(msg)
            if predicate(msg):
                break
        return got

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Whether `predicate` (called again at each arrival, e.g. over `statuses`) held within `timeout` s."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self.arrived.wait(remaining)
        return True

    def notifications(self, method: str) -> list[dict[str, Any]]:
        """The params of every `method` notification so far, in arrival order."""
        with self.arrived:
            return [m.get("params") or {} for _, m in self.received if m.get("method") == method]

    def statuses(self, task_id: str) -> list[str]:
        """Statuses of the `notifications/tasks/status` for `task_id` so far, in arrival order."""
        return [p.get("status") for p in self.notifications("notifications/tasks/status") if p.get("taskId") == task_id]

    def status_arrival(self, task_id: str, status: str) -> float | None:
        """When (``time.monotonic()``) the first `notifications/tasks/status` of `task_id` in `status` arrived."""
        with self.arrived:
            for at, m in self.received:
                params = m.get("params") or {}
                if (m.get("method") == "notifications/tasks/status" and params.get("taskId") == task_id
                        and params.get("status") == status):
                    return at
        return None

    def status_problems(self, task_id: str) -> list[str]:
        """`task_shape_problems` of every `notifications/tasks/status` for `task_id` so far."""
        return [problem for params in self.notifications("notifications/tasks/status")
                if params.get("taskId") == task_id for problem in task_shape_problems(params)]

    def close(self) -> None:
        self._stop.set()
        self._client.close()
