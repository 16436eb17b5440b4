"""Shared test harness: start (or find) the server under test and talk raw MCP over HTTP.

The server under test is, in order of preference:

* ``ERRAND_URL`` (e.g. ``http://127.0.0.1:8765/mcp``) — an already running server. This is how the
  suite is validated against the FastMCP reference server in ``scripts/bench/peers``.
* the Errand binary ``$ERRAND_BIN`` or ``<repo>/.build/debug/errand``, started once per test session
  with ``serve --host 127.0.0.1 --port 0 --store memory --log-level warning``. Its single stdout line
  ``listening on http://HOST:PORT`` tells where it listens; SIGTERM stops it.

Whether the target is Errand decides if ``errand_only`` tests run and if contract checks that the
reference server is known to answer differently (see ``Contract``) are hard failures or recorded
differences. A server started from the binary is always Errand; for ``ERRAND_URL`` the
``serverInfo.name`` of ``initialize`` decides (``ERRAND_IS_ERRAND=1``/``0`` overrides).
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
import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
# The MCP schemas the raw checks validate against, kept in the repository (Tests/spec/<revision>/schema.json).
SPEC_DIR = REPO_ROOT / "Tests" / "spec"
SCHEMA_PATH = SPEC_DIR / "2025-11-25" / "schema.json"

LATEST = "2025-11-25"
ACCEPT_BOTH = "application/json, text/event-stream"
RELATED_TASK = "io.modelcontextprotocol/related-task"
TERMINAL = {"completed", "failed", "cancelled"}
LISTENING_RE = re.compile(r"^listening on (http://[^\s/]+:\d+)$")
RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


# --------------------------------------------------------------------------- server process


@dataclasses.dataclass
class Server:
    """Where the server under test listens and what it is."""

    url: str  # the MCP endpoint, .../mcp
    is_errand: bool
    process: subprocess.Popen[str] | None = None
    stdout_lines: list[str] = dataclasses.field(default_factory=list)

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def authority(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80


def errand_binary() -> Path:
    return Path(os.environ.get("ERRAND_BIN", REPO_ROOT / ".build" / "debug" / "errand"))


def start_errand(extra_args: list[str] | None = None, timeout: float = 30.0) -> Server:
    """Start the Errand binary on a free port and wait for its `listening on` line."""
    binary = errand_binary()
    if not binary.exists():
        raise RuntimeError(
            f"Errand binary {binary} not found: run `swift build` first, or set ERRAND_BIN, "
            "or point ERRAND_URL at a running server"
        )
    args = [str(binary), "serve", "--host", "127.0.0.1", "--port", "0", "--store", "memory",
            "--log-level", "warning", *(extra_args or [])]
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=None, text=True, bufsize=1
    )
    lines: "queue.Queue[str | None]" = queue.Queue()
    server = Server(url="", is_errand=True, process=proc)

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            server.stdout_lines.append(line.rstrip("\n"))
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
            stop(server)
            raise RuntimeError(f"errand did not print `listening on` within {timeout}s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            code = proc.wait()
            raise RuntimeError(f"errand exited with {code} before listening: {server.stdout_lines}")
        match = LISTENING_RE.match(line.strip())
        if match:
            server.url = match.group(1) + "/mcp"
            return server


def stop(server: Server, timeout: float = 10.0) -> int | None:
    """SIGTERM the server we started; SIGKILL it if it does not end in `timeout` seconds.

    Returns the exit status after SIGTERM, or None if it had to be killed (or was not ours).
    """
    proc = server.process
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


def detect_errand(url: str) -> bool:
    forced = os.environ.get("ERRAND_IS_ERRAND")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    try:
        with Raw(url) as raw:
            info = raw.initialize()["result"]["serverInfo"]
            raw.delete()
        return "errand" in str(info.get("name", "")).lower()
    except Exception:  # noqa: BLE001 - a failing server is not Errand for this purpose
        return False


def server_from_env() -> Server:
    url = os.environ.get("ERRAND_URL")
    if url:
        url = url.rstrip("/")
        if not url.endswith("/mcp"):
            url += "/mcp"
        return Server(url=url, is_errand=detect_errand(url))
    return start_errand()


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
        fields = _parse_block(block.splitlines())
        if fields is not None:
            events.append(fields)
    return events


def _parse_block(lines: list[str]) -> SSEEvent | None:
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


class Raw:
    """A raw MCP client over httpx: every detail of the wire is visible to the test."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.http = httpx.Client(timeout=timeout)
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        self._next_id = 100

    def __enter__(self) -> "Raw":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def headers(self, extra: dict[str, str] | None = None, *, session: bool = True) -> dict[str, str]:
        h = {"accept": ACCEPT_BOTH, "content-type": "application/json"}
        if session and self.session_id:
            h["mcp-session-id"] = self.session_id
        if session and self.protocol_version:
            h["mcp-protocol-version"] = self.protocol_version
        if extra:
            h.update(extra)
        return h

    def post(self, body: Any, headers: dict[str, str] | None = None, *, session: bool = True,
             raw: bytes | None = None, timeout: float | None = None) -> httpx.Response:
        content = raw if raw is not None else json.dumps(body).encode()
        kwargs: dict[str, Any] = {}
        if timeout is not None:
            kwargs["timeout"] = timeout
        return self.http.post(self.url, content=content, headers=self.headers(headers, session=session),
                              **kwargs)

    def request(self, method: str, params: dict[str, Any] | None = None, *, id: Any = None,
                headers: dict[str, str] | None = None, timeout: float | None = None,
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
                           "clientInfo": {"name": "errand-interop-raw", "version": "0"}}}
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
        if not self.session_id:
            return None
        return self.http.delete(self.url, headers=self.headers())

    # ---- task helpers

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None, *,
                  task: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name, "arguments": arguments or {}}
        if task is not None:
            params["task"] = task
        return self.call("tools/call", params, **kw)

    def start_task(self, name: str, arguments: dict[str, Any] | None = None,
                   ttl: int | None = 60000) -> dict[str, Any]:
        """Task-augmented tools/call; returns the Task object."""
        result = self.call_tool(name, arguments, task={} if ttl is None else {"ttl": ttl})
        assert "task" in result, f"expected CreateTaskResult, got {result}"
        return result["task"]

    def wait_task(self, task_id: str, timeout: float = 30.0,
                  until: set[str] = TERMINAL) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            task = self.call("tasks/get", {"taskId": task_id})
            if task["status"] in until:
                return task
            assert time.monotonic() < deadline, f"task {task_id} still {task['status']}"
            time.sleep(0.1)


def text_of(result: dict[str, Any]) -> str:
    """First text content block of a CallToolResult."""
    for block in result.get("content", []):
        if block.get("type") == "text":
            return block["text"]
    raise AssertionError(f"no text content in {result}")


def parse_time(stamp: str) -> datetime:
    assert RFC3339_RE.match(stamp), f"not an RFC 3339 timestamp: {stamp!r}"
    return datetime.fromisoformat(stamp.replace("Z", "+00:00").replace("z", "+00:00"))


def fresh_name() -> str:
    return uuid.uuid4().hex[:8]


class GetStream:
    """The session's GET SSE stream, read by a thread into a queue of JSON-RPC messages."""

    def __init__(self, raw: Raw) -> None:
        self.raw = raw
        self.messages: "queue.Queue[dict[str, Any]]" = queue.Queue()
        self.status: int | None = None
        self.content_type: str | None = None
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5.0, read=None))
        self._thread = threading.Thread(target=self._run, name="get-stream", daemon=True)
        self._thread.start()
        self.opened.wait(10)

    def _run(self) -> None:
        headers = self.raw.headers({"accept": "text/event-stream"})
        headers.pop("content-type", None)
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
                        ev = _parse_block(block)
                        block = []
                        if ev is not None and ev.data.strip():
                            self.messages.put(json.loads(ev.data))
                    else:
                        block.append(line)
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self.opened.set()

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

    def close(self) -> None:
        self._stop.set()
        self._client.close()


# --------------------------------------------------------------------------- schema


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    import jsonschema

    schema = dict(_schema())
    assert name in schema["$defs"], f"no $defs/{name} in the 2025-11-25 schema"
    schema["$ref"] = f"#/$defs/{name}"
    return jsonschema.Draft202012Validator(schema)


def validate(instance: Any, name: str) -> None:
    """Validate `instance` against `$defs/<name>` of the official 2025-11-25 schema."""
    errors = sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        raise AssertionError(f"not a valid {name}: {detail}\n{json.dumps(instance)[:800]}")


def check_task(task: dict[str, Any]) -> None:
    """Everything the checklist says about a Task object (items 49-51)."""
    validate(task, "Task")
    assert "ttl" in task, "Task.ttl key must always be present"
    assert task["ttl"] is None or type(task["ttl"]) is int, f"ttl not an integer: {task['ttl']!r}"
    if "pollInterval" in task:
        assert type(task["pollInterval"]) is int, f"pollInterval not an integer: {task['pollInterval']!r}"
    created = parse_time(task["createdAt"])
    updated = parse_time(task["lastUpdatedAt"])
    assert created.tzinfo is not None and updated.tzinfo is not None
    assert updated >= created, f"lastUpdatedAt {updated} before createdAt {created}"
    assert "statusMessage" not in task or isinstance(task["statusMessage"], str)


# --------------------------------------------------------------------------- contract checks


class Contract:
    """A check of our documented choice that the reference server may not share.

    Against Errand a failed check fails the test. Against another server it is recorded as a
    difference and reported at the end of the run (see conftest's terminal summary).
    """

    differences: list[str] = []

    def __init__(self, server: Server, test: str) -> None:
        self.server = server
        self.test = test

    def check(self, condition: bool, description: str) -> bool:
        if condition:
            return True
        if self.server.is_errand:
            raise AssertionError(f"contract: {description}")
        Contract.differences.append(f"{self.test}: {description}")
        return False
