"""Streamable HTTP transport refusals at /mcp (docs/mcp-protocol.md §4): sessions, versions, Origin, Host,
Content-Type, Accept, methods. Each is a 4xx with (where the server sends one) a JSON-RPC error without id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from wire import INVALID_REQUEST, MCP

PING = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "ping"}).encode()


@dataclass
class Case:
    id: str
    status: int
    code: int | None  # JSON-RPC error code of the body; None: no JSON-RPC body required
    headers: dict[str, Any] = field(default_factory=dict)  # overrides; None removes a header
    method: str = "POST"
    body: bytes = PING
    session: bool = True  # send the fixture session's id and version


CASES: list[Case] = [
    # sessions (§4.7)
    Case("no-session-header", 400, INVALID_REQUEST, session=False),
    Case("unknown-session", 404, INVALID_REQUEST, {"mcp-session-id": "0" * 32}),
    Case("session-id-with-spaces", 404, INVALID_REQUEST, {"mcp-session-id": "not a session"}),
    Case("session-id-8k", 404, INVALID_REQUEST, {"mcp-session-id": "a" * 8000}),
    Case("session-id-path-traversal", 404, INVALID_REQUEST, {"mcp-session-id": "../../etc/passwd"}),
    Case("empty-session-id", 404, INVALID_REQUEST, {"mcp-session-id": ""}),
    Case("get-stream-unknown-session", 404, INVALID_REQUEST,
         {"mcp-session-id": "f" * 32, "accept": "text/event-stream", "content-type": None}, method="GET", body=b""),
    Case("get-stream-no-session", 400, INVALID_REQUEST,
         {"accept": "text/event-stream", "content-type": None}, method="GET", body=b"", session=False),
    Case("delete-unknown-session", 404, INVALID_REQUEST, {"mcp-session-id": "e" * 32}, method="DELETE", body=b""),
    # protocol version header (§4.8)
    Case("version-from-the-past", 400, INVALID_REQUEST, {"mcp-protocol-version": "2024-11-05"}),
    Case("version-from-the-future", 400, INVALID_REQUEST, {"mcp-protocol-version": "2026-07-28"}),
    Case("version-garbage", 400, INVALID_REQUEST, {"mcp-protocol-version": "latest"}),
    Case("version-empty", 400, INVALID_REQUEST, {"mcp-protocol-version": ""}),
    # Origin and Host: DNS rebinding (§4.9)
    Case("foreign-origin", 403, None, {"origin": "http://evil.example.com"}),
    Case("origin-with-other-port", 403, None, {"origin": "http://evil.example.com:80"}),
    Case("origin-not-http", 403, None, {"origin": "file://"}),
    Case("origin-null-opaque", 403, None, {"origin": "null"}),
    Case("foreign-host", 403, None, {"host": "evil.example.com"}),
    Case("foreign-host-with-port", 403, None, {"host": "evil.example.com:8080"}),
    Case("host-localhost-suffix-trick", 403, None, {"host": "localhost.evil.example.com"}),
    Case("host-empty", 403, None, {"host": ""}),
    # media types (§4.2)
    Case("content-type-text-plain", 415, INVALID_REQUEST, {"content-type": "text/plain"}),
    Case("content-type-missing", 415, INVALID_REQUEST, {"content-type": None}),
    Case("content-type-json-lookalike", 415, INVALID_REQUEST, {"content-type": "application/jsonx"}),
    Case("content-type-form", 415, INVALID_REQUEST, {"content-type": "application/x-www-form-urlencoded"}),
    Case("accept-html-only", 406, INVALID_REQUEST, {"accept": "text/html"}),
    Case("accept-image-on-get", 406, INVALID_REQUEST, {"accept": "image/png", "content-type": None},
         method="GET", body=b""),
    # methods (§4.1)
    Case("put", 405, INVALID_REQUEST, method="PUT"),
    Case("patch", 405, INVALID_REQUEST, method="PATCH"),
    Case("options", 405, INVALID_REQUEST, method="OPTIONS", body=b""),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_transport_refusal(mcp: MCP, case: Case) -> None:
    headers = mcp.headers(case.headers, session=case.session)
    resp = mcp.http.request(case.method, mcp.server.mcp_url, content=case.body or None, headers=headers)
    assert resp.status_code == case.status, f"{case.id}: {resp.status_code} {resp.text[:300]}"
    assert "mcp-session-id" not in resp.headers, f"{case.id}: a refusal must not hand out a session"
    if case.code is not None:
        body = resp.json()
        assert body["error"]["code"] == case.code, body
        assert body.get("id") is None, f"{case.id}: a transport error has no request id: {body}"
    if case.status == 405:
        assert "POST" in resp.headers.get("allow", ""), resp.headers


def test_origin_of_the_server_itself_is_accepted(mcp: MCP) -> None:
    """The negative cases above mean something only if the right Origin and Host pass."""
    resp = mcp.post_raw(PING, {"origin": mcp.server.base})
    assert resp.status_code == 200 and resp.json()["result"] == {}, resp.text
    resp = mcp.post_raw(PING, {"host": f"localhost:{mcp.server.port}"})
    assert resp.status_code == 200, resp.text


def test_initialize_ignores_a_stale_session_header(mcp: MCP) -> None:
    """docs/mcp-protocol.md §4.7 [rec]: initialize creates a new session whatever header it carries."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {}}}).encode()
    resp = mcp.post_raw(body, {"mcp-session-id": "0" * 32}, session=False)
    assert resp.status_code == 200, resp.text
    new_id = resp.headers["mcp-session-id"]
    assert new_id != "0" * 32 and new_id != mcp.session_id
    mcp.http.delete(mcp.server.mcp_url, headers={"mcp-session-id": new_id})


def test_deleted_session_is_404_afterwards(mcp: MCP) -> None:
    other = MCP(mcp.server)
    try:
        other.initialize()
        assert other.http.delete(other.server.mcp_url, headers=other.headers()).status_code == 200
        for method in ("POST", "GET", "DELETE"):
            headers = other.headers({"accept": "text/event-stream"} if method == "GET" else None)
            resp = other.http.request(method, other.server.mcp_url,
                                      content=PING if method == "POST" else None, headers=headers)
            assert resp.status_code == 404, f"{method} after DELETE: {resp.status_code}"
    finally:
        other.close()
