"""Fixtures for the mcp 2.x suite; the server harness is shared with Tests/interop."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))  # mcpwire, which harness uses

from harness import Server, server_from_env, stop  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "errand_only: checks what Errand offers beyond the FastMCP 4 reference (both eras on one store, push); "
        "skipped when ERRAND_URL points at a server that is not Errand",
    )


@pytest.fixture(autouse=True)
def _errand_only(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("errand_only") is None:
        return
    srv: Server = request.getfixturevalue("server")
    if not srv.is_errand:
        pytest.skip(f"Errand-only behaviour; {srv.url} is not Errand")


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    srv = server_from_env()
    try:
        yield srv
    finally:
        stop(srv)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
