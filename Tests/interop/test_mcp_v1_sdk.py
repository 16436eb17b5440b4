"""The official Python SDK, mcp 1.30.0 (streamable HTTP client, experimental task API)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.exceptions import McpError

from harness import RELATED_TASK, Contract, Server

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def connect(url: str, **kw: Any) -> AsyncIterator[tuple[ClientSession, Any]]:
    async with streamablehttp_client(url, **kw) as (read, write, get_session_id):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            session.init_result = init  # type: ignore[attr-defined]
            yield session, get_session_id


def text(result: types.CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, types.TextContent)
    return block.text


async def error_code(coro: Any) -> int:
    with pytest.raises(McpError) as info:
        await coro
    return info.value.error.code


async def test_initialize_and_capabilities(server: Server) -> None:
    async with connect(server.url) as (session, get_sid):
        init: types.InitializeResult = session.init_result  # type: ignore[attr-defined]
        assert init.protocolVersion == "2025-11-25"
        assert get_sid()
        tasks = init.capabilities.tasks
        assert tasks is not None
        dumped = tasks.model_dump(exclude_none=True)
        assert dumped["list"] == {} and dumped["cancel"] == {}
        assert dumped["requests"]["tools"]["call"] == {}
        assert init.serverInfo.name and init.serverInfo.version


async def test_list_tools_task_support(server: Server) -> None:
    async with connect(server.url) as (session, _):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        modes = {n: (t.execution.taskSupport if t.execution else None) for n, t in tools.items()}
        assert modes["sleep"] == "optional"
        assert modes["slow_computation"] == "optional"
        assert modes["must_be_background"] == "required"
        assert modes["sync_only"] in (None, "forbidden")
        assert modes["fail"] == "optional"
        assert modes["echo"] in (None, "forbidden")
        assert tools["echo"].inputSchema["properties"]["text"]["type"] == "string"


async def test_plain_calls(server: Server) -> None:
    async with connect(server.url) as (session, _):
        assert text(await session.call_tool("echo", {"text": "hi from mcp 1.x"})) == "hi from mcp 1.x"
        t0 = time.monotonic()
        slept = await session.call_tool("sleep", {"seconds": 0.5})
        assert time.monotonic() - t0 >= 0.45
        assert text(slept) == "slept 0.5" and not slept.isError
        failed = await session.call_tool("fail", {"message": "sdk-v1 boom"})
        assert failed.isError is True and "sdk-v1 boom" in text(failed)
        assert text(await session.call_tool("sync_only", {})) == "sync done"
        assert await session.send_ping() is not None


async def test_task_lifecycle(server: Server, contract: Contract) -> None:
    async with connect(server.url) as (session, _):
        exp = session.experimental
        created = await exp.call_tool_as_task("sleep", {"seconds": 0.5}, ttl=60000)
        task_id = created.task.taskId
        assert created.task.status == "working"
        assert created.task.ttl is None or isinstance(created.task.ttl, int)
        status = await exp.get_task(task_id)
        assert status.taskId == task_id and status.status in ("working", "completed")
        seen = [s.status async for s in exp.poll_task(task_id)]
        assert seen[-1] == "completed"
        result = await exp.get_task_result(task_id, types.CallToolResult)
        assert text(result) == "slept 0.5"
        meta = result.meta or {}
        contract.check(meta.get(RELATED_TASK) == {"taskId": task_id},
                       f"tasks/result _meta lacks related-task: {meta}")


async def test_failed_task(server: Server) -> None:
    async with connect(server.url) as (session, _):
        exp = session.experimental
        created = await exp.call_tool_as_task("fail", {"message": "task went wrong"})
        final = [s async for s in exp.poll_task(created.task.taskId)][-1]
        assert final.status == "failed"
        result = await exp.get_task_result(created.task.taskId, types.CallToolResult)
        assert result.isError is True and "task went wrong" in text(result)


async def test_list_and_cancel(server: Server, contract: Contract) -> None:
    async with connect(server.url) as (session, _):
        exp = session.experimental
        long = await exp.call_tool_as_task("sleep", {"seconds": 30})
        listed = await exp.list_tasks()
        ids = {t.taskId for t in listed.tasks}
        cursor = listed.nextCursor
        while cursor:
            page = await exp.list_tasks(cursor)
            ids |= {t.taskId for t in page.tasks}
            cursor = page.nextCursor
        contract.check(long.task.taskId in ids, "tasks/list does not show the session's running task")
        cancelled = await exp.cancel_task(long.task.taskId)
        assert cancelled.status == "cancelled"
        assert (await exp.get_task(long.task.taskId)).status == "cancelled"
        # cancel of a terminal task: -32602
        done = await exp.call_tool_as_task("sleep", {"seconds": 0})
        [s async for s in exp.poll_task(done.task.taskId)]
        try:
            await exp.cancel_task(done.task.taskId)
            contract.check(False, "tasks/cancel of a completed task succeeded")
        except McpError as exc:
            assert exc.error.code == -32602


async def test_cancelled_task_result(server: Server, contract: Contract) -> None:
    async with connect(server.url) as (session, _):
        exp = session.experimental
        created = await exp.call_tool_as_task("sleep", {"seconds": 30})
        await exp.cancel_task(created.task.taskId)
        try:
            await exp.get_task_result(created.task.taskId, types.CallToolResult)
            contract.check(False, "tasks/result of a cancelled task returned a result")
        except McpError as exc:
            assert exc.error.code == -32602
            contract.check(exc.error.data == {"taskId": created.task.taskId, "status": "cancelled"},
                           f"cancelled-result error data {exc.error.data!r}")
        except Exception as exc:  # noqa: BLE001 - e.g. a result that fails CallToolResult validation
            contract.check(False, f"tasks/result of a cancelled task: {type(exc).__name__}: {exc}")


async def test_task_mode_errors(server: Server, contract: Contract) -> None:
    async with connect(server.url) as (session, _):
        exp = session.experimental
        # required tool without a task -> -32601
        try:
            res = await session.call_tool("must_be_background", {})
            contract.check(False, f"required tool without task answered a result (isError={res.isError})")
        except McpError as exc:
            assert exc.error.code == -32601
        # forbidden tool with a task -> -32601
        for name, args in [("sync_only", {}), ("echo", {"text": "x"})]:
            try:
                await exp.call_tool_as_task(name, args)
                contract.check(False, f"forbidden tool {name} accepted a task")
            except McpError as exc:
                if contract.check(exc.error.code == -32601, f"{name} with task: code {exc.error.code}"):
                    assert exc.error.code == -32601
            except Exception as exc:  # noqa: BLE001 - the reference answers a CallToolResult
                contract.check(False, f"forbidden tool {name} with task: {type(exc).__name__}")
        # unknown task id -> -32602 on every task method
        unknown = "00000000-0000-4000-8000-000000000000"
        assert await error_code(exp.get_task(unknown)) == -32602
        assert await error_code(exp.cancel_task(unknown)) == -32602
        assert await error_code(exp.get_task_result(unknown, types.CallToolResult)) == -32602


async def test_session_end_deletes(server: Server) -> None:
    async with connect(server.url, terminate_on_close=True) as (session, get_sid):
        await session.list_tools()
        sid = get_sid()
        assert sid
    await anyio.sleep(0.1)
    async with httpx.AsyncClient() as http:
        resp = await http.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                               headers={"accept": "application/json, text/event-stream",
                                        "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25"})
        assert resp.status_code == 404
