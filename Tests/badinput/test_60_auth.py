"""Bearer authentication under abuse, on a second server started with --auth-file (two principals, alice and
bob): missing, wrong and malformed credentials are 401 with a challenge; another principal's tasks and
sessions are answered exactly like unknown ones (-32602 over MCP, 404 over REST, 404 for a session).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from wire import INVALID_PARAMS, MCP, Server, errand_binary, raw_exchange, request_bytes, start_server, stop_server

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def new_token(principal: str) -> tuple[str, str]:
    out = subprocess.run([str(errand_binary()), "token", "new", "--principal", principal], check=True,
                         capture_output=True, text=True).stdout
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    return fields["token"], fields["hash"]


@dataclass
class AuthServer:
    server: Server
    alice: str
    bob: str


@pytest.fixture(scope="module")
def auth() -> Iterator[AuthServer]:
    alice, alice_hash = new_token("alice")
    bob, bob_hash = new_token("bob")
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.json"
        tokens.write_text(json.dumps({"principals": [{"name": "alice", "tokens": [alice_hash]},
                                                     {"name": "bob", "tokens": [bob_hash]}]}))
        server = start_server(extra_args=["--auth-file", str(tokens)], own=True)
        try:
            yield AuthServer(server, alice, bob)
        finally:
            stop_server(server)


class AuthedMCP(MCP):
    def __init__(self, server: Server, token: str) -> None:
        super().__init__(server)
        self.token = token

    def headers(self, extra: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, str]:
        return super().headers({"authorization": f"Bearer {self.token}", **(extra or {})}, session=session)


@pytest.fixture(scope="module")
def sessions(auth: AuthServer) -> Iterator[tuple[AuthedMCP, AuthedMCP, dict[str, Any]]]:
    """alice's and bob's sessions, and a task of alice's."""
    alice, bob = AuthedMCP(auth.server, auth.alice), AuthedMCP(auth.server, auth.bob)
    alice.initialize()
    bob.initialize()
    task = alice.start_task("slow_computation", {"duration": 30})
    yield alice, bob, task
    alice.close()
    bob.close()


PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
BAD_CREDENTIALS = {
    "no-authorization": None,
    "wrong-token": "Bearer not-a-real-token",
    "empty-bearer": "Bearer ",
    "basic-scheme": "Basic YWxpY2U6c2VjcmV0",
    "token-without-scheme": "TOKEN",  # replaced by alice's bare token below
    "token-with-trailing-junk": "Bearer TOKEN junk",
    "nul-in-token": "Bearer TOKEN\x00",
    "8k-token": "Bearer " + "A" * 8000,
}


def credential(value: str | None, auth: AuthServer) -> str | None:
    if value is None:
        return None
    return value.replace("TOKEN", auth.alice)


@pytest.mark.parametrize("name", list(BAD_CREDENTIALS), ids=list(BAD_CREDENTIALS))
def test_mcp_refuses_bad_credentials(auth: AuthServer, name: str) -> None:
    """On a raw socket: HTTP clients refuse to send some of these values at all."""
    value = credential(BAD_CREDENTIALS[name], auth)
    body = (b'{"jsonrpc":"2.0","id":0,"method":"initialize",'
            b'"params":{"protocolVersion":"2025-11-25","capabilities":{}}}')
    headers = [("Accept", "application/json, text/event-stream"), ("Content-Type", "application/json")]
    if value is not None:
        headers.append(("Authorization", value))
    exchange = raw_exchange(auth.server, request_bytes(auth.server, "POST", "/mcp", headers, body))
    response = exchange.responses[0]
    if "\x00" in (value or ""):
        assert response.status == 400, response  # a control byte in a header never reaches the gate
        return
    assert response.status == 401, f"{name}: {response.status} {response.body[:200]!r}"
    assert response.headers["www-authenticate"].startswith('Bearer realm="errand"'), response.headers
    assert "mcp-session-id" not in response.headers
    assert response.json()["error"]["message"], response.body


@pytest.mark.parametrize("path", ["/api/tasks", "/api/tools", "/api/events", f"/api/tasks/{UNKNOWN}"],
                         ids=["tasks", "tools", "events", "one-task"])
@pytest.mark.parametrize("name", ["no-authorization", "wrong-token", "basic-scheme"])
def test_rest_refuses_bad_credentials(auth: AuthServer, path: str, name: str) -> None:
    value = credential(BAD_CREDENTIALS[name], auth)
    headers = {"authorization": value} if value else {}
    resp = httpx.get(auth.server.base + path, headers=headers, timeout=5)
    assert resp.status_code == 401, f"{path} {name}: {resp.status_code} {resp.text[:200]}"
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_events_query_token_must_be_valid(auth: AuthServer) -> None:
    resp = httpx.get(auth.server.base + "/api/events?access_token=nope", timeout=5)
    assert resp.status_code == 401


def test_health_stays_open(auth: AuthServer) -> None:
    assert httpx.get(auth.server.base + "/healthz").status_code == 200
    assert httpx.get(auth.server.base + "/readyz").status_code == 200


def normalized(error: dict[str, Any], task_id: str) -> dict[str, Any]:
    return json.loads(json.dumps(error).replace(task_id, "<id>"))


@pytest.mark.parametrize("method", ["tasks/get", "tasks/result", "tasks/cancel"])
def test_foreign_task_over_mcp_is_answered_like_an_unknown_one(sessions, method: str) -> None:
    _, bob, task = sessions
    _, foreign = bob.send(method, {"taskId": task["taskId"]})
    _, unknown = bob.send(method, {"taskId": UNKNOWN})
    assert foreign["error"]["code"] == INVALID_PARAMS, foreign
    assert normalized(foreign["error"], task["taskId"]) == normalized(unknown["error"], UNKNOWN)


def test_foreign_task_is_missing_from_lists(sessions, auth: AuthServer) -> None:
    _, bob, task = sessions
    assert all(t["taskId"] != task["taskId"] for t in bob.call("tasks/list", {})["tasks"])
    rest = httpx.get(auth.server.base + "/api/tasks", headers={"authorization": f"Bearer {auth.bob}"}).json()
    assert all(t["id"] != task["taskId"] for t in rest["tasks"])


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("GET", "/result"), ("POST", "/cancel"), ("DELETE", "")],
                         ids=["get", "result", "cancel", "delete"])
def test_foreign_task_over_rest_is_404_like_an_unknown_one(sessions, auth: AuthServer, method: str,
                                                           suffix: str) -> None:
    _, _, task = sessions
    headers = {"authorization": f"Bearer {auth.bob}"}
    foreign = httpx.request(method, f"{auth.server.base}/api/tasks/{task['taskId']}{suffix}", headers=headers)
    unknown = httpx.request(method, f"{auth.server.base}/api/tasks/{UNKNOWN}{suffix}", headers=headers)
    assert foreign.status_code == unknown.status_code == 404, (foreign.text, unknown.text)
    assert foreign.text.replace(task["taskId"], "<id>") == unknown.text.replace(UNKNOWN, "<id>")


def test_foreign_session_is_404(sessions) -> None:
    alice, bob, _ = sessions
    resp = bob.post_raw(PING, {"mcp-session-id": alice.session_id})
    assert resp.status_code == 404, resp.text


def test_foreign_abuse_left_alices_task_alone(sessions) -> None:
    alice, _, task = sessions
    now = alice.call("tasks/get", {"taskId": task["taskId"]})
    assert now["status"] == "working", now  # bob's cancel and delete did nothing
