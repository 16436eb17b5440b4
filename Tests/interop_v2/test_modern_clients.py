"""The real 2026-07-28 clients against the server: fastmcp 4.1.2 with fastmcp-tasks 4.1.2, and mcp 2.3.0 with
and without `TasksClientExtension`."""

from __future__ import annotations

import asyncio

import pytest

from harness import Server

pytestmark = pytest.mark.anyio

CONCURRENT_TASKS = 20


async def approve(message, response_type, params, context):  # fastmcp elicitation handler
    return {"approve": True}


async def test_fastmcp_transparent_call_tool(server: Server) -> None:
    import fastmcp_tasks  # noqa: F401  (registers the client half of the extension)
    from fastmcp import Client

    async with Client(server.url) as client:
        assert client.protocol_version == "2026-07-28"
        result = await client.call_tool("sleep", {"seconds": 0.2})
        assert result.content[0].text == "slept 0.2"
        background = await client.call_tool("must_be_background", {})
        assert background.content[0].text == "background done"


async def test_fastmcp_call_tool_task_handle(server: Server) -> None:
    from fastmcp import Client
    from fastmcp_tasks import call_tool_task

    async with Client(server.url) as client:
        task = await call_tool_task(client, "sleep", {"seconds": 0.3})
        status = await task.status()
        assert status.status in {"working", "completed"} and status.task_id == task.task_id
        result = await task.result()
        assert result.content[0].text == "slept 0.3"
        final = await task.wait(timeout=5)
        assert final.status == "completed"

        long = await call_tool_task(client, "sleep", {"seconds": 60})
        await long.cancel()
        assert (await long.wait(timeout=10)).status == "cancelled"


async def test_fastmcp_tool_error_is_completed_with_is_error(server: Server) -> None:
    from fastmcp import Client
    from fastmcp.exceptions import ToolError
    from fastmcp_tasks import call_tool_task

    async with Client(server.url) as client:
        task = await call_tool_task(client, "fail", {"message": "handle boom"})
        assert (await task.wait(timeout=10)).status == "completed"
        with pytest.raises(ToolError, match="handle boom"):
            await client.call_tool("fail", {"message": "handle boom"})


async def test_fastmcp_elicitation_through_tasks_update(server: Server) -> None:
    from fastmcp import Client
    from fastmcp_tasks import call_tool_task

    async with Client(server.url, elicitation_handler=approve) as client:
        result = await client.call_tool("approve_deployment", {"service": "payments"})
        assert result.content[0].text == "deployed payments"
        task = await call_tool_task(client, "approve_deployment", {"service": "ledger"})
        parked = await task.wait(state="input_required", timeout=10)
        assert parked.input_requests
        assert (await task.result()).content[0].text == "deployed ledger"


async def test_fastmcp_many_concurrent_tasks(server: Server) -> None:
    from fastmcp import Client
    from fastmcp_tasks import call_tool_task

    async with Client(server.url) as client:
        seconds = [("0", 0), ("0.1", 0.1), ("0.2", 0.2)]
        plan = [seconds[i % len(seconds)] for i in range(CONCURRENT_TASKS)]
        tasks = await asyncio.gather(*(call_tool_task(client, "sleep", {"seconds": s}) for _, s in plan))
        assert len({t.task_id for t in tasks}) == CONCURRENT_TASKS
        results = await asyncio.gather(*(t.result() for t in tasks))
        assert [r.content[0].text for r in results] == [f"slept {text}" for text, _ in plan]


async def test_mcp_client_with_tasks_extension(server: Server) -> None:
    from fastmcp_tasks.client import TasksClientExtension
    from mcp import Client

    async with Client(server.url, extensions=[TasksClientExtension()]) as client:
        assert client.protocol_version == "2026-07-28"
        result = await client.call_tool("must_be_background", {})
        assert result.content[0].text == "background done"
        slept = await client.call_tool("sleep", {"seconds": 0.1})
        assert slept.content[0].text == "slept 0.1"


async def test_mcp_client_without_extension_runs_inline_or_gets_32021(server: Server) -> None:
    from mcp import Client
    from mcp.shared.exceptions import MCPError

    async with Client(server.url) as client:
        assert client.protocol_version == "2026-07-28"
        result = await client.call_tool("sleep", {"seconds": 0.1})
        assert result.content[0].text == "slept 0.1"
        with pytest.raises(MCPError) as raised:
            await client.call_tool("must_be_background", {})
        assert raised.value.code == -32021
        assert raised.value.error.data["requiredCapabilities"]["extensions"] == {"io.modelcontextprotocol/tasks": {}}
