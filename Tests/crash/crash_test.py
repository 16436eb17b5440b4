#!/usr/bin/env python3
"""Crash test of the SQLite task store: kill -9 `errand serve` mid-run, restart it on the same file, and check
that every acknowledged task has the fate the recovery rules promise. Standard library only.

Usage: crash_test.py ERRAND_BIN STORE_TOOL_BIN WORK_DIR

1. Start `errand serve --store sqlite:WORK_DIR/errand.sqlite --port 0 --max-concurrent-tasks SLOTS`.
2. Over MCP (JSON-RPC over HTTP): finish tasks of every kind (sleep, slow_computation, fail, cancelled), fill
   every slot with `sleep 60`, queue quick tasks behind them, keep submitting while the process is killed with
   SIGKILL. Every task id the server acknowledged is recorded.
3. Restart on the same file and check, from a NEW session:
   - every acknowledged task exists;
   - terminal tasks kept their status and `tasks/result` is the same as before the crash;
   - tasks that were running failed with "Server restarted while the task was running" (the demo tools allow
     one attempt);
   - queued tasks (and the ones acknowledged during the kill) ran after the restart with their normal result;
   - a second server on the same file is refused while the first runs.
4. Fill the file to 100,000 tasks (ErrandStoreTool fill) and time restart to the `listening on` line.

Exits 1 on any violation.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

RESTART_MESSAGE = "Server restarted while the task was running"
SLOTS = 16
RECOVERY_LIMIT_S = 1.0
FILL_TO = 100_000

violations: list[str] = []


def violation(text: str) -> None:
    violations.append(text)
    print(f"VIOLATION: {text}", flush=True)


def log(text: str) -> None:
    print(f"crash-test: {text}", flush=True)


# --------------------------------------------------------------------------- the server process


class Server:
    def __init__(self, binary: str, store: str, log_path: str) -> None:
        self.log = open(log_path, "ab")
        started = time.monotonic()
        self.process = subprocess.Popen(
            [binary, "serve", "--store", f"sqlite:{store}", "--port", "0", "--log-level", "warning",
             "--max-concurrent-tasks", str(SLOTS)],
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.process.stdout.readline().decode()
        self.startup_s = time.monotonic() - started
        match = re.match(r"listening on http://([^:]+):(\d+)", line)
        if not match:
            raise SystemExit(f"server did not start: {line!r}; see {log_path}")
        self.host, self.port = match.group(1), int(match.group(2))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        # errand installs its signal watcher before printing `listening on`, so one SIGTERM must do.
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            raise SystemExit("FAIL: errand ignored SIGTERM (graceful shutdown did not finish in 15 s)")


# --------------------------------------------------------------------------- a minimal MCP client


class Session:
    """One MCP session; one HTTP connection per thread."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.session_id: str | None = None
        self.local = threading.local()
        self.next_id = 0
        self.lock = threading.Lock()
        result, headers = self._post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "crash-test", "version": "1"}}})
        self.session_id = headers.get("mcp-session-id")
        if not self.session_id:
            raise SystemExit(f"no session id: {result}")
        self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
            self.local.connection = connection
        return connection

    def _post(self, body: dict) -> tuple[dict | None, dict]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.session_id:
            headers["Mcp-Session-Id"] = self.session_id
            headers["MCP-Protocol-Version"] = "2025-11-25"
        connection = self._connection()
        try:
            connection.request("POST", "/mcp", json.dumps(body), headers)
            response = connection.getresponse()
            data = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.local.connection = None
            connection.close()
            raise
        answer = None
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            for line in data.splitlines():
                if line.startswith("data:"):
                    message = json.loads(line[5:].strip())
                    if "result" in message or "error" in message:
                        answer = message
        elif data:
            answer = json.loads(data)
        return answer, {key.lower(): value for key, value in response.getheaders()}

    def call(self, method: str, params: dict) -> dict:
        with self.lock:
            self.next_id += 1
            request_id = self.next_id
        answer, _ = self._post({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        if answer is None or "error" in answer:
            raise RuntimeError(f"{method} failed: {answer}")
        return answer["result"]

    def submit(self, tool: str, arguments: dict) -> str:
        result = self.call("tools/call", {"name": tool, "arguments": arguments, "task": {"ttl": 3_600_000}})
        return result["task"]["taskId"]

    def get(self, task_id: str) -> dict:
        return self.call("tasks/get", {"taskId": task_id})

    def result(self, task_id: str) -> dict:
        """The `tasks/result` answer: the result, or `{"error": ...}` (a cancelled task's result is an error)."""
        with self.lock:
            self.next_id += 1
            request_id = self.next_id
        answer, _ = self._post(
            {"jsonrpc": "2.0", "id": request_id, "method": "tasks/result", "params": {"taskId": task_id}})
        if answer is None:
            raise RuntimeError(f"tasks/result of {task_id}: no answer")
        return answer["result"] if "result" in answer else {"error": answer["error"]}


# --------------------------------------------------------------------------- the test


def wait_terminal(session: Session, ids: list[str], timeout: float) -> dict[str, dict]:
    deadline = time.monotonic() + timeout
    final: dict[str, dict] = {}
    pending = list(ids)
    while pending and time.monotonic() < deadline:
        still = []
        for task_id in pending:
            task = session.get(task_id)
            if task["status"] in ("completed", "failed", "cancelled"):
                final[task_id] = task
            else:
                still.append(task_id)
        pending = still
        if pending:
            time.sleep(0.2)
    for task_id in pending:
        violation(f"task {task_id} did not end within {timeout} s")
    return final


def comparable(result: dict) -> dict:
    """A tasks/result answer without `_meta`, which names the task and may carry per-request fields."""
    return {key: value for key, value in result.items() if key != "_meta"}


def main() -> int:
    errand, tool, work = sys.argv[1], sys.argv[2], sys.argv[3]
    store = os.path.join(work, "errand.sqlite")
    server_log = os.path.join(work, "server.log")

    # ---- phase 1: tasks in every state, then kill -9
    server = Server(errand, store, server_log)
    log(f"server 1 on port {server.port} (started in {server.startup_s * 1000:.0f} ms)")
    session = Session(server)
    pool = ThreadPoolExecutor(max_workers=16)
    expected: dict[str, str] = {}  # id -> what kind of fate
    finished_plan = (
        [("sleep", {"seconds": 0}, "completed")] * 80
        + [("sleep", {"seconds": 0.3}, "completed")] * 40
        + [("slow_computation", {"duration": 1}, "completed")] * 30
        + [("fail", {"message": "planned failure"}, "failed")] * 50
    )
    finished_ids = list(pool.map(lambda plan: session.submit(plan[0], plan[1]), finished_plan))
    for task_id, plan in zip(finished_ids, finished_plan):
        expected[task_id] = plan[2]
    cancelled_ids = list(pool.map(lambda _: session.submit("sleep", {"seconds": 60}), range(30)))
    for task_id in cancelled_ids:
        session.call("tasks/cancel", {"taskId": task_id})
        expected[task_id] = "cancelled"
    finals = wait_terminal(session, finished_ids + cancelled_ids, 30)
    before_results = {task_id: comparable(session.result(task_id)) for task_id in finals}
    for task_id, task in finals.items():
        if task["status"] != expected[task_id]:
            violation(f"before the crash, task {task_id} ended {task['status']}, planned {expected[task_id]}")
    log(f"{len(finals)} tasks finished before the crash")

    running_ids = [session.submit("sleep", {"seconds": 60}) for _ in range(SLOTS)]
    for task_id in running_ids:
        expected[task_id] = "running"
    queued_plan = (
        [("sleep", {"seconds": 0.2}, "rerun-completed")] * 100
        + [("slow_computation", {"duration": 1}, "rerun-completed")] * 30
        + [("fail", {"message": "queued failure"}, "rerun-failed")] * 30
    )
    queued_ids = list(pool.map(lambda plan: session.submit(plan[0], plan[1]), queued_plan))
    for task_id, plan in zip(queued_ids, queued_plan):
        expected[task_id] = plan[2]
    snapshot = {task_id: session.get(task_id)["status"] for task_id in running_ids + queued_ids}
    if any(snapshot[task_id] != "working" for task_id in running_ids):
        violation("the slot-filling tasks are not all working before the crash")
    if any(snapshot[task_id] == "completed" or snapshot[task_id] == "failed" for task_id in queued_ids):
        violation("a queued task ended before the crash although every slot was busy")

    # While the server is killed: submitters keep going; whatever they got acknowledged must survive.
    storm_ids: list[str] = []
    storm_lock = threading.Lock()
    stop = threading.Event()

    def storm() -> None:
        while not stop.is_set():
            try:
                task_id = session.submit("sleep", {"seconds": 0.1})
            except Exception:
                return
            with storm_lock:
                storm_ids.append(task_id)

    storm_threads = [threading.Thread(target=storm) for _ in range(8)]
    for thread in storm_threads:
        thread.start()
    time.sleep(0.5)
    server.kill()
    stop.set()
    for thread in storm_threads:
        thread.join()
    for task_id in storm_ids:
        expected[task_id] = "rerun-completed"
    log(f"killed server 1 with {len(running_ids)} running, {len(queued_ids)} queued and {len(storm_ids)} tasks "
        f"acknowledged during the kill; {len(expected)} acknowledged in all")

    # ---- phase 2: restart on the same file; check every fate from a new session
    server = Server(errand, store, server_log)
    log(f"server 2 serving {server.startup_s * 1000:.0f} ms after start (recovery of {len(expected)} tasks)")
    try:
        Server(errand, store, server_log)
        violation("a second server opened the same file while the first was running")
    except SystemExit:
        log("a second server on the same file was refused, as it should be")
    fresh = Session(server)
    outcomes: dict[str, int] = {}
    for task_id, fate in expected.items():
        try:
            fresh.get(task_id)
        except RuntimeError as error:
            violation(f"acknowledged task {task_id} ({fate}) is lost: {error}")
            continue
        task = wait_terminal(fresh, [task_id], 60).get(task_id)
        if task is None:
            continue
        result = comparable(fresh.result(task_id))
        status, message = task["status"], task.get("statusMessage")
        outcomes[f"{fate} -> {status}"] = outcomes.get(f"{fate} -> {status}", 0) + 1
        if fate in ("completed", "failed", "cancelled"):
            if status != fate:
                violation(f"{fate} task {task_id} is now {status}")
            elif result != before_results.get(task_id):
                violation(f"{fate} task {task_id} changed its result: {before_results.get(task_id)} -> {result}")
        elif fate == "running":
            if status != "failed" or message != RESTART_MESSAGE:
                violation(f"task {task_id} running at the crash is {status} ({message!r}), not failed with the "
                          "restart message")
        elif fate == "rerun-completed":
            if status != "completed" or result.get("isError"):
                violation(f"queued task {task_id} did not run to completion after the restart: {status} {message!r}")
        elif fate == "rerun-failed":
            text = json.dumps(result)
            if status != "failed" or "queued failure" not in text:
                violation(f"queued failing task {task_id} did not run after the restart: {status} {message!r} {text}")
    for outcome, count in sorted(outcomes.items()):
        log(f"  {count:4d} x {outcome}")
    server.stop()

    # ---- phase 3: recovery time with 100,000 tasks in the file
    existing = len(expected)
    started = time.monotonic()
    subprocess.run([tool, "fill", store, str(FILL_TO - existing)], check=True)
    log(f"filled the file to {FILL_TO} tasks in {time.monotonic() - started:.1f} s "
        f"({os.path.getsize(store) / 1e6:.1f} MB)")
    server = Server(errand, store, server_log)
    log(f"RECOVERY TIME with {FILL_TO} tasks: {server.startup_s * 1000:.0f} ms (process start -> listening on)")
    if server.startup_s >= RECOVERY_LIMIT_S:
        violation(f"restart with {FILL_TO} tasks took {server.startup_s:.2f} s (limit {RECOVERY_LIMIT_S} s)")
    probe = Session(server)
    sample = next(iter(before_results))
    if comparable(probe.result(sample)) != before_results[sample]:
        violation("a completed task changed after the fill")
    server.kill()
    server = Server(errand, store, server_log)
    log(f"restart after kill -9 with {FILL_TO} tasks: {server.startup_s * 1000:.0f} ms")
    if server.startup_s >= RECOVERY_LIMIT_S:
        violation(f"restart after kill -9 with {FILL_TO} tasks took {server.startup_s:.2f} s")
    server.stop()

    if violations:
        log(f"FAILED: {len(violations)} violations")
        return 1
    log("passed: every acknowledged task has its promised fate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
