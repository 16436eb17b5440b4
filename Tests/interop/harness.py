"""The interop suites' harness: start (or find) the server under test and talk raw MCP over HTTP.

The client, SSE parsing and process handling are ``Tests/pylib/mcpwire.py``, shared with the other suites;
this module adds what is the interop suites' own: the choice of server, schema checks and ``Contract``.

The server under test is, in order of preference:

* ``ERRAND_URL`` (e.g. ``http://127.0.0.1:8765/mcp``) — an already running server. This is how the
  suite is validated against the FastMCP reference server in ``scripts/bench/peers``.
* the Errand binary ``$ERRAND_BIN`` or ``<repo>/.build/debug/errand``, started once per test session
  with ``serve --host 127.0.0.1 --port 0 --store memory --log-level warning``. Its single stdout line
  ``listening on http://HOST:PORT`` tells where it listens; SIGTERM stops it.

Whether the target is Errand decides if ``errand_only`` tests run and if contract checks that the
reference server is known to answer differently (see ``Contract``) are hard failures or recorded
differences. A server started from the binary is always Errand; for ``ERRAND_URL`` the
``serverInfo.name`` of ``initialize`` decides (``ERRAND_IS_ERRAND=1``/``0`` overrides).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import uuid
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The client, the SSE parsing and the server process are shared with the other suites (Tests/pylib, put on
# sys.path by conftest.py); they are re-exported here for the tests.
from mcpwire import (  # noqa: F401 - re-exported
    ACCEPT_BOTH,
    LATEST,
    LISTENING_RE,
    RELATED_TASK,
    REPO_ROOT,
    TERMINAL,
    Client,
    GetStream,
    SSEEvent,
    errand_binary,
    messages_of,
    parse_sse,
    start_errand as start_errand_process,
    stop_errand,
)

# The MCP schemas the raw checks validate against, kept in the repository (Tests/spec/<revision>/schema.json).
SPEC_DIR = REPO_ROOT / "Tests" / "spec"
SCHEMA_PATH = SPEC_DIR / "2025-11-25" / "schema.json"

RFC3339_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


# --------------------------------------------------------------------------- server process


@dataclasses.dataclass
class Server:
    """Where the server under test listens and what it is."""

    url: str  # the MCP endpoint, .../mcp
    is_errand: bool
    process: subprocess.Popen[str] | None = None
    stdout_lines: list[str] = dataclasses.field(default_factory=list)

    @property
    def base(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def authority(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80


def start_errand(extra_args: list[str] | None = None, timeout: float = 30.0) -> Server:
    """Start the Errand binary on a free port and wait for its `listening on` line."""
    started = start_errand_process(extra_args, log_level="warning", timeout=timeout)
    return Server(url=started.base + "/mcp", is_errand=True, process=started.process,
                  stdout_lines=started.stdout_lines)


def stop(server: Server, timeout: float = 10.0) -> int | None:
    """SIGTERM the server we started; SIGKILL it if it does not end in `timeout` seconds.

    Returns the exit status after SIGTERM, or None if it had to be killed (or was not ours).
    """
    return stop_errand(server.process, timeout)


def detect_errand(url: str) -> bool:
    forced = os.environ.get("ERRAND_IS_ERRAND")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    try:
        with Raw(url) as raw:
            info = raw.initialize()["result"]["serverInfo"]
            raw.delete()
        return "errand" in str(info.get("name", "")).lower()
    except Exception:  # noqa: BLE001 - a failing server is not Errand for this purpose
        return False


def server_from_env() -> Server:
    url = os.environ.get("ERRAND_URL")
    if url:
        url = url.rstrip("/")
        if not url.endswith("/mcp"):
            url += "/mcp"
        return Server(url=url, is_errand=detect_errand(url))
    return start_errand()


# --------------------------------------------------------------------------- client


class Raw(Client):
    """The shared raw MCP client (``mcpwire.Client``), named for this suite."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        super().__init__(url, timeout, client_name="errand-interop-raw")


def text_of(result: dict[str, Any]) -> str:
    """First text content block of a CallToolResult."""
    for block in result.get("content", []):
        if block.get("type") == "text":
            return block["text"]
    raise AssertionError(f"no text content in {result}")


def parse_time(stamp: str) -> datetime:
    assert RFC3339_RE.match(stamp), f"not an RFC 3339 timestamp: {stamp!r}"
    return datetime.fromisoformat(stamp.replace("Z", "+00:00").replace("z", "+00:00"))


def fresh_name() -> str:
    return uuid.uuid4().hex[:8]


# --------------------------------------------------------------------------- schema


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    import jsonschema

    schema = dict(_schema())
    assert name in schema["$defs"], f"no $defs/{name} in the 2025-11-25 schema"
    schema["$ref"] = f"#/$defs/{name}"
    return jsonschema.Draft202012Validator(schema)


def validate(instance: Any, name: str) -> None:
    """Validate `instance` against `$defs/<name>` of the official 2025-11-25 schema."""
    errors = sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        detail = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        raise AssertionError(f"not a valid {name}: {detail}\n{json.dumps(instance)[:800]}")


def check_task(task: dict[str, Any]) -> None:
    """Everything the checklist says about a Task object (items 49-51)."""
    validate(task, "Task")
    assert "ttl" in task, "Task.ttl key must always be present"
    assert task["ttl"] is None or type(task["ttl"]) is int, f"ttl not an integer: {task['ttl']!r}"
    if "pollInterval" in task:
        assert type(task["pollInterval"]) is int, f"pollInterval not an integer: {task['pollInterval']!r}"
    created = parse_time(task["createdAt"])
    updated = parse_time(task["lastUpdatedAt"])
    assert created.tzinfo is not None and updated.tzinfo is not None
    assert updated >= created, f"lastUpdatedAt {updated} before createdAt {created}"
    assert "statusMessage" not in task or isinstance(task["statusMessage"], str)


# --------------------------------------------------------------------------- contract checks


class Contract:
    """A check of our documented choice that the reference server may not share.

    Against Errand a failed check fails the test. Against another server it is recorded as a
    difference and reported at the end of the run (see conftest's terminal summary).
    """

    differences: list[str] = []

    def __init__(self, server: Server, test: str) -> None:
        self.server = server
        self.test = test

    def check(self, condition: bool, description: str) -> bool:
        if condition:
            return True
        if self.server.is_errand:
            raise AssertionError(f"contract: {description}")
        Contract.differences.append(f"{self.test}: {description}")
        return False
