"""In-task input (`input_required` + `elicitation/create`) with real clients (checklist 72–77).

Errand delivers a task's elicitation on the session's GET stream (docs/mcp-protocol.md §6.11): the mcp 1.x
client answers it from its message loop, and fastmcp 3.x, which only polls tasks/get, does the same.
`approve_deployment` is an Errand demo tool, so these run only against Errand.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
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


async def test_a_question_the_client_cannot_answer_is_answered_over_rest(server: Server) -> None:
    """A client without elicitation leaves the task waiting in input_required with its question stored; anyone who
    may see the task answers it over REST (here with curl's equivalent, httpx), and the client gets the result."""
    async with streamablehttp_client(server.url) as (read, write, _):
        async with ClientSession(read, write) as session:  # declares no elicitation capability
            await session.initialize()
            exp = session.experimental
            created = await exp.call_tool_as_task("approve_deployment", {"service": "api"}, ttl=60000)
            task_id = created.task.taskId
            with anyio.fail_after(20):
                async for status in exp.poll_task(task_id):
                    if status.status == "input_required":
                        break
            async with httpx.AsyncClient(base_url=server.base, timeout=10) as rest:
                question = (await rest.get(f"/api/tasks/{task_id}")).json()["inputRequest"]
                assert question["message"] == "Deploy api to production?", question
                answered = await rest.post(f"/api/tasks/{task_id}/input",
                                           json={"action": "accept", "content": {"approve": True}})
                assert answered.status_code == 200, answered.text
                again = await rest.post(f"/api/tasks/{task_id}/input", json={"action": "decline"})
                assert again.status_code == 409, again.text
            with anyio.fail_after(20):
                result = await exp.get_task_result(task_id, types.CallToolResult)
            block = result.content[0]
            assert isinstance(block, types.TextContent) and block.text == "deployed api"


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
