"""The fastmcp 3.4.10 Client: call_tool(task=True) -> ToolTask, and the seeds' "check from the phone"."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest
from fastmcp import Client
from fastmcp.client.tasks import ToolTask
from fastmcp.exceptions import ToolError
from mcp.shared.exceptions import McpError
from mcp.types import GetTaskResult

from harness import Contract, Server

pytestmark = pytest.mark.anyio


def text(result: Any) -> str:
    return result.content[0].text


async def test_plain_calls(server: Server) -> None:
    async with Client(server.url) as client:
        names = {t.name for t in await client.list_tools()}
        assert {"sleep", "slow_computation", "must_be_background", "sync_only", "fail", "echo"} <= names
        assert text(await client.call_tool("echo", {"text": "fastmcp 3"})) == "fastmcp 3"
        assert text(await client.call_tool("sleep", {"seconds": 0.5})) == "slept 0.5"
        with pytest.raises(ToolError, match="fastmcp-3 boom"):
            await client.call_tool("fail", {"message": "fastmcp-3 boom"})


async def test_tool_task_status_wait_await(server: Server) -> None:
    async with Client(server.url) as client:
        t0 = time.monotonic()
        task = await client.call_tool("sleep", {"seconds": 1}, task=True)
        assert isinstance(task, ToolTask)
        assert time.monotonic() - t0 < 1.0, "call_tool(task=True) waited for the work"
        assert not task.returned_immediately
        assert (await task.status()).status in ("working", "completed")
        final = await task.wait(timeout=30)
        assert final.status == "completed"
        result = await task
        assert text(result) == "slept 1"
        assert text(await task.result()) == "slept 1"


async def test_three_sleeps_run_concurrently_as_tasks(server: Server) -> None:
    """The seeds' headline: 3 s + 2 s + 1 s as tasks take about 3 s, not 6 s."""
    async with Client(server.url) as client:
        t0 = time.monotonic()
        tasks = [await client.call_tool("sleep", {"seconds": s}, task=True) for s in (3, 2, 1)]
        results = [await t for t in tasks]
        elapsed = time.monotonic() - t0
        assert [text(r) for r in results] == ["slept 3", "slept 2", "slept 1"]
        assert elapsed < 5.5, f"three tasks took {elapsed:.1f}s"


async def test_cancel(server: Server) -> None:
    async with Client(server.url) as client:
        task = await client.call_tool("sleep", {"seconds": 30}, task=True)
        await task.cancel()
        assert (await client.get_task_status(task.task_id)).status == "cancelled"
        with pytest.raises(Exception):  # noqa: B017 - ToolError or McpError, both surface the cancel
            await task.result()


async def test_status_change_callback(server: Server, contract: Contract) -> None:
    async with Client(server.url) as client:
        await anyio.sleep(0.2)  # let the client open its GET stream
        seen: list[GetTaskResult] = []
        task = await client.call_tool("slow_computation", {"duration": 2}, task=True)
        task.on_status_change(seen.append)
        result = await task
        assert text(result) == "computed 2 steps"
        await anyio.sleep(0.3)
        statuses = [s.status for s in seen]
        if contract.check(bool(seen), "no notifications/tasks/status reached on_status_change"):
            assert all(s.taskId == task.task_id for s in seen)
            assert statuses[-1] == "completed", statuses


async def test_forbidden_tool_with_task(server: Server, contract: Contract) -> None:
    """fastmcp degrades gracefully when the server answers a CallToolResult; Errand answers -32601."""
    async with Client(server.url) as client:
        try:
            task = await client.call_tool("sync_only", {}, task=True)
        except McpError as exc:
            assert exc.error.code == -32601
            return
        except ToolError as exc:
            contract.check(False, f"forbidden tool with task gave a tool error, not -32601: {exc}")
            return
        # The server answered a CallToolResult instead of a CreateTaskResult: fastmcp falls back.
        assert task.returned_immediately
        try:
            outcome = text(await task)
        except ToolError as exc:
            outcome = f"tool error: {exc}"
        contract.check(False, f"forbidden tool with task answered a CallToolResult, not -32601 ({outcome})")


async def test_required_tool_without_task_errors(server: Server) -> None:
    async with Client(server.url) as client:
        with pytest.raises((McpError, ToolError)):
            await client.call_tool("must_be_background", {})
        task = await client.call_tool("must_be_background", {}, task=True)
        assert text(await task) == "background done"


async def test_second_client_fetches_result_by_id(server: Server, contract: Contract) -> None:
    """Close the laptop, check from the phone: a new session reads the task by id."""
    async with Client(server.url) as laptop:
        task = await laptop.call_tool("sleep", {"seconds": 0.5}, task=True)
        task_id = task.task_id
        laptop_result = await task
    async with Client(server.url) as phone:
        try:
            status = await phone.get_task_status(task_id)
        except McpError as exc:
            contract.check(False, f"a second client cannot read the task: {exc.error.message}")
            return
        assert status.taskId == task_id and status.status == "completed"
        raw = await phone.get_task_result(task_id)
        assert raw["content"][0]["text"] == text(laptop_result) == "slept 0.5"


async def test_list_tasks(server: Server, contract: Contract) -> None:
    async with Client(server.url) as client:
        task = await client.call_tool("sleep", {"seconds": 0}, task=True)
        await task
        listed = await client.list_tasks()
        assert task.task_id in {t["taskId"] for t in listed["tasks"]}
        raw = await client.session.experimental.list_tasks()  # without fastmcp's local fallback
        contract.check(task.task_id in {t.taskId for t in raw.tasks}, "tasks/list is empty on the server side")
