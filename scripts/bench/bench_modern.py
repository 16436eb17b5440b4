"""MCP 2026-07-28 tasks benchmark: the same mcp 2.3.0 client (with fastmcp-tasks' TasksClientExtension)
against Errand and against the FastMCP 4.1.2 reference server (scripts/bench/peers/reference_server_v2.py).

Measures, per server:
  * submit latency: sequential `tools/call sleep(0)` answered with a CreateTaskResult (p50 / p95 / max);
  * throughput: CALLERS concurrent callers (one client each) doing transparent `call_tool("sleep", 0)`
    (submit, poll `tasks/get` to the end) for DURATION seconds: completed tasks per second;
  * completion -> client knows: `sleep(1)` tasks; the delay from their completion to the client learning it, by
    the client's own polling (both servers) and, on Errand only, by push (`subscriptions/listen`; FastMCP 4
    answers it with 404). Completion is taken as "CreateTaskResult received + 1 s" for every server (FastMCP
    moves `lastUpdatedAt` on every `tasks/get`, so it cannot date the completion); for Errand the delay from
    the stored `lastUpdatedAt` of the completed task is reported too, as a cross-check.

Usage (from the repository root, in the venv of Tests/requirements-v2.txt):
  python scripts/bench/bench_modern.py --errand-bin .build/release/errand [--callers 50] [--duration 10]
Errand runs with a tokens file whose principal's limits do not get in the way (as scripts/load-test.sh does);
the client sends its bearer token to both servers (FastMCP ignores it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
VERSION = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"


# ------------------------------------------------------------------ servers


def start_errand(binary: str, token: str) -> tuple[subprocess.Popen[str], str, Path]:
    work = Path(tempfile.mkdtemp(prefix="bench-modern-"))
    tokens = work / "tokens.json"
    tokens.write_text(json.dumps({"principals": [{
        "name": "bench", "tokens": ["sha256:" + hashlib.sha256(token.encode()).hexdigest()],
        "limits": {"concurrentTasks": 1000, "queuedTasks": 100000, "submissionsPerMinute": 1_000_000}}]}))
    proc = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", "0", "--store", "memory", "--log-level", "error",
         "--auth-file", str(tokens)],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.match(r"^listening on (http://\S+)$", line.strip())
    if not match:
        proc.kill()
        raise SystemExit(f"errand did not start: {line!r}")
    return proc, match.group(1) + "/mcp", work


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_reference() -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(HERE / "peers" / "reference_server_v2.py"), str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            body = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": {
                "io.modelcontextprotocol/protocolVersion": VERSION, "io.modelcontextprotocol/clientCapabilities": {}}}}
            r = httpx.post(url, json=body, headers={"mcp-protocol-version": VERSION, "mcp-method": "server/discover",
                                                    "accept": "application/json, text/event-stream"}, timeout=2)
            if r.status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the reference server did not start")


# ------------------------------------------------------------------ client


def client(url: str, token: str) -> Any:
    from fastmcp_tasks.client import TasksClientExtension
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    return Client(streamable_http_client(url, http_client=http), extensions=[TasksClientExtension()])


def stamp(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    nearest_rank = min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[nearest_rank] * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2), "n": len(ordered)}


async def submit_latency(url: str, token: str, count: int) -> dict[str, float]:
    async with client(url, token) as c:
        for _ in range(5):  # warm-up
            await c.session.call_tool("sleep", {"seconds": 0}, allow_claimed=True)
        samples = []
        for _ in range(count):
            t0 = time.perf_counter()
            created = await c.session.call_tool("sleep", {"seconds": 0}, allow_claimed=True)
            samples.append(time.perf_counter() - t0)
            assert getattr(created, "task_id", None), f"not a task: {created}"
    return summary(samples)


async def throughput(url: str, token: str, callers: int, duration: float) -> dict[str, float]:
    done = 0
    errors = 0
    stop_at = 0.0

    async def caller() -> None:
        nonlocal done, errors
        async with client(url, token) as c:
            await ready.wait()
            while time.monotonic() < stop_at:
                try:
                    result = await c.call_tool("sleep", {"seconds": 0})
                    done += 1 if result.content[0].text == "slept 0" else 0
                except Exception:  # noqa: BLE001 - counted, the run goes on
                    errors += 1

    ready = asyncio.Event()
    workers = [asyncio.create_task(caller()) for _ in range(callers)]
    await asyncio.sleep(2.0)  # let every client connect (server/discover) before the clock starts
    t0 = time.monotonic()
    stop_at = t0 + duration
    ready.set()
    await asyncio.gather(*workers)
    elapsed = time.monotonic() - t0
    return {"tasks_per_s": round(done / elapsed, 1), "completed": done, "errors": errors, "callers": callers}


WORK_S = 1.0


async def knowing_by_polling(url: str, token: str, count: int) -> dict[str, Any]:
    from fastmcp_tasks.client import _drive_to_terminal

    async with client(url, token) as c:
        estimated, stored = [], []
        for _ in range(count):
            created = await c.session.call_tool("sleep", {"seconds": WORK_S}, allow_claimed=True)
            completes_at = time.time() + WORK_S
            final = await _drive_to_terminal(c.session, created.task_id, None)
            known = time.time()
            estimated.append(known - completes_at)
            stored.append(known - stamp(final.last_updated_at))
    return {**summary(estimated), "from_lastUpdatedAt": summary(stored)}


async def knowing_by_push(url: str, token: str, count: int) -> dict[str, Any]:
    headers = {"accept": "application/json, text/event-stream", "content-type": "application/json",
               "mcp-protocol-version": VERSION, "mcp-method": "subscriptions/listen",
               "authorization": f"Bearer {token}"}
    meta = {"io.modelcontextprotocol/protocolVersion": VERSION,
            "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS: {}}}}
    estimated, stored = [], []
    async with client(url, token) as c, httpx.AsyncClient(timeout=30) as http:
        for n in range(count):
            created = await c.session.call_tool("sleep", {"seconds": WORK_S}, allow_claimed=True)
            completes_at = time.time() + WORK_S
            body = {"jsonrpc": "2.0", "id": f"listen-{n}", "method": "subscriptions/listen",
                    "params": {"notifications": {"taskIds": [created.task_id]}, "_meta": meta}}
            async with http.stream("POST", url, json=body, headers=headers) as stream:
                async for line in stream.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    message = json.loads(line[5:])
                    params = message.get("params") or {}
                    if message.get("method") == "notifications/tasks" and params.get("status") == "completed":
                        known = time.time()
                        estimated.append(known - completes_at)
                        stored.append(known - stamp(params["lastUpdatedAt"]))
                        break
    return {**summary(estimated), "from_lastUpdatedAt": summary(stored)}


async def measure(name: str, url: str, token: str, args: argparse.Namespace, push: bool) -> dict[str, Any]:
    print(f"== {name} ({url})", file=sys.stderr)
    results: dict[str, Any] = {"server": name}
    results["submit_latency"] = await submit_latency(url, token, args.submits)
    results["throughput"] = await throughput(url, token, args.callers, args.duration)
    results["completion_to_client_polling"] = await knowing_by_polling(url, token, args.knowing)
    if push:
        results["completion_to_client_push"] = await knowing_by_push(url, token, args.knowing)
    print(json.dumps(results), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errand-bin", default=os.environ.get("ERRAND_BIN", ".build/release/errand"))
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--knowing", type=int, default=10, help="sleep(1) tasks for the completion delay")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    token = secrets.token_urlsafe(32)
    report = []
    proc, url, _ = start_errand(args.errand_bin, token)
    try:
        report.append(asyncio.run(measure("errand", url, token, args, push=True)))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if not args.skip_reference:
        ref, ref_url = start_reference()
        try:
            report.append(asyncio.run(measure("fastmcp-4.1.2-reference", ref_url, token, args, push=False)))
        finally:
            ref.terminate()
            ref.wait(timeout=10)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
