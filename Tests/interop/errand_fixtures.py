"""Fixtures both interop suites share (Tests/interop and Tests/interop_v2): the server under test, one per pytest
session, and the `errand_only` marker, which skips a check of an Errand-specific choice when ERRAND_URL points at
a server that is not Errand (e.g. a FastMCP reference server). A suite's conftest imports these names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from harness import Server, server_from_env, stop


def register_errand_only(config: pytest.Config, what: str) -> None:
    """Declares the `errand_only` marker; `what` says which behaviour the suite's marked checks are about."""
    config.addinivalue_line("markers", f"errand_only: {what}; skipped when ERRAND_URL points at a server that is not Errand")


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = server_from_env()
    try:
        yield srv
    finally:
        stop(srv)


@pytest.fixture(autouse=True)
def _errand_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("errand_only") is None:
        return
    srv: Server = request.getfixturevalue("server")
    if not srv.is_errand:
        pytest.skip(f"Errand-only behaviour; {srv.url} is not Errand")
