"""Fixtures for the mcp 2.x suite; the server harness is shared with Tests/interop."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "interop"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))  # mcpwire, which harness uses

from errand_fixtures import _errand_only, register_errand_only, server  # noqa: E402, F401 - fixtures


def pytest_configure(config: pytest.Config) -> None:
    register_errand_only(config, "checks what Errand offers beyond the FastMCP 4 reference (both eras on one store, push)")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
