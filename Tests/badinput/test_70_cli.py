"""Bad command lines: `errand serve` refuses them at once, with exit status 64 (usage) and a message naming
the option, and starts nothing. A valid durability option starts a server that answers."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import httpx
import pytest

from wire import errand_binary


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(errand_binary()), "serve", "--port", "0", *args], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(("args", "message"), [
    (["--store", "mysql://x"], "--store 'mysql://x' is not supported"),
    (["--store", "sqlite:"], "is not supported"),
    (["--sqlite-synchronous", "sometimes"], "'sometimes' is invalid for '--sqlite-synchronous"),
    (["--port", "70000"], "--port must be between 0 and 65535"),
    (["--max-concurrent-tasks", "0"], "--max-concurrent-tasks"),
    (["--host", "0.0.0.0"], "--auth-file"),
    (["--public-dir", "/nonexistent/dashboard"], "has no index.html"),
    (["--anonymous-submissions-per-minute", "0"], "--anonymous-submissions-per-minute must be between"),
    (["--max-active-tasks-per-owner=-5"], "--max-active-tasks-per-owner must be between"),
    (["--max-active-tasks", "0"], "--max-active-tasks must be between"),
    (["--max-queued-tasks", "0"], "--max-queued-tasks must be between"),
    (["--tools", "/nonexistent/tools.yaml"], "/nonexistent/tools.yaml: cannot read the file"),
])
def test_bad_command_line_is_refused(args: list[str], message: str) -> None:
    result = run_serve("--store", "memory", *args) if args[0] != "--store" else run_serve(*args)
    assert result.returncode == 64, result
    assert message in result.stderr, result.stderr


def test_full_durability_serves() -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = Path(directory) / "tasks.sqlite"
        proc = subprocess.Popen([str(errand_binary()), "serve", "--port", "0", "--store", f"sqlite:{database}",
                                 "--sqlite-synchronous", "full"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, stdin=subprocess.DEVNULL)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("listening on http://127.0.0.1:"), line
            proc.terminate()
            assert proc.wait(timeout=20) == 0
            assert database.exists()
        finally:
            if proc.poll() is None:
                proc.kill()


def test_the_dashboard_is_found_beside_the_executable_from_any_directory() -> None:
    """Started from another directory without --public-dir, the server still serves the dashboard."""
    with tempfile.TemporaryDirectory() as directory:
        proc = subprocess.Popen([str(errand_binary()), "serve", "--port", "0", "--store", "memory"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                                cwd=directory)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("listening on http://127.0.0.1:"), line
            base = line.split()[-1]
            page = httpx.get(base + "/", timeout=10)
            assert page.status_code == 200 and "<html" in page.text.lower(), page.status_code
            assert httpx.get(base + "/api/openapi.yaml", timeout=10).status_code == 200
            proc.terminate()
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()


def test_anonymous_submission_rate_is_an_option() -> None:
    """A local batch script can raise (or an operator lower) the anonymous limit: here 2 a minute, so the third
    submission from one address is refused with 429 naming the limit."""
    proc = subprocess.Popen([str(errand_binary()), "serve", "--port", "0", "--store", "memory",
                             "--anonymous-submissions-per-minute", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().split()[-1]
        statuses = [httpx.post(f"{base}/api/tools/sleep/call?task=true", json={"seconds": 0}, timeout=10)
                    for _ in range(3)]
        assert [r.status_code for r in statuses] == [202, 202, 429], [r.text for r in statuses]
        assert "submissions" in statuses[2].json()["detail"], statuses[2].text
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
