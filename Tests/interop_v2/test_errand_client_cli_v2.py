"""`errand` as an MCP client against the FastMCP 4.1.2 + fastmcp-tasks reference server (MCP 2026-07-28 with the
tasks extension, scripts/bench/peers/reference_server_v2.py): the client negotiates the modern era, follows tasks
by polling (FastMCP offers no subscriptions/listen), answers questions with tasks/update."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))

from errand_cli import (  # noqa: E402
    EXIT_CANCELLED,
    EXIT_COMPLETED,
    EXIT_NEEDS_INPUT,
    EXIT_REFUSED,
    EXIT_TOOL_ERROR,
    PeerServer,
    Terminal,
    run_cli,
    run_json,
)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    peer = PeerServer("reference_server_v2.py")
    try:
        yield peer.url
    finally:
        peer.stop()


def test_a_plain_call_prints_the_text(url: str) -> None:
    done = run_cli("call", "echo", "text=hello", url=url)
    assert done.returncode == EXIT_COMPLETED, done.stderr
    assert done.stdout.strip() == "hello"


def test_a_task_call_prints_the_result(url: str) -> None:
    status, result = run_json("call", "sleep", "seconds=0.2", "--task", url=url)
    assert status == EXIT_COMPLETED
    assert result["taskId"] and result["result"]["content"][0]["text"] == "slept 0.2"


def test_detach_then_watch_and_result_by_id(url: str) -> None:
    task_id = run_cli("call", "sleep", "seconds=0.3", "--task", "--detach", url=url).stdout.strip()
    assert task_id
    watched = run_cli("tasks", "watch", task_id, url=url)
    assert watched.returncode == EXIT_COMPLETED, watched.stderr
    assert watched.stdout.splitlines()[-1].startswith("status completed"), repr(watched.stdout)
    status, result = run_json("tasks", "result", task_id, url=url)
    assert status == EXIT_COMPLETED and result["result"]["content"][0]["text"] == "slept 0.3"


def test_a_tool_error_completes_with_is_error(url: str) -> None:
    done = run_cli("call", "fail", "message=boom", "--task", url=url)
    assert done.returncode == EXIT_TOOL_ERROR, (done.stdout, done.stderr)
    assert "boom" in done.stdout


def test_cancel_then_result_says_cancelled(url: str) -> None:
    task_id = run_cli("call", "sleep", "seconds=60", "--task", "--detach", url=url).stdout.strip()
    assert run_cli("tasks", "cancel", task_id, url=url).returncode == EXIT_COMPLETED
    status, result = run_json("tasks", "result", task_id, url=url)
    assert status == EXIT_CANCELLED and result["status"] == "cancelled"


def test_an_unknown_task_id_is_refused(url: str) -> None:
    done = run_cli("tasks", "get", "no-such-task", url=url)
    assert done.returncode == EXIT_REFUSED, done.stderr


def test_tasks_list_is_refused_clearly(url: str) -> None:
    # The extension has no tasks/list, and this server's 2025-11-25 side has no tasks.
    done = run_cli("tasks", "list", url=url)
    assert done.returncode == EXIT_REFUSED, done.stderr


def test_a_question_without_a_terminal_stops_with_its_status(url: str) -> None:
    done = run_cli("call", "approve_deployment", "service=api", "--task", url=url)
    assert done.returncode == EXIT_NEEDS_INPUT, done.stderr


def test_a_question_is_asked_on_the_terminal_and_answered(url: str) -> None:
    terminal = Terminal("call", "approve_deployment", "service=api", "--task", "--url", url)
    terminal.expect("[y/n]")
    terminal.send("y")
    assert terminal.wait() == EXIT_COMPLETED, terminal.output
    assert b"deployed api" in terminal.output
