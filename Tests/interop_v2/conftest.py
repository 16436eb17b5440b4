"""Fixtures for the mcp 2.x suite; the server harness is shared with Tests/interop."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))  # mcpwire, which harness uses

from harness import Server, server_from_env, stop  # noqa: E402


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
