"""In-task input (`input_required` + `elicitation/create`) with real clients (checklist 72–77).

Errand delivers a task's elicitation on the session's GET stream (docs/mcp-protocol.md §6.11): the mcp 1.x
client answers it from its message loop, and fastmcp 3.x, which only polls tasks/get, does the same.
`approve_deployment` is an Errand demo tool, so these run only against Errand.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamablehttp_client

from harness import RELATED_TASK, Server

pytestmark = [pytest.mark.anyio, pytest.mark.errand_only]


async def test_mcp_v1_answers_an_in_task_elicitation(server: Server) -> None:
    asked: list[types.ElicitRequestParams] = []

    async def approve(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with streamablehttp_client(server.url) as (read, write, _):
        async with ClientSession(read, write, elicitation_callback=approve) as session:
            await session.initialize()
            exp = session.experimental
            created = await exp.call_tool_as_task("approve_deployment", {"service": "api"}, ttl=60000)
            task_id = created.task.taskId
            statuses = [s.status async for s in exp.poll_task(task_id)]
            assert statuses[-1] == "completed", statuses
            result = await exp.get_task_result(task_id, types.CallToolResult)
            block = result.content[0]
            assert isinstance(block, types.TextContent) and block.text == "deployed api"
    assert len(asked) == 1
    assert "api" in asked[0].message
    meta = asked[0].meta.model_dump(by_alias=True) if asked[0].meta else {}
    assert meta.get(RELATED_TASK) == {"taskId": task_id}


async def test_mcp_v1_declining_ends_the_task_without_deploying(server: Server) -> None:
    async def decline(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with streamablehttp_client(server.url) as (read, write, _):
        async with ClientSession(read, write, elicitation_callback=decline) as session:
            await session.initialize()
            exp = session.experimental
            created = await exp.call_tool_as_task("approve_deployment", {"service": "db"}, ttl=60000)
            with anyio.fail_after(20):
                result = await exp.get_task_result(created.task.taskId, types.CallToolResult)
            block = result.content[0]
            assert isinstance(block, types.TextContent) and block.text == "deployment of db not approved"


async def test_client_without_elicitation_gets_a_clear_failure(server: Server) -> None:
    async with streamablehttp_client(server.url) as (read, write, _):
        async with ClientSession(read, write) as session:  # declares no elicitation capability
            await session.initialize()
            exp = session.experimental
            created = await exp.call_tool_as_task("approve_deployment", {"service": "api"}, ttl=60000)
            statuses = [s.status async for s in exp.poll_task(created.task.taskId)]
            assert statuses[-1] == "failed"
            status = await exp.get_task(created.task.taskId)
            assert "elicitation" in (status.statusMessage or "")


async def test_fastmcp_v3_answers_an_in_task_elicitation_while_polling(server: Server) -> None:
    from fastmcp import Client

    asked: list[str] = []

    async def handler(message: str, response_type: Any, params: Any, context: Any) -> Any:
        asked.append(message)
        return {"approve": True}

    async with Client(server.url, elicitation_handler=handler) as client:
        task = await client.call_tool("approve_deployment", {"service": "web"}, task=True)
        with anyio.fail_after(20):
            result = await task
        assert result.content[0].text == "deployed web"
    assert asked and "web" in asked[0]
