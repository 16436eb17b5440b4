"""`errand serve --tools FILE`: command tools end to end through the real binary — MCP and REST calls, the task's
log, cancel that leaves no process behind, shell-looking arguments, SIGHUP reloads (a broken file keeps the
served tools), and a broken file at start."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

from harness import LISTENING_RE, Raw, errand_binary

pytestmark = pytest.mark.errand_only

TOOLS = """\
tools:
  - name: count_words
    description: Count the words of a text file
    command: ["wc", "-w", "{path}"]
    arguments:
      path: {type: string, description: File to count}
  - name: steps
    description: Reports progress, logs on stderr, prints a result
    command: ["sh", "-c", "echo @progress 1/2 half way; echo result line; echo note from stderr >&2"]
  - name: fails
    description: Exits 3
    command: ["sh", "-c", "echo it broke >&2; exit 3"]
  - name: echo_args
    description: Prints its argument, one per line
    command: ["printf", "%s\\\\n", "{text}"]
    arguments:
      text: {type: string}
  - name: sleeper
    description: Writes its pid, then sleeps
    command: ["sh", "-c", "echo $$ > \\"$0\\"; exec sleep 300", "{pidfile}"]
    arguments:
      pidfile: {type: string}
    grace: 1s
"""


class Errand:
    """`errand serve --tools …` with its standard error kept in a file."""

    def __init__(self, tmp: Path, *args: str) -> None:
        self.stderr_path = tmp / f"stderr-{time.monotonic_ns()}.log"
        self.stderr = self.stderr_path.open("w")
        self.process = subprocess.Popen(
            [str(errand_binary()), "serve", "--host", "127.0.0.1", "--port", "0", "--store", "memory",
             "--log-level", "info", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1)
        pid_dir = os.environ.get("ERRAND_PID_DIR")
        if pid_dir and Path(pid_dir).is_dir():
            (Path(pid_dir) / f"errand-{self.process.pid}").write_text(str(self.process.pid))
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        match = LISTENING_RE.match(line.strip())
        if not match:
            self.stop()
            raise AssertionError(f"no listening line: {line!r}; stderr: {self.stderr_path.read_text()}")
        self.base = match.group(1)

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()
        return self.process.returncode

    def tool_names(self) -> set[str]:
        return {tool["name"] for tool in httpx.get(self.base + "/api/tools", timeout=10).json()["tools"]}

    def run(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        started = httpx.post(f"{self.base}/api/tools/{tool}/call?task=true", json=arguments, timeout=10)
        assert started.status_code == 202, started.text
        task_id = started.json()["id"]
        done = httpx.get(f"{self.base}/api/tasks/{task_id}/result?wait=30s", timeout=40).json()
        done["id"] = task_id
        return done


def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Polls `condition` until it holds or `timeout` seconds pass (the event, not a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "tools.yaml"
    path.write_text(TOOLS)
    return path


@pytest.fixture
def errand(tmp_path: Path, tools_file: Path):  # type: ignore[no-untyped-def]
    server = Errand(tmp_path, "--tools", str(tools_file))
    try:
        yield server
    finally:
        assert server.stop() == 0


def text(result: dict[str, Any]) -> str:
    return "".join(block.get("text", "") for block in result["result"]["content"])


def test_command_tools_are_listed_and_run_as_tasks_over_rest_and_mcp(errand: Errand, tmp_path: Path) -> None:
    assert {"count_words", "steps", "fails", "echo_args", "sleeper", "sleep"} <= errand.tool_names()
    target = tmp_path / "words.txt"
    target.write_text("one two three\nfour\n")
    done = errand.run("count_words", {"path": str(target)})
    assert done["status"] == "completed", done
    assert text(done).split()[0] == "4"

    with Raw(errand.base + "/mcp") as raw:
        raw.initialize()
        listed = {tool["name"]: tool for tool in raw.call("tools/list")["tools"]}
        assert listed["count_words"]["inputSchema"]["required"] == ["path"]
        assert listed["count_words"]["execution"]["taskSupport"] == "optional"
        plain = raw.call("tools/call", {"name": "count_words", "arguments": {"path": str(target)}})
        assert plain["isError"] is False and "4" in plain["content"][0]["text"]
        refused = raw.error("tools/call", {"name": "count_words", "arguments": {"path": 7}, "task": {}})
        assert refused["code"] == -32602 and "path" in refused["message"], refused


def test_progress_log_and_exit_codes(errand: Errand) -> None:
    done = errand.run("steps", {})
    assert done["status"] == "completed" and text(done).strip() == "result line", done
    task = httpx.get(f"{errand.base}/api/tasks/{done['id']}", timeout=10).json()
    assert task["progress"]["current"] == 1 and task["progress"]["total"] == 2, task
    log = httpx.get(f"{errand.base}/api/tasks/{done['id']}/log", timeout=10).text
    assert log.rstrip().endswith("note from stderr"), log

    failed = errand.run("fails", {})
    assert failed["result"]["isError"] is True, failed
    assert "3" in text(failed) and "it broke" in text(failed), failed


def test_arguments_that_look_like_shell_are_just_strings(errand: Errand, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for attack in [f"$(touch {marker})", f"`touch {marker}`", f"; touch {marker}", f"| touch {marker}"]:
        done = errand.run("echo_args", {"text": attack})
        assert done["status"] == "completed" and text(done).strip() == attack, done
    assert not marker.exists()


def test_cancel_leaves_no_process_behind(errand: Errand, tmp_path: Path) -> None:
    pidfile = tmp_path / "sleeper.pid"
    started = httpx.post(f"{errand.base}/api/tools/sleeper/call?task=true", json={"pidfile": str(pidfile)},
                         timeout=10).json()
    assert eventually(lambda: pidfile.exists() and pidfile.read_text().strip().isdigit())
    pid = int(pidfile.read_text())
    os.kill(pid, 0)  # running
    cancelled = httpx.post(f"{errand.base}/api/tasks/{started['id']}/cancel", timeout=10)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # A zombie still answers kill(0) until its parent reaps it; it runs nothing any more.
        return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

    assert eventually(gone), f"process {pid} survived the cancel"


def test_sighup_reloads_and_a_broken_file_keeps_the_served_tools(errand: Errand, tools_file: Path) -> None:
    tools_file.write_text(TOOLS + """\
  - name: late
    description: Added while serving
    command: ["echo", "late"]
""")
    errand.process.send_signal(signal.SIGHUP)
    assert eventually(lambda: "late" in errand.tool_names()), "the reloaded file's tool did not appear"
    assert text(errand.run("late", {})).strip() == "late"

    tools_file.write_text("tools:\n  - name: broken\n    command: [\"echo\"\n    description: x\n")
    errand.process.send_signal(signal.SIGHUP)
    assert eventually(lambda: "a tools file is broken" in errand.stderr_path.read_text()), "no reload error logged"
    error_line = next(line for line in errand.stderr_path.read_text().splitlines() if "tools file is broken" in line)
    assert str(tools_file) in error_line and re.search(r"line=\d+", error_line), error_line
    assert errand.process.poll() is None
    assert {"late", "count_words"} <= errand.tool_names() and "broken" not in errand.tool_names()


def test_a_broken_file_at_start_is_refused_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("tools:\n  - name: ok\n    command: [\"true\"]\n  - name: bad name!\n    command: [\"true\"]\n")
    result = subprocess.run(
        [str(errand_binary()), "serve", "--port", "0", "--store", "memory", "--tools", str(broken)],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 64, (result.returncode, result.stderr)
    assert f"{broken}:4" in result.stderr, result.stderr
    duplicate = tmp_path / "duplicate.yaml"
    duplicate.write_text('tools:\n  - name: sleep\n    description: clashes with a demo tool\n    command: ["true"]\n')
    clash = subprocess.run(
        [str(errand_binary()), "serve", "--port", "0", "--store", "memory", "--tools", str(duplicate)],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert clash.returncode == 64 and "already declared" in clash.stderr, clash.stderr
