"""mcp 2.3.0 and fastmcp 4.1.2 clients: they probe `server/discover` first, which Errand answers with
2026-07-28 (test_modern_*.py covers that era); forced to the legacy path they still get 2025-11-25.

Neither has a client API for 2025-11-25 tasks, so this suite covers connect, tools/list and a plain call.
"""

from __future__ import annotations

import time

import pytest

from harness import Server

pytestmark = pytest.mark.anyio

CONNECT_BUDGET_S = 1.0


async def fastest_connect(make_client, attempts: int = 3) -> float:
    """The quickest of a few full connects (probe, fallback, initialize): one slow run on a loaded
    machine says nothing about the server, while a server that stalls the probe is slow every time."""
    best = float("inf")
    for _ in range(attempts):
        t0 = time.monotonic()
        async with make_client():
            best = min(best, time.monotonic() - t0)
        if best < CONNECT_BUDGET_S:
            break
    return best


async def test_mcp_v2_client_connects_fast(server: Server) -> None:
    from mcp.client import Client

    connect_s = await fastest_connect(lambda: Client(server.url))
    assert connect_s < CONNECT_BUDGET_S, f"connect took {connect_s:.2f}s (probe not answered fast?)"
    async with Client(server.url, mode="legacy") as legacy:
        assert legacy.protocol_version == "2025-11-25"
        assert (await legacy.call_tool("echo", {"text": "legacy"})).content[0].text == "legacy"
    async with Client(server.url) as client:  # default mode="auto": server/discover answers 2026-07-28
        assert client.protocol_version == "2026-07-28"
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"sleep", "echo", "slow_computation", "fail"} <= set(tools)
        result = await client.call_tool("echo", {"text": "hello from mcp 2"})
        assert result.content[0].text == "hello from mcp 2"
        slept = await client.call_tool("sleep", {"seconds": 0.2})
        assert slept.content[0].text == "slept 0.2"
        failed = await client.call_tool("fail", {"message": "v2 boom"})
        assert failed.is_error if hasattr(failed, "is_error") else failed.isError


async def test_fastmcp_v4_client_falls_back_fast(server: Server) -> None:
    from fastmcp import Client

    connect_s = await fastest_connect(lambda: Client(server.url))
    assert connect_s < CONNECT_BUDGET_S, f"connect took {connect_s:.2f}s (probe not answered fast?)"
    async with Client(server.url) as client:
        names = {t.name for t in await client.list_tools()}
        assert {"sleep", "echo", "slow_computation", "fail"} <= names
        result = await client.call_tool("echo", {"text": "hello from fastmcp 4"})
        assert result.content[0].text == "hello from fastmcp 4"
        slept = await client.call_tool("sleep", {"seconds": 0.2})
        assert slept.content[0].text == "slept 0.2"


async def test_legacy_plain_call_asks_on_its_own_stream(server: Server) -> None:
    """2025-11-25 without tasks: a tool that asks for input sends `elicitation/create` on the call's stream."""
    from mcp import types
    from mcp.client import Client

    asked: list[str] = []

    async def approve(context, params):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with Client(server.url, mode="legacy", elicitation_callback=approve) as client:
        assert client.protocol_version == "2025-11-25"
        result = await client.call_tool("approve_deployment", {"service": "inline"})
        assert result.content[0].text == "deployed inline"
        assert asked == ["Deploy inline to production?"]
