"""The errand binary as a process: the `listening on` line, /healthz, graceful SIGTERM."""

from __future__ import annotations

import os
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
