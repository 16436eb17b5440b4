"""What the bad-input suite needs to talk to the server: a started errand process, raw HTTP/1.1 over a
socket (for requests no HTTP client library would send), and the MCP client the suites share
(``Tests/pylib/mcpwire.py``) with this suite's additions.

The server under test is ``ERRAND_URL`` (an already running Errand; its base URL or its ``/mcp`` URL), or
else the binary ``$ERRAND_BIN`` (default ``<repo>/.build/debug/errand``) started with
``serve --host 127.0.0.1 --port 0 --store memory``; its ``listening on http://HOST:PORT`` line says where.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

# The MCP client and the server process are shared with the other suites (Tests/pylib, put on sys.path by
# conftest.py).
from mcpwire import (  # noqa: F401 - re-exported
    ACCEPT_BOTH,
    LATEST,
    REPO_ROOT,
    TERMINAL,
    Client,
    start_errand,
    stop_errand,
)
from mcpwire import errand_binary as default_errand_binary

# JSON-RPC error codes (docs/mcp-protocol.md §1.1).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602

OMIT: Any = type("Omit", (), {"__repr__": lambda self: "OMIT"})()  # leave the member out altogether


# --------------------------------------------------------------------------- server process


@dataclasses.dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[str] | None = None

    @property
    def host(self) -> str:
        return urlsplit(self.base).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return urlsplit(self.base).port or 80

    @property
    def authority(self) -> str:
        return urlsplit(self.base).netloc

    @property
    def mcp_url(self) -> str:
        return self.base + "/mcp"

    def alive(self) -> bool:
        return self.process is None or self.process.poll() is None


def errand_binary() -> Path:
    binary = default_errand_binary()
    if not binary.exists():
        raise RuntimeError(f"errand binary {binary} not found: run `swift build`, set ERRAND_BIN or ERRAND_URL")
    return binary


def start_server(timeout: float = 30.0, extra_args: list[str] | None = None, *, own: bool = False) -> Server:
    """The server under test; with `own`, always a fresh process of the binary (ERRAND_URL ignored)."""
    url = os.environ.get("ERRAND_URL")
    if url and not own:
        url = url.rstrip("/")
        return Server(base=url[: -len("/mcp")] if url.endswith("/mcp") else url)
    started = start_errand(["--public-dir", str(REPO_ROOT / "Public"), *(extra_args or [])],
                           log_level="error", timeout=timeout)
    return Server(base=started.base, process=started.process)


def stop_server(server: Server) -> int | None:
    return stop_errand(server.process)


# --------------------------------------------------------------------------- raw HTTP/1.1


@dataclasses.dataclass
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str]  # lower-cased names; the last value wins
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclasses.dataclass
class RawExchange:
    responses: list[RawResponse]
    closed: bool  # the server closed the connection after its responses


class RawConnection:
    """One TCP connection on which the test writes exact bytes and reads HTTP/1.1 responses."""

    def __init__(self, server: Server, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((server.host, server.port), timeout=timeout)
        self.buffer = b""
        self.eof = False

    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.eof = True  # the server already answered and closed; what it said is still readable

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def read_response(self) -> RawResponse | None:
        """The next response, or None if the connection ended first. Raises socket.timeout if none comes."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                return None
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status, *reason = lines[0].split(" ", 2)
        assert version == "HTTP/1.1", f"status line {lines[0]!r}"
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raise AssertionError(f"unexpected chunked/streaming response {lines[0]!r} {headers}")
        while len(self.buffer) < length:
            if not self._fill():
                break
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return RawResponse(int(status), reason[0] if reason else "", headers, body)

    def is_closed(self, wait: float = 2.0) -> bool:
        """Whether the server has closed the connection (reads EOF within `wait` seconds)."""
        if self.eof:
            return True
        self.sock.settimeout(wait)
        try:
            while self._fill():
                pass
            return True
        except (socket.timeout, TimeoutError):
            return False


def raw_exchange(server: Server, data: bytes, *, expect: int = 1, timeout: float = 5.0) -> RawExchange:
    """Send `data` on a fresh connection, read up to `expect` responses, and see whether it closes."""
    with RawConnection(server, timeout=timeout) as conn:
        conn.send(data)
        responses: list[RawResponse] = []
        for _ in range(expect):
            response = conn.read_response()
            if response is None:
                break
            responses.append(response)
        closed = conn.is_closed(wait=1.0 if responses and responses[-1].headers.get("connection") != "close"
                                else 3.0)
        # A response the server wrote after the one we expected would have been read into the buffer.
        while conn.buffer.startswith(b"HTTP/1.1 "):
            extra = conn.read_response()
            if extra is None:
                break
            responses.append(extra)
        return RawExchange(responses, closed)


def request_bytes(server: Server, method: str, target: str, headers: list[tuple[str, str]] | None = None,
                  body: bytes = b"", *, host: bool = True, length: bool = True) -> bytes:
    """A well-formed HTTP/1.1 request to build variations on."""
    lines = [f"{method} {target} HTTP/1.1"]
    if host:
        lines.append(f"Host: {server.authority}")
    for name, value in headers or []:
        lines.append(f"{name}: {value}")
    if length and (body or method in ("POST", "PUT")):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# --------------------------------------------------------------------------- MCP over httpx


class MCP(Client):
    """The shared raw client (``mcpwire.Client``) on `server`'s ``/mcp``, with this suite's additions: `send`
    and `call` that can leave `params` out altogether (OMIT) and insist on a JSON body, and `post_raw`."""

    def __init__(self, server: Server, timeout: float = 15.0) -> None:
        super().__init__(server.mcp_url, timeout, client_name="errand-badinput", first_id=1000)
        self.server = server

    @property
    def version(self) -> str | None:
        return self.protocol_version

    def post_raw(self, body: bytes, headers: dict[str, Any] | None = None, *, session: bool = True
                 ) -> httpx.Response:
        return self.post(None, headers, session=session, raw=body)

    def send(self, method: str, params: Any = OMIT) -> tuple[httpx.Response, dict]:
        """A request (no `params` member if `params` is OMIT); returns the HTTP response and its JSON-RPC
        message (JSON bodies only)."""
        request_id = self.new_id()
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not OMIT:
            body["params"] = params
        resp = self.post_raw(json.dumps(body).encode())
        assert resp.headers.get("content-type", "").startswith("application/json"), (
            f"{method}: expected a JSON body, got HTTP {resp.status_code} {resp.headers.get('content-type')}")
        message = resp.json()
        assert message.get("id") == request_id, f"{method}: id not echoed in {message}"
        return resp, message

    def call(self, method: str, params: Any = OMIT, **_: Any) -> dict[str, Any]:
        resp, message = self.send(method, params)
        assert resp.status_code == 200 and "result" in message, f"{method}: {resp.status_code} {message}"
        return message["result"]

    def start_task(self, name: str, arguments: dict[str, Any] | None = None, ttl: int | None = 600_000
                   ) -> dict[str, Any]:
        # Ten minutes: the baseline tasks must outlive the whole run (test_99_survival.py reads them last).
        return super().start_task(name, arguments, ttl)

    def wait_task(self, task_id: str, timeout: float = 10.0, until: set[str] = TERMINAL) -> dict[str, Any]:
        return super().wait_task(task_id, timeout, until)
