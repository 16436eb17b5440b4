"""Bearer-token authentication with the real mcp 1.30.0 client against an errand started with --auth-file.

alice and carol share the team "chem", bob is alone. alice's task is invisible to bob (exactly like an
unknown id) and visible to carol; a session belongs to the principal that created it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError

from harness import ACCEPT_BOTH, LATEST, Server, errand_binary, start_errand, stop

pytestmark = [pytest.mark.errand_only, pytest.mark.anyio]

PRINCIPALS = {"alice": "chem", "carol": "chem", "bob": None}


def new_token(principal: str) -> tuple[str, str]:
    """`errand token new --principal NAME`: the token and the hash line for the tokens file."""
    out = subprocess.run(
        [str(errand_binary()), "token", "new", "--principal", principal],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout
    fields = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert fields["hash"].startswith("sha256:") and len(fields["hash"]) == 7 + 64, out
    return fields["token"], fields["hash"]


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    """A second errand, started with a tokens file for alice, carol and bob."""
    if not errand_binary().exists():
        pytest.skip(f"no errand binary at {errand_binary()}")
    tokens: dict[str, str] = {}
    principals = []
    for name, team in PRINCIPALS.items():
        token, digest = new_token(name)
        tokens[name] = token
        entry: dict[str, Any] = {"name": name, "tokens": [digest]}
        if team:
            entry["team"] = team
        principals.append(entry)
    path = tmp_path_factory.mktemp("auth") / "tokens.json"
    path.write_text(json.dumps({"principals": principals}))
    srv = start_errand(["--auth-file", str(path)])
    try:
        yield srv, tokens
    finally:
        stop(srv)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def connect(url: str, token: str) -> AsyncIterator[ClientSession]:
    async with streamablehttp_client(url, headers=bearer(token)) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


async def error_code(coro: Any) -> int:
    with pytest.raises(McpError) as info:
        await coro
    return info.value.error.code


def test_requests_without_a_token_get_401(auth_server: tuple[Server, dict[str, str]]) -> None:
    srv, _ = auth_server
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": LATEST, "capabilities": {},
                       "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"accept": ACCEPT_BOTH, "content-type": "application/json"}
    resp = httpx.post(srv.url, json=init, headers=headers, timeout=10)
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith('Bearer realm="errand"')
    body = resp.json()
    assert body["id"] is None and "error" in body
    wrong = httpx.post(srv.url, json=init, headers={**headers, **bearer("wrong")}, timeout=10)
    assert wrong.status_code == 401 and "invalid_token" in wrong.headers["www-authenticate"]
    rest = httpx.get(srv.base + "/api/tasks", timeout=10)
    assert rest.status_code == 401 and rest.headers["content-type"] == "application/problem+json"
    assert httpx.get(srv.base + "/healthz", timeout=10).status_code == 200
    assert httpx.get(srv.base + "/api/auth", timeout=10).json() == {"required": True, "principal": None}


async def test_alice_cannot_see_bobs_task_but_teammates_can(
    auth_server: tuple[Server, dict[str, str]],
) -> None:
    srv, tokens = auth_server
    async with connect(srv.url, tokens["bob"]) as bob:
        created = await bob.experimental.call_tool_as_task("sleep", {"seconds": 30}, ttl=60000)
        bobs_task = created.task.taskId
        async with connect(srv.url, tokens["alice"]) as alice:
            unknown = "00000000-0000-4000-8000-000000000000"
            assert await error_code(alice.experimental.get_task(bobs_task)) == -32602
            assert await error_code(alice.experimental.get_task(unknown)) == -32602
            assert await error_code(alice.experimental.cancel_task(bobs_task)) == -32602
            assert bobs_task not in {t.taskId for t in (await alice.experimental.list_tasks()).tasks}

            alices = await alice.experimental.call_tool_as_task("sleep", {"seconds": 0.2}, ttl=60000)
            async with connect(srv.url, tokens["carol"]) as carol:
                seen = await carol.experimental.get_task(alices.task.taskId)
                assert seen.taskId == alices.task.taskId
                listed = {t.taskId for t in (await carol.experimental.list_tasks()).tasks}
                assert alices.task.taskId in listed and bobs_task not in listed
                result = await carol.experimental.get_task_result(alices.task.taskId, types.CallToolResult)
                assert result.isError is not True
                assert await error_code(carol.experimental.get_task(bobs_task)) == -32602
        assert (await bob.experimental.get_task(bobs_task)).status == "working"
        await bob.experimental.cancel_task(bobs_task)

    # REST says the same: bob's task is a 404 for alice, a 200 for bob.
    assert httpx.get(f"{srv.base}/api/tasks/{bobs_task}", headers=bearer(tokens["alice"]), timeout=10).status_code == 404
    assert httpx.get(f"{srv.base}/api/tasks/{bobs_task}", headers=bearer(tokens["bob"]), timeout=10).status_code == 200


async def test_a_session_belongs_to_its_principal(auth_server: tuple[Server, dict[str, str]]) -> None:
    srv, tokens = auth_server
    async with streamablehttp_client(srv.url, headers=bearer(tokens["alice"])) as (read, write, get_sid):
        async with ClientSession(read, write) as session:
            await session.initialize()
            sid = get_sid()
            assert sid
            ping = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
            headers = {"accept": ACCEPT_BOTH, "content-type": "application/json", "mcp-session-id": sid,
                       "mcp-protocol-version": LATEST}
            as_bob = httpx.post(srv.url, json=ping, headers={**headers, **bearer(tokens["bob"])}, timeout=10)
            assert as_bob.status_code == 404
            as_alice = httpx.post(srv.url, json=ping, headers={**headers, **bearer(tokens["alice"])}, timeout=10)
            assert as_alice.status_code == 200
            await session.send_ping()


def test_non_loopback_without_tokens_refuses_to_start() -> None:
    if not errand_binary().exists():
        pytest.skip(f"no errand binary at {errand_binary()}")
    proc = subprocess.run(
        [str(errand_binary()), "serve", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode != 0
    assert "--auth-file" in proc.stderr and "errand token new" in proc.stderr


def test_token_hash_reads_stdin() -> None:
    if not errand_binary().exists():
        pytest.skip(f"no errand binary at {errand_binary()}")
    out = subprocess.run([str(errand_binary()), "token", "hash"], input="abc\n", capture_output=True,
                         text=True, check=True, timeout=30).stdout.strip()
    assert out == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
