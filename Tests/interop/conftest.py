"""Fixtures for the interop suite: one server under test per pytest session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))  # mcpwire, shared by the suites

from errand_fixtures import _errand_only, register_errand_only, server  # noqa: E402, F401 - fixtures
from harness import Contract, Raw, Server  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    register_errand_only(config, "checks an Errand-specific choice (e.g. where the FastMCP reference server differs)")


@pytest.fixture
def contract(server: Server, request: pytest.FixtureRequest) -> Contract:
    return Contract(server, request.node.nodeid)


@pytest.fixture
def raw(server: Server) -> Iterator[Raw]:
    """A raw HTTP client with an initialized session (ended with DELETE afterwards)."""
    with Raw(server.url) as r:
        r.initialize()
        yield r
        try:
            r.delete()
        except Exception:  # noqa: BLE001 - cleanup only
            pass


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if Contract.differences:
        terminalreporter.section("differences from the documented Errand contract")
        for line in Contract.differences:
            terminalreporter.write_line(line)
    url = os.environ.get("ERRAND_URL")
    terminalreporter.write_line(f"server under test: {url or 'errand binary (started by the suite)'}")
