#!/usr/bin/env python3
"""Task-path benchmarks for an MCP 2025-11-25 server over Streamable HTTP.

The same client code runs against Errand and against the FastMCP reference server (`--url`), so the two
can be compared in one run. The reference answers POSTs with SSE `data:` lines, Errand with JSON; the
client reads both.

Subcommands:
  run        measure one server (phases: submit, complete, throughput, notify, rss) and merge the results
             into the JSON file under --name
  wrk-check  after a wrk run (scripts/bench/submit.lua): wait until every task the wrk sessions submitted
             is terminal, count them and merge tasks-completed/s into the JSON file
  table      print the side-by-side table (with ratios, and the in-process engine figures vs targets)

All traffic goes to the --url given (loopback in scripts/bench-tasks.sh); every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

PROTOCOL = "2025-11-25"
ACCEPT = "application/json, text/event-stream"
TERMINAL = {"completed", "failed", "cancelled"}
LONG_TTL_MS = 86_400_000  # one day: tasks stay retained for the whole run


def now() -> float:
    return time.perf_counter()


# ----------------------------------------------------------------------------------------------------------
# A minimal MCP client over Streamable HTTP


class RPCError(Exception):
    def __init__(self, error: dict[str, Any]):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = error


def parse_body(content_type: str, body: str, want_id: Any) -> dict[str, Any]:
    """The JSON-RPC message answering `want_id`, from a JSON body or from SSE `data:` lines."""
    if content_type.startswith("text/event-stream"):
        data: list[str] = []
        for line in body.splitlines() + [""]:
            if line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line == "" and data:
                text = "\n".join(data)
                data = []
                if not text.strip():
                    continue  # priming event
                message = json.loads(text)
                if message.get("id") == want_id and ("result" in message or "error" in message):
                    return message
        raise RuntimeError(f"SSE answer without a response to id {want_id}: {body[:300]!r}")
    return json.loads(body)


class MCPClient:
    """One MCP session on its own HTTP connection pool."""

    def __init__(self, url: str, *, timeout: float = 30.0, connections: int = 4):
        self.url = url
        self.http = httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self.session_id: str | None = None
        self.next_id = 1
        self.result_fallbacks = 0
        self.reconnects = 0
        self.headers = {"accept": ACCEPT, "content-type": "application/json"}

    async def open(self) -> "MCPClient":
        response = await self.http.post(
            self.url,
            headers=self.headers,
            json={
                "jsonrpc": "2.0",
                "id": 0,
                "method": "initialize",
                "params": {
                    "protocolVersion": PROTOCOL,
                    "capabilities": {},
                    "clientInfo": {"name": "errand-bench", "version": "1"},
                },
            },
        )
        response.raise_for_status()
        message = parse_body(response.headers.get("content-type", ""), response.text, 0)
        if "error" in message:
            raise RPCError(message["error"])
        self.session_id = response.headers.get("mcp-session-id")
        if self.session_id:
            self.headers["mcp-session-id"] = self.session_id
        self.headers["mcp-protocol-version"] = PROTOCOL
        response = await self.http.post(
            self.url, headers=self.headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )
        if response.status_code not in (200, 202):
            raise RuntimeError(f"notifications/initialized answered {response.status_code}")
        return self

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The result of `method`, or RPCError."""
        request_id = self.next_id
        self.next_id += 1
        payload: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            payload["params"] = params
        try:
            response = await self.http.post(self.url, headers=self.headers, json=payload)
        except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
            # The server closed an idle keep-alive connection as the request went out (uvicorn does after
            # 5 s): nothing was processed, so send it once more on a new connection.
            self.reconnects += 1
            response = await self.http.post(self.url, headers=self.headers, json=payload)
        if response.status_code != 200:
            raise RuntimeError(f"{method} answered HTTP {response.status_code}: {response.text[:200]}")
        message = parse_body(response.headers.get("content-type", ""), response.text, request_id)
        if "error" in message:
            raise RPCError(message["error"])
        return message["result"]

    async def submit_sleep(self, seconds: float = 0, ttl: int = LONG_TTL_MS) -> dict[str, Any]:
        """A task-augmented `tools/call` of `sleep`; returns the Task of the CreateTaskResult."""
        result = await self.request(
            "tools/call", {"name": "sleep", "arguments": {"seconds": seconds}, "task": {"ttl": ttl}}
        )
        if "task" not in result:
            raise RuntimeError(f"not a CreateTaskResult: {json.dumps(result)[:200]}")
        return result["task"]

    async def await_result(
        self, task_id: str, poll_interval: float = 0.005, limit: float = 60.0
    ) -> dict[str, Any]:
        """`tasks/result`, which the spec says blocks until the task is terminal. FastMCP 3.4.10 answers
        -32602 "Task not completed yet" instead; then this polls `tasks/get` every `poll_interval` until the
        task is terminal and asks again (counted in `self.result_fallbacks`)."""
        t0 = now()
        while True:
            try:
                return await self.request("tasks/result", {"taskId": task_id})
            except RPCError as error:
                if "not completed" not in str(error.error.get("message", "")).lower():
                    raise
                self.result_fallbacks += 1
            while True:
                await asyncio.sleep(poll_interval)
                status = (await self.request("tasks/get", {"taskId": task_id}))["status"]
                if status in TERMINAL:
                    break
                if now() - t0 > limit:
                    raise RuntimeError(f"task not terminal after {limit:.0f} s")

    async def close(self) -> None:
        if self.session_id:
            try:
                await self.http.delete(self.url, headers=self.headers, timeout=5)
            except httpx.HTTPError:
                pass
        await self.http.aclose()


async def open_clients(url: str, count: int) -> list[MCPClient]:
    clients: list[MCPClient] = []
    for _ in range(count):  # sequential: the reference dislikes bursts of initialize
        clients.append(await MCPClient(url).open())
    return clients


async def close_clients(clients: list[MCPClient]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


# ----------------------------------------------------------------------------------------------------------
# Statistics


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize_ms(samples_s: list[float]) -> dict[str, Any]:
    values = sorted(x * 1000 for x in samples_s)
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": percentile(values, 50),
        "p90_ms": percentile(values, 90),
        "p99_ms": percentile(values, 99),
        "mean_ms": sum(values) / len(values),
        "max_ms": values[-1],
    }


# ----------------------------------------------------------------------------------------------------------
# Phases


async def phase_submit(url: str, n: int, warmup: int) -> dict[str, Any]:
    """(a) Latency of N sequential task-augmented tools/call until the CreateTaskResult arrived."""
    client = await MCPClient(url).open()
    try:
        for _ in range(warmup):
            await client.submit_sleep(0)
        samples = []
        for _ in range(n):
            t0 = now()
            await client.submit_sleep(0)
            samples.append(now() - t0)
        return summarize_ms(samples)
    finally:
        await client.close()


async def phase_complete(url: str, n: int, warmup: int, poll_interval: float) -> dict[str, Any]:
    """(b) Submit-to-completed latency, blocking on tasks/result and polling tasks/get every 5 ms."""
    client = await MCPClient(url).open()
    try:
        for _ in range(warmup):
            task = await client.submit_sleep(0)
            await client.await_result(task["taskId"])
        client.result_fallbacks = 0
        blocking = []
        for _ in range(n):
            t0 = now()
            task = await client.submit_sleep(0)
            result = await client.await_result(task["taskId"])
            blocking.append(now() - t0)
            if result.get("isError"):
                raise RuntimeError(f"sleep 0 failed: {result}")
        polling = []
        polls = 0
        for _ in range(n):
            t0 = now()
            task = await client.submit_sleep(0)
            status = task["status"]
            while status not in TERMINAL:
                await asyncio.sleep(poll_interval)
                polls += 1
                status = (await client.request("tasks/get", {"taskId": task["taskId"]}))["status"]
                if now() - t0 > 30:
                    raise RuntimeError("task not terminal after 30 s")
            polling.append(now() - t0)
            if status != "completed":
                raise RuntimeError(f"sleep 0 ended {status}")
        return {
            "blocking": {**summarize_ms(blocking), "result_fallbacks": client.result_fallbacks},
            "polling": {**summarize_ms(polling), "poll_interval_ms": poll_interval * 1000, "polls_per_task": polls / n},
        }
    finally:
        await client.close()


async def phase_throughput(url: str, sessions: int, duration: float) -> dict[str, Any]:
    """(c) Tasks completed per second with `sessions` concurrent sessions each submitting then awaiting
    tasks/result, for about `duration` seconds."""
    clients = await open_clients(url, sessions)
    completed = 0
    errors: dict[str, int] = {}
    cycle: list[float] = []

    async def worker(client: MCPClient, deadline: float) -> None:
        nonlocal completed
        while now() < deadline:
            t0 = now()
            try:
                task = await client.submit_sleep(0)
                await client.await_result(task["taskId"])
                completed += 1
                cycle.append(now() - t0)
            except (RPCError, RuntimeError, httpx.HTTPError) as error:
                key = type(error).__name__ + ": " + str(error)[:80]
                errors[key] = errors.get(key, 0) + 1
                await asyncio.sleep(0.01)

    try:
        # warm every session once so connection setup is not measured
        await asyncio.gather(*(c.submit_sleep(0) for c in clients))
        start = now()
        cpu_start = time.process_time()
        deadline = start + duration
        await asyncio.gather(*(worker(c, deadline) for c in clients))
        elapsed = now() - start
        client_cpu = (time.process_time() - cpu_start) / elapsed
        return {
            "sessions": sessions,
            "elapsed_s": elapsed,
            "completed": completed,
            "tasks_per_s": completed / elapsed,
            "cycle": summarize_ms(cycle),
            "errors": errors,
            "result_fallbacks": sum(c.result_fallbacks for c in clients),
            "reconnects": sum(c.reconnects for c in clients),
            # Near 1.0: the Python client used a whole core, so the figure is a floor for the server.
            "client_cpu_share": client_cpu,
        }
    finally:
        await close_clients(clients)


async def phase_notify(url: str, n: int, timeout: float) -> dict[str, Any]:
    """(d) With the session's GET SSE stream open: time from submit to `notifications/tasks/status` with
    status `completed` for that task. Also records everything the stream carried."""
    client = await MCPClient(url).open()
    arrivals: dict[tuple[str, str], float] = {}
    seen_methods: dict[str, int] = {}
    seen_statuses: dict[str, int] = {}
    changed = asyncio.Condition()
    stream_open = asyncio.Event()
    stream_info: dict[str, Any] = {}

    async def reader() -> None:
        headers = dict(client.headers)
        headers["accept"] = "text/event-stream"
        async with client.http.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, read=None)) as resp:
            stream_info["status"] = resp.status_code
            stream_info["content_type"] = resp.headers.get("content-type")
            stream_open.set()
            if resp.status_code != 200:
                return
            data: list[str] = []
            async for line in resp.aiter_lines():
                if line.startswith("data:"):
                    data.append(line[5:].lstrip(" "))
                    continue
                if line != "" or not data:
                    continue
                text = "\n".join(data)
                data = []
                if not text.strip():
                    continue
                t = now()
                message = json.loads(text)
                method = message.get("method", "(response)")
                seen_methods[method] = seen_methods.get(method, 0) + 1
                if method == "notifications/tasks/status":
                    params = message.get("params", {})
                    status = params.get("status", "?")
                    seen_statuses[status] = seen_statuses.get(status, 0) + 1
                    arrivals.setdefault((params.get("taskId", ""), status), t)
                    async with changed:
                        changed.notify_all()

    reader_task = asyncio.create_task(reader())
    try:
        await asyncio.wait_for(stream_open.wait(), 10)
        if stream_info.get("status") != 200:
            return {"supported": False, "reason": f"GET answered {stream_info.get('status')}"}
        await asyncio.sleep(0.2)  # let the server attach the stream
        samples = []
        missing = 0
        for i in range(n):
            t0 = now()
            task = await client.submit_sleep(0)
            key = (task["taskId"], "completed")
            try:
                async with changed:
                    await asyncio.wait_for(changed.wait_for(lambda: key in arrivals), timeout)
                samples.append(arrivals[key] - t0)
            except asyncio.TimeoutError:
                missing += 1
                if i >= 4 and missing == i + 1:
                    break  # nothing arrives: stop waiting after 5 misses
        result: dict[str, Any] = {
            "supported": bool(samples),
            "submitted": i + 1,
            "missing": missing,
            "methods_seen": seen_methods,
            "statuses_seen": seen_statuses,
        }
        if samples:
            result.update(summarize_ms(samples))
        return result
    finally:
        reader_task.cancel()
        try:
            await reader_task
        except (asyncio.CancelledError, httpx.HTTPError):
            pass
        await client.close()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def schedstat(pid: int | str) -> tuple[int, int]:
    """(ns on CPU, ns runnable but waiting for a CPU) of `pid` ("self" for this process). CPU time is the
    process's utime + stime from /proc/PID/stat (which keeps the time of threads that have exited); waiting
    is summed over the live threads' /proc/PID/task/*/schedstat, so it misses exited threads. Waiting time
    shows how much other load on the machine held the process back."""
    on_cpu = waiting = 0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu_from_stat = (int(fields[11]) + int(fields[12])) * 1_000_000_000 // CLOCK_TICKS
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0, 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return 0, 0
    for tid in tids:
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        on_cpu += int(fields[0])
        waiting += int(fields[1])
    return max(on_cpu, cpu_from_stat), waiting


class CPUWatch:
    """CPU use and run-queue wait of this client and of the server, as fractions of one core over a phase."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid
        self.start = now()
        self.client = schedstat("self")
        self.server = schedstat(server_pid) if server_pid else (0, 0)

    def result(self) -> dict[str, float]:
        elapsed = now() - self.start
        client = schedstat("self")
        out = {
            "client_cpu": (client[0] - self.client[0]) / 1e9 / elapsed,
            "client_wait": (client[1] - self.client[1]) / 1e9 / elapsed,
        }
        if self.server_pid:
            server = schedstat(self.server_pid)
            out["server_cpu"] = (server[0] - self.server[0]) / 1e9 / elapsed
            out["server_wait"] = (server[1] - self.server[1]) / 1e9 / elapsed
        return out


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` and all its descendants, in KiB."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for tid in os.listdir(f"/proc/{p}/task"):
                children = Path(f"/proc/{p}/task/{tid}/children").read_text().split()
                pids.extend(int(c) for c in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def phase_rss(
    url: str, pid: int, counts: list[int], sessions: int, settle: float, batch: int, budget: float
) -> dict[str, Any]:
    """(e) Server RSS before and after creating K retained tasks (long ttl). Tasks go in batches of `batch`,
    spread over `sessions` sessions; after each batch one client awaits the batch's newest task, so the
    server's backlog stays bounded (the reference's RSS grows with its backlog, which would make the
    figure depend on machine load). At each checkpoint (cumulative `counts`, e.g. [10000, 100000]) a
    sample of tasks must be terminal before RSS is read. When `budget` seconds have passed, the phase
    stops early with a last point at the tasks made so far (a loaded machine slows the reference a lot)."""
    clients = await open_clients(url, sessions)
    ids: list[str] = []
    retries: dict[str, int] = {}
    effective_ttl: Any = None
    try:
        await asyncio.sleep(settle)
        before = rss_kib(pid)
        points = []
        start = now()

        async def worker(client: MCPClient, quota: int) -> str | None:
            nonlocal effective_ttl
            last = None
            for _ in range(quota):
                for attempt in range(100):
                    try:
                        task = await client.submit_sleep(0)
                        break
                    except RPCError as error:  # e.g. the per-session active-task quota: pause, retry
                        key = str(error)[:80]
                        retries[key] = retries.get(key, 0) + 1
                        await asyncio.sleep(0.02 * (attempt + 1))
                else:
                    raise RuntimeError("submit kept failing")
                ids.append(task["taskId"])
                effective_ttl = task.get("ttl")
                last = task["taskId"]
            return last

        async def wait_all_terminal() -> None:
            """Awaits the newest task's result (one client: polling from every session would load the
            server), then polls a sample until every task in it is terminal (at most 300 s)."""
            await clients[0].await_result(ids[-1], poll_interval=0.1, limit=300)
            pending = random.sample(ids, min(100, len(ids)))
            deadline = now() + 300
            while pending and now() < deadline:
                statuses = [(await clients[0].request("tasks/get", {"taskId": t}))["status"] for t in pending]
                pending = [t for t, status in zip(pending, statuses) if status not in TERMINAL]
                if pending:
                    await asyncio.sleep(0.5)

        stopped_early = False
        for target in counts:
            if stopped_early:
                break
            while len(ids) < target:
                if now() - start > budget:
                    stopped_early = True
                    break
                size = min(batch, target - len(ids))
                share = [size // sessions + (1 if i < size % sessions else 0) for i in range(sessions)]
                await asyncio.gather(*(worker(c, q) for c, q in zip(clients, share) if q))
                await clients[0].await_result(ids[-1], poll_interval=0.05, limit=300)
            await wait_all_terminal()
            await asyncio.sleep(settle)
            kib = rss_kib(pid)
            points.append(
                {
                    "tasks": len(ids),
                    "rss_mib": kib / 1024,
                    "delta_mib": (kib - before) / 1024,
                    "bytes_per_task": (kib - before) * 1024 / len(ids),
                    "elapsed_s": now() - start,
                }
            )
            print(f"  rss: {points[-1]}", flush=True)
        sample: dict[str, int] = {}
        for task_id in random.sample(ids, min(200, len(ids))):
            try:
                status = (await clients[0].request("tasks/get", {"taskId": task_id}))["status"]
            except RPCError:
                status = "gone"
            sample[status] = sample.get(status, 0) + 1
        first: Any
        try:
            first = (await clients[0].request("tasks/get", {"taskId": ids[0]}))["status"]
        except RPCError as error:
            first = f"gone ({error})"
        return {
            "before_mib": before / 1024,
            "points": points,
            "first_task_after": first,
            "sample_statuses": sample,
            "requested_ttl_ms": LONG_TTL_MS,
            "effective_ttl_ms": effective_ttl,
            "retries": retries,
            "stopped_early": f"time budget of {budget:.0f} s used up after {len(ids)} tasks" if stopped_early else None,
        }
    finally:
        await close_clients(clients)


# ----------------------------------------------------------------------------------------------------------
# wrk check


async def list_page(client: MCPClient, cursor: str | None) -> dict[str, Any]:
    return await client.request("tasks/list", {"cursor": cursor} if cursor else {})


async def wrk_check(
    url: str, session_ids: list[str], start_epoch: float, wrk_output: Path, verify_budget: float,
    server_pid: int | None = None,
) -> Any:
    """Waits until the newest tasks of every wrk session are terminal (the engine runs FIFO, so then all are),
    then lists every task (bounded in time) and counts them by status."""
    clients = []
    for sid in session_ids:
        client = MCPClient(url)
        client.session_id = sid
        client.headers.update({"mcp-session-id": sid, "mcp-protocol-version": PROTOCOL})
        clients.append(client)
    server_start = schedstat(server_pid) if server_pid else (0, 0)
    try:
        # Runs beside wrk (started just before it): waits for wrk's summary line, then for the tasks.
        wrk_deadline = time.time() + 600
        while "WRK_JSON " not in Path(wrk_output).read_text():
            if time.time() > wrk_deadline:
                raise RuntimeError("wrk did not finish")
            await asyncio.sleep(0.01)
        deadline = time.time() + 60
        while True:
            pages = await asyncio.gather(*(list_page(c, None) for c in clients))
            if all(t["status"] in TERMINAL for p in pages for t in p["tasks"]):
                done_epoch = time.time()
                server_end = schedstat(server_pid) if server_pid else (0, 0)
                break
            if time.time() > deadline:
                raise RuntimeError("tasks still running 60 s after wrk ended")
            await asyncio.sleep(0.005)
        counts: dict[str, int] = {}
        listed = 0
        complete_listing = True
        stop = time.time() + verify_budget

        async def walk(client: MCPClient) -> None:
            nonlocal listed, complete_listing
            cursor = None
            while True:
                page = await list_page(client, cursor)
                for t in page["tasks"]:
                    counts[t["status"]] = counts.get(t["status"], 0) + 1
                    listed += 1
                cursor = page.get("nextCursor")
                if not cursor:
                    return
                if time.time() > stop:
                    complete_listing = False
                    return

        await asyncio.gather(*(walk(c) for c in clients))
        server_cpu = {
            "server_cpu_s": (server_end[0] - server_start[0]) / 1e9,
            "server_wait_s": (server_end[1] - server_start[1]) / 1e9,
        } if server_pid else {}
        if listed == 0:
            return {"note": "n/a: tasks/list returned none of the tasks, so completion cannot be counted",
                    **server_cpu}
        elapsed = done_epoch - start_epoch
        completed = counts.get("completed", 0)
        return {
            "all_terminal_after_s": elapsed,
            # The listing also holds the requests in flight when wrk stopped (not in wrk's count).
            "tasks_completed_per_s": completed / elapsed if complete_listing else None,
            "completed": completed,
            **server_cpu,
            "tasks_per_server_cpu_s": completed / server_cpu["server_cpu_s"] if server_cpu.get("server_cpu_s") else None,
            "listed": listed,
            "listing_complete": complete_listing,
            "by_status": counts,
        }
    finally:
        for c in clients:
            await c.http.aclose()


# ----------------------------------------------------------------------------------------------------------
# JSON file and table


def load(path: Path) -> dict[str, Any]:
    if path.exists():
        return json.loads(path.read_text())
    return {"servers": {}}


def store(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def merge(path: Path, name: str, key: str, value: Any) -> None:
    data = load(path)
    data.setdefault("servers", {}).setdefault(name, {})[key] = value
    store(path, data)


def dig(data: Any, *keys: Any) -> Any:
    for key in keys:
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if unit == "ms":
        return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "MiB":
        return f"{value:.1f} MiB"
    if unit == "B":
        return f"{value:,.0f} B"
    return f"{value}"


def rss_point(server: dict[str, Any], tasks: int, field: str) -> Any:
    """The RSS checkpoint at `tasks` (wrk may overshoot by the requests in flight: up to 1 % more)."""
    for point in dig(server, "rss", "points") or []:
        if tasks <= point["tasks"] <= tasks * 1.01:
            return point[field]
    return None


def rss_upto(server: dict[str, Any], tasks: int, field: str) -> Any:
    """The last RSS checkpoint at no more than `tasks` (+1 %), e.g. when the phase stopped early."""
    found = None
    for point in dig(server, "rss", "points") or []:
        if point["tasks"] <= tasks * 1.01:
            found = point[field]
    return found


def phase_cpu(server: dict[str, Any], phase: str, field: str) -> Any:
    for key, value in server.items():
        if key.startswith("cpu_") and phase in value:
            return value[phase].get(field)
    return None


def per_server_cpu(server: dict[str, Any]) -> Any:
    """(c) tasks per server CPU-second: the rate divided by the cores the server used meanwhile."""
    rate = dig(server, "throughput", "tasks_per_s")
    cores = phase_cpu(server, "throughput", "server_cpu")
    return rate / cores if rate and cores else None


def print_table(path: Path) -> None:
    data = load(path)
    servers = data.get("servers", {})
    e = servers.get("errand", {})
    f = servers.get("fastmcp", {})
    notify_e = dig(e, "notify", "p50_ms") if dig(e, "notify", "supported") else None
    rows: list[tuple[str, Any, Any, str, bool]] = [
        # label, errand, fastmcp, unit, lower-is-better
        ("(a) submit latency p50", dig(e, "submit", "p50_ms"), dig(f, "submit", "p50_ms"), "ms", True),
        ("(a) submit latency p99", dig(e, "submit", "p99_ms"), dig(f, "submit", "p99_ms"), "ms", True),
        ("(b) submit->result (tasks/result) p50", dig(e, "complete", "blocking", "p50_ms"),
         dig(f, "complete", "blocking", "p50_ms"), "ms", True),
        ("(b) submit->result (tasks/result) p99", dig(e, "complete", "blocking", "p99_ms"),
         dig(f, "complete", "blocking", "p99_ms"), "ms", True),
        ("(b) submit->completed (poll 5 ms) p50", dig(e, "complete", "polling", "p50_ms"),
         dig(f, "complete", "polling", "p50_ms"), "ms", True),
        ("(b) submit->completed (poll 5 ms) p99", dig(e, "complete", "polling", "p99_ms"),
         dig(f, "complete", "polling", "p99_ms"), "ms", True),
        ("(c) tasks/s, 50 sessions (httpx)", dig(e, "throughput", "tasks_per_s"),
         dig(f, "throughput", "tasks_per_s"), "/s", False),
        ("(c) tasks per server CPU-second", per_server_cpu(e), per_server_cpu(f), "/s", False),
        ("(d) status notification p50", notify_e,
         dig(f, "notify", "p50_ms") if dig(f, "notify", "supported") else None, "ms", True),
        ("(d) status notification p99", dig(e, "notify", "p99_ms") if notify_e is not None else None,
         dig(f, "notify", "p99_ms") if dig(f, "notify", "supported") else None, "ms", True),
        ("(e) RSS before", dig(e, "rss", "before_mib"), dig(f, "rss", "before_mib"), "MiB", True),
        ("(e) RSS after 10,000 tasks", rss_point(e, 10_000, "rss_mib"), rss_point(f, 10_000, "rss_mib"), "MiB",
         True),
        ("(e) RSS growth per task (last point <= 10,000)", rss_upto(e, 10_000, "bytes_per_task"),
         rss_upto(f, 10_000, "bytes_per_task"), "B", True),
        ("(e) RSS after 100,000 tasks", rss_point(e, 100_000, "rss_mib"), rss_point(f, 100_000, "rss_mib"),
         "MiB", True),
        ("wrk submit requests/s", dig(e, "wrk", "requests_per_s"), dig(f, "wrk", "requests_per_s"), "/s", False),
        ("wrk submit latency p50", dig(e, "wrk", "p50_ms"), dig(f, "wrk", "p50_ms"), "ms", True),
        ("wrk submit latency p99", dig(e, "wrk", "p99_ms"), dig(f, "wrk", "p99_ms"), "ms", True),
        ("wrk tasks completed/s (all terminal)", dig(e, "wrk", "check", "tasks_completed_per_s"),
         dig(f, "wrk", "check", "tasks_completed_per_s"), "/s", False),
        ("wrk submits per server CPU-second", dig(e, "wrk", "requests_per_server_cpu_s"),
         dig(f, "wrk", "requests_per_server_cpu_s"), "/s", False),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'metric':<{width}}  {'Errand':>14}  {'FastMCP 3.4.10':>14}  {'Errand advantage':>16}")
    print("-" * (width + 66))
    for label, ev, fv, unit, lower in rows:
        ratio = "n/a"
        if isinstance(ev, (int, float)) and isinstance(fv, (int, float)) and ev > 0 and fv > 0:
            ratio = f"x{(fv / ev if lower else ev / fv):,.1f}"
        print(f"{label:<{width}}  {fmt(ev, unit):>14}  {fmt(fv, unit):>14}  {ratio:>16}")
    print("('Errand advantage' = how many times better Errand is: FastMCP/Errand for latency and memory,")
    print(" Errand/FastMCP for rates.)")
    for name, server in servers.items():
        notes = []
        if dig(server, "notify", "statuses_seen") is not None:
            notes.append(f"GET stream carried {dig(server, 'notify', 'methods_seen')} "
                         f"statuses {dig(server, 'notify', 'statuses_seen')}")
        fallbacks = (dig(server, "complete", "blocking", "result_fallbacks") or 0) + (
            dig(server, "throughput", "result_fallbacks") or 0)
        if fallbacks:
            notes.append(f"tasks/result did not block ({fallbacks} times it answered 'not completed yet'): the "
                         "client then polled tasks/get every 5 ms and asked again, in (b) and (c)")
        if (dig(server, "throughput", "client_cpu_share") or 0) >= 0.8:
            notes.append(f"(c) the httpx client used {dig(server, 'throughput', 'client_cpu_share'):.0%} of a core: "
                         "client-bound, a floor for the server (see the wrk rows)")
        if dig(server, "throughput", "errors"):
            notes.append(f"throughput errors {dig(server, 'throughput', 'errors')}")
        if dig(server, "rss") is not None:
            points = ", ".join(f"{p['tasks']:,} tasks {p['rss_mib']:.1f} MiB" for p in dig(server, "rss", "points"))
            notes.append(f"rss: {points}; effective ttl {dig(server, 'rss', 'effective_ttl_ms')} ms, first task afterwards "
                         f"{dig(server, 'rss', 'first_task_after')}, sample of statuses "
                         f"{dig(server, 'rss', 'sample_statuses')}, retries {dig(server, 'rss', 'retries')}"
                         + (f"; STOPPED EARLY: {dig(server, 'rss', 'stopped_early')}"
                            if dig(server, 'rss', 'stopped_early') else ""))
        if dig(server, "wrk") is not None:
            notes.append(f"wrk: {dig(server, 'wrk', 'threads')} threads, {dig(server, 'wrk', 'connections')} "
                         f"connections, {dig(server, 'wrk', 'requests')} requests, "
                         f"{dig(server, 'wrk', 'rpc_errors')} JSON-RPC errors, "
                         f"{dig(server, 'wrk', 'socket_errors')} socket errors; check {dig(server, 'wrk', 'check')}")
        for key, phases_cpu in server.items():
            if not key.startswith("cpu_"):
                continue
            for phase, c in phases_cpu.items():
                text = f"client {c['client_cpu']:.2f} CPU + {c['client_wait']:.2f} waiting"
                if "server_cpu" in c:
                    text += f", server {c['server_cpu']:.2f} CPU + {c['server_wait']:.2f} waiting"
                notes.append(f"{phase}: {text} (cores; 'waiting' = runnable but no CPU free)")
        loads = {k[5:]: v for k, v in server.items() if k.startswith("load_")}
        if loads:
            notes.append("1-min load average (before/after, on " + str(next(iter(loads.values()))["cpus"])
                         + " CPUs): " + ", ".join(f"{k} {v['before']:.1f}/{v['after']:.1f}" for k, v in loads.items()))
        for note in notes:
            print(f"  {name}: {note}")

    engine = data.get("engine")
    if engine:
        print()
        print("In-process engine (ErrandBench, memory store, no-op runner):")
        rows = engine.get("rows", [])
        label_width = max([len(r["label"]) for r in rows] + [6])
        print(f"{'metric':<{label_width}}  {'measured':>16}  {'target':>12}  verdict")
        print("-" * (label_width + 40))
        for row in rows:
            print(f"{row['label']:<{label_width}}  {row['measured']:>16}  {row.get('target') or '':>12}  "
                  f"{row.get('verdict') or ''}")


# ----------------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    path = Path(args.json)
    phases = args.phases.split(",")
    url = args.url
    name = args.name
    out: dict[str, Any] = {}
    load_before = os.getloadavg()
    phase_runs = {
        "submit": lambda: phase_submit(url, args.n, args.warmup),
        "complete": lambda: phase_complete(url, args.n_complete, args.warmup, args.poll_ms / 1000),
        "throughput": lambda: phase_throughput(url, args.sessions, args.duration),
        "notify": lambda: phase_notify(url, args.n_notify, args.notify_timeout),
        "rss": lambda: phase_rss(
            url, args.pid, [int(x) for x in args.rss_tasks.split(",")], args.rss_sessions, args.settle,
            args.rss_batch, args.rss_budget),
    }
    if "rss" in phases and not args.pid:
        raise SystemExit("--pid is needed for the rss phase")
    cpu: dict[str, Any] = {}
    for phase in phases:
        watch = CPUWatch(args.pid)
        out[phase] = await phase_runs[phase]()
        cpu[phase] = watch.result()
        print(f"[{name}] {phase}: {out[phase]}", flush=True)
        print(f"[{name}] {phase} cpu (fractions of a core): {cpu[phase]}", flush=True)
    out["cpu_" + "+".join(phases)] = cpu
    # Other work on the machine skews every figure: keep the 1-minute load average beside them.
    out["load_" + "+".join(phases)] = {"before": load_before[0], "after": os.getloadavg()[0], "cpus": os.cpu_count()}
    for key, value in out.items():
        merge(path, name, key, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="measure one server")
    p.add_argument("--url", required=True, help="MCP endpoint, e.g. http://127.0.0.1:8080/mcp")
    p.add_argument("--name", required=True, help="key in the JSON file: errand or fastmcp")
    p.add_argument("--json", default="artifacts/bench-tasks.json")
    p.add_argument("--phases", default="submit,complete,throughput,notify")
    p.add_argument("--n", type=int, default=1000, help="(a) sequential submits")
    p.add_argument("--n-complete", type=int, default=300, help="(b) tasks per variant")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--poll-ms", type=float, default=5.0)
    p.add_argument("--sessions", type=int, default=50, help="(c) concurrent sessions")
    p.add_argument("--duration", type=float, default=10.0, help="(c) seconds")
    p.add_argument("--n-notify", type=int, default=200, help="(d) tasks")
    p.add_argument("--notify-timeout", type=float, default=2.0)
    p.add_argument("--pid", type=int, help="server process id (needed for rss; else CPU use is reported)")
    p.add_argument("--rss-tasks", default="10000", help="(e) cumulative checkpoints, e.g. 10000,100000")
    p.add_argument("--rss-sessions", type=int, default=50)
    p.add_argument("--rss-batch", type=int, default=250, help="(e) tasks in flight at most")
    p.add_argument("--rss-budget", type=float, default=300, help="(e) seconds; then stop at the tasks made")
    p.add_argument("--settle", type=float, default=1.0, help="(e) pause before reading RSS")

    w = sub.add_parser("wrk-check", help="count what a wrk run submitted; merge tasks completed/s")
    w.add_argument("--url", required=True)
    w.add_argument("--name", required=True)
    w.add_argument("--json", default="artifacts/bench-tasks.json")
    w.add_argument("--sessions", required=True, help="comma-separated session ids wrk used")
    w.add_argument("--wrk-output", required=True, help="file wrk writes (submit.lua prints a WRK_JSON line)")
    w.add_argument("--start-epoch", type=float, required=True, help="epoch seconds just before wrk started")
    w.add_argument("--pid", type=int, help="server process id: report the server's CPU seconds")
    w.add_argument("--verify-budget", type=float, default=30.0, help="seconds for listing every task")

    r = sub.add_parser("rss-add", help="after wrk created more tasks: wait for them, add an RSS point")
    r.add_argument("--url", required=True)
    r.add_argument("--name", required=True)
    r.add_argument("--json", required=True, help="the file holding this server's rss phase")
    r.add_argument("--pid", type=int, required=True)
    r.add_argument("--sessions", required=True, help="comma-separated session ids wrk used")
    r.add_argument("--wrk-output", required=True)
    r.add_argument("--settle", type=float, default=1.0)

    m = sub.add_parser("merge", help="put a JSON file (e.g. ErrandBench --json) under a top-level key")
    m.add_argument("--json", default="artifacts/bench-tasks.json")
    m.add_argument("--key", required=True)
    m.add_argument("--file", required=True)

    t = sub.add_parser("table", help="print the side-by-side table")
    t.add_argument("--json", default="artifacts/bench-tasks.json")

    args = parser.parse_args()
    if args.command == "run":
        asyncio.run(run(args))
    elif args.command == "wrk-check":
        output = Path(args.wrk_output)
        check = asyncio.run(
            wrk_check(args.url, args.sessions.split(","), args.start_epoch, output, args.verify_budget, args.pid)
        )
        summary = None
        for line in output.read_text().splitlines():
            if line.startswith("WRK_JSON "):
                summary = json.loads(line[len("WRK_JSON "):])
        if summary is None:
            raise SystemExit(f"no WRK_JSON line in {args.wrk_output}")
        summary["check"] = check
        cpu_s = check.get("server_cpu_s") if isinstance(check, dict) else None
        summary["requests_per_server_cpu_s"] = summary["requests"] / cpu_s if cpu_s else None
        merge(Path(args.json), args.name, "wrk", summary)
        print(f"[{args.name}] wrk: {json.dumps(summary)}")
    elif args.command == "rss-add":
        check = asyncio.run(
            wrk_check(args.url, args.sessions.split(","), time.time(), Path(args.wrk_output), 120.0)
        )
        if not isinstance(check, dict) or not check["listing_complete"]:
            raise SystemExit(f"could not count the tasks wrk created: {check}")
        time.sleep(args.settle)
        kib = rss_kib(args.pid)
        data = load(Path(args.json))
        rss = data["servers"][args.name]["rss"]
        total = rss["points"][-1]["tasks"] + check["listed"]
        before = rss["before_mib"] * 1024
        point = {
            "tasks": total,
            "rss_mib": kib / 1024,
            "delta_mib": (kib - before) / 1024,
            "bytes_per_task": (kib - before) * 1024 / total,
            "created_by": "wrk (scripts/bench/submit.lua)",
            "by_status": check["by_status"],
        }
        rss["points"].append(point)
        store(Path(args.json), data)
        print(f"[{args.name}] rss: {point}")
    elif args.command == "merge":
        data = load(Path(args.json))
        data[args.key] = json.loads(Path(args.file).read_text())
        store(Path(args.json), data)
    else:
        print_table(Path(args.json))


if __name__ == "__main__":
    main()
