"""The errand binary as a process: the `listening on` line, /healthz, graceful SIGTERM."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import pytest

from harness import LISTENING_RE, Raw, errand_binary, start_errand, stop

pytestmark = pytest.mark.errand_only


@pytest.fixture
def own_errand():  # type: ignore[no-untyped-def]
    if os.environ.get("ERRAND_URL") and not errand_binary().exists():
        pytest.skip(f"ERRAND_URL is set and there is no errand binary at {errand_binary()}")
    srv = start_errand()
    try:
        yield srv
    finally:
        stop(srv)


def test_listening_line_healthz_and_sigterm(own_errand) -> None:  # type: ignore[no-untyped-def]
    srv = own_errand
    assert srv.stdout_lines and LISTENING_RE.match(srv.stdout_lines[0].strip()), srv.stdout_lines
    assert srv.url.startswith("http://127.0.0.1:") and srv.port > 0
    assert httpx.get(srv.base + "/healthz", timeout=5).status_code == 200
    with Raw(srv.url) as raw:
        raw.initialize()
        assert raw.call("ping") == {}
        raw.start_task("sleep", {"seconds": 30})  # a running task must not block shutdown
    t0 = time.monotonic()
    code = stop(srv, timeout=10)
    assert code == 0, f"errand did not exit 0 on SIGTERM (got {code})"
    assert time.monotonic() - t0 < 10
    listening = [line for line in srv.stdout_lines if line.startswith("listening on")]
    assert len(listening) == 1, srv.stdout_lines


def _run_to_exit(args: list[str], cwd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Runs the binary with `args` until it exits by itself (each case here must fail to start)."""
    return subprocess.run([str(errand_binary()), *args], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)


def test_port_in_use_stops_what_started_closes_the_store_and_exits_69(own_errand, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = own_errand.port
    done = _run_to_exit(["serve", "--host", "127.0.0.1", "--port", str(port), "--store", "sqlite:tasks.sqlite",
                         "--log-level", "info"], cwd=str(tmp_path))
    assert done.returncode == 69, (done.returncode, done.stderr)
    assert f"error: could not start: bind to 127.0.0.1:{port} failed: Address already in use" in done.stderr
    # The engine had started (it recovers before the port is bound): it is stopped, then the store is closed.
    stopped = done.stderr.index("task engine stopped")
    assert done.stderr.index("closed the task store") > stopped, done.stderr
    assert "listening on" not in done.stdout
    # The file was released: another server opens it at once.
    again = start_errand(["--store", f"sqlite:{tmp_path / 'tasks.sqlite'}"])
    try:
        assert httpx.get(again.base + "/healthz", timeout=5).status_code == 200
    finally:
        assert stop(again) == 0


def test_a_store_that_cannot_be_opened_exits_69_with_the_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store's directory should be")
    done = _run_to_exit(["serve", "--port", "0", "--store", f"sqlite:{blocker}/tasks.sqlite"], cwd=str(tmp_path))
    assert done.returncode == 69, (done.returncode, done.stderr)
    assert f"error: could not open the task store sqlite:{blocker}/tasks.sqlite" in done.stderr
    assert "listening on" not in done.stdout


def test_an_unreachable_database_exits_69_without_showing_the_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = "postgres://errand:s3cret@127.0.0.1:1/errand"  # nothing listens on port 1
    done = _run_to_exit(["worker", "--store", url], cwd=str(tmp_path))
    assert "s3cret" not in done.stderr + done.stdout
    if "no PostgreSQL support" in done.stderr:  # a build without PostgreSQL support refuses the URL as a usage error
        assert done.returncode == 64, (done.returncode, done.stderr)
    else:
        assert done.returncode == 69, (done.returncode, done.stderr)
        assert "error: could not open the task store postgres://errand:***@127.0.0.1:1/errand" in done.stderr


def test_sigterm_as_soon_as_it_listens_exits_0(own_errand) -> None:  # type: ignore[no-untyped-def]
    code = stop(own_errand, timeout=10)
    assert code == 0, f"errand did not exit 0 on an immediate SIGTERM (got {code})"
