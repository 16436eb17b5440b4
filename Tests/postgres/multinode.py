#!/usr/bin/env python3
"""Several errand processes on one PostgreSQL database, driven over the REST API and MCP.

    multinode.py ERRAND_BIN POSTGRES_URL WORK_DIR

Node A: `errand serve` with 0 worker slots (accepts, shows and cancels tasks, runs nothing). Worker W: `errand
worker`. Node B: `errand serve` with slots, started before the kill. Every process gets a 3 s lease.

  a. a task submitted on A runs on W; an /api/events subscriber on A sees its live status and progress
  b. cancelling on A stops the work on W (the freed worker slots run the next task at once)
  c. SIGKILL of W while it runs several tasks: after the lease ends B takes them over (the demo tools allow
     one attempt, so they end `failed` saying so), the tasks B ran complete
  d. 200 tasks submitted across A and B with a fresh worker: every one completed exactly once, none lost

The same over MCP (Streamable HTTP, 2025-11-25 Tasks; the client is Tests/pylib/mcpwire.py, hence httpx):

  e. after (b), a session on A calls a tool as a task: CreateTaskResult at once, the work runs on W (its lease
     row in PostgreSQL names W), A's GET stream carries live `notifications/tasks/status` (working, then
     completed) and the call's `notifications/progress`, and `tasks/result` on A returns the tool result
  f. `tasks/cancel` on A for long tasks W runs: answered `cancelled`, the GET stream hears it, W stops the work
     (its log says so, the freed slots run the next task at once), and the tasks never complete
  g. after (d), a session on B that looked at a task made on A (tasks/get) hears its completion

And over MCP 2026-07-28 with the tasks extension (stateless, no session):

  h. after (f), `tools/call` on A answers a task that runs on W; `subscriptions/listen` on A pushes
     `notifications/tasks` for it (working with W's lease, then completed with the result inlined); a task that
     asks for input shows `input_required` with `inputRequests` on A's stream, `tasks/update` on A answers it and
     the handler waiting on W continues to `completed`

And last, with every node up:

  i. PostgreSQL is stopped and started again (PG_DATA, PG_BIN): the 20 tasks acknowledged before all complete,
     a submission during the outage gets 503, /readyz says 503 and /metrics errand_store_reachable 0 meanwhile,
     A and B accept submissions again by themselves and /readyz returns to 200, A logs the loss

Prints one line per check and "N passed, N failed"; exits 1 if any failed. Stops every process it started.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))  # mcpwire, shared with the pytest suites

from mcpwire import RELATED_TASK, Client, instant, task_shape_problems  # noqa: E402

BIN, PG_URL, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
PSQL = os.path.join(os.environ["PG_BIN"], "psql") if os.environ.get("PG_BIN") else "psql"
LEASE = "3"
processes: list[subprocess.Popen] = []
passed = 0
failed = 0


def check(name: str, condition: bool, detail: str = "") -> bool:
    global passed, failed
    if condition:
        passed += 1
        print(f"ok    {name}", flush=True)
    else:
        failed += 1
        print(f"FAIL  {name} {detail}", flush=True)
    return condition


def start(name: str, *args: str, ready: str) -> tuple[subprocess.Popen, str]:
    """Starts `errand ARGS`, waits for the stdout line starting with `ready`; returns it and that line."""
    out = open(os.path.join(WORK, f"{name}.out"), "w+")
    err = open(os.path.join(WORK, f"{name}.err"), "w")
    proc = subprocess.Popen([BIN, *args], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    processes.append(proc)
    pid_dir = os.environ.get("ERRAND_PID_DIR")
    if pid_dir:
        with open(os.path.join(pid_dir, f"multinode-{name}"), "w") as f:
            f.write(str(proc.pid))
    deadline = time.time() + 60
    while time.time() < deadline:
        out.seek(0)
        for line in out.read().splitlines():
            if line.startswith(ready):
                return proc, line
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    with open(os.path.join(WORK, f"{name}.err")) as f:
        sys.stderr.write(f.read()[-3000:])
    raise SystemExit(f"{name} did not print '{ready}'")


def serve(name: str, slots: int) -> str:
    _, line = start(
        name, "serve", "--port", "0", "--store", PG_URL, "--node", name, "--max-concurrent-tasks", str(slots),
        "--lease-seconds", LEASE, "--log-level", "warning",
        ready="listening on ")
    return line.split()[-1]


def worker(name: str, slots: int) -> subprocess.Popen:
    proc, _ = start(
        name, "worker", "--store", PG_URL, "--node", name, "--max-concurrent-tasks", str(slots),
        "--lease-seconds", LEASE, "--log-level", "info", ready=f"worker {name} ready")
    return proc


def request(base: str, method: str, path: str, body: object | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def submit(base: str, tool: str, arguments: dict) -> str:
    status, task = request(base, "POST", f"/api/tools/{tool}/call?task=true&ttl=3600000", arguments)
    assert status == 202, (status, task)
    return task["id"]


def task(base: str, task_id: str) -> dict:
    status, body = request(base, "GET", f"/api/tasks/{task_id}")
    assert status == 200, (status, body)
    return body


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def terminal(base: str, ids: list[str], timeout: float) -> dict[str, dict]:
    records: dict[str, dict] = {}

    def done() -> bool:
        for task_id in ids:
            if task_id not in records or records[task_id]["status"] not in ("completed", "failed", "cancelled"):
                records[task_id] = task(base, task_id)
        return all(r["status"] in ("completed", "failed", "cancelled") for r in records.values())

    wait_until(done, timeout)
    return records


class EventStream:
    """Reads /api/events of one node in a thread and keeps every `task` event's data."""

    def __init__(self, base: str, query: str) -> None:
        host = base.removeprefix("http://")
        self.connection = http.client.HTTPConnection(host, timeout=120)
        self.connection.request("GET", f"/api/events?{query}", headers={"Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        self.events: list[dict] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        self.ready.wait(10)

    def _read(self) -> None:
        kind = ""
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                    if kind == "ready":
                        self.ready.set()
                elif line.startswith("data:") and kind == "task":
                    self.events.append(json.loads(line[5:]))
        except Exception:
            pass

    def close(self) -> None:
        self.connection.close()


def completed_entries(record: dict) -> int:
    return sum(1 for entry in record["history"] if entry["status"] == "completed")


def lease_row(task_id: str) -> tuple[str, str]:
    """(status, lease_node) of a task as PostgreSQL stores it (lease_node is "" when no node holds it)."""
    assert all(c.isalnum() or c in "-_" for c in task_id), task_id
    out = subprocess.run(
        [PSQL, PG_URL, "-At", "-F", "|", "-c",
         f"SELECT status, coalesce(lease_node, '') FROM errand_tasks WHERE id = '{task_id}'"],
        capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    status, _, node = out.partition("|")
    return status, node


MCP_TTL_MS = 3_600_000


def mcp_session(base: str, name: str) -> tuple[Client, dict]:
    """A 2025-11-25 session on the node at `base` (tasks capability declared); returns it and its InitializeResult."""
    session = Client(base + "/mcp", client_name=name)
    initialized = session.initialize(capabilities={"tasks": {"list": {}, "cancel": {}}})
    assert "result" in initialized, initialized
    return session, initialized["result"]


def rpc(session: Client, method: str, params: dict) -> dict:
    """The JSON-RPC response (with `result` or `error`) to `method`."""
    return session.request(method, params)[1]


def end(session: Client) -> None:
    """Ends the session (DELETE) and closes its GET streams and connections."""
    try:
        session.delete()
    finally:
        session.close()


def mcp_live_status(a: str) -> None:
    """e. A task started over MCP on serve-only A runs on W; A's GET stream shows it live."""
    session, initialized = mcp_session(a, "multinode-e")
    tasks_capability = initialized["capabilities"].get("tasks", {})
    check("e: initialize on A negotiated 2025-11-25 with task-augmented tools/call",
          initialized["protocolVersion"] == "2025-11-25"
          and tasks_capability.get("requests", {}).get("tools", {}).get("call") == {}, initialized)
    stream = session.open_get_stream()
    check("e: GET stream on A opened", stream.status == 200, stream.status)
    started = time.time()
    created = session.start_task("slow_computation", {"duration": 3}, MCP_TTL_MS, progress_token="mn-progress")
    check("e: CreateTaskResult at once, status working, Task shape valid",
          time.time() - started < 2 and created["status"] == "working" and not task_shape_problems(created),
          created)
    task_id = created["taskId"]
    rows: list[tuple[str, str]] = []
    wait_until(lambda: rows.append(lease_row(task_id)) or rows[-1][0] == "working", 10)
    check("e: the work runs on worker W, not on A (lease held by worker-w)", rows[-1] == ("working", "worker-w"),
          rows[-1])
    check("e: GET stream got `working` while the task ran",
          stream.wait_for(lambda: "working" in stream.statuses(task_id), 10), stream.statuses(task_id))
    check("e: GET stream got `completed`",
          stream.wait_for(lambda: "completed" in stream.statuses(task_id), 30), stream.statuses(task_id))
    working_at = stream.status_arrival(task_id, "working") or 0.0
    completed_at = stream.status_arrival(task_id, "completed") or 0.0
    statuses = stream.statuses(task_id)
    check("e: status notifications live: working first, completed last, >= 1 s apart",
          statuses[:1] == ["working"] and statuses[-1:] == ["completed"] and statuses.count("completed") == 1
          and working_at > 0 and completed_at - working_at >= 1, (statuses, working_at, completed_at))
    check("e: status notifications are flat 2025-11-25 Tasks", not stream.status_problems(task_id),
          stream.status_problems(task_id))
    completed = ([p for p in stream.notifications("notifications/tasks/status")
                  if p.get("taskId") == task_id and p.get("status") == "completed"] or [created])[0]
    check("e: the completed Task keeps createdAt/ttl of the CreateTaskResult",
          completed["createdAt"] == created["createdAt"] and completed["ttl"] == created["ttl"]
          and instant(completed["lastUpdatedAt"]) > instant(created["lastUpdatedAt"]), (created, completed))
    progress = [p for p in stream.notifications("notifications/progress") if p.get("progressToken") == "mn-progress"]
    values = [p.get("progress") for p in progress]
    # Steps 1/3 and 2/3 lie a second away from any status change. Step 0 (right after the claim) and the final
    # step (right before completion) may be lost: when A reads the row for the status signal it already holds
    # that progress, so A publishes one `.status` event and no `.progress` one, and TaskNotifier sends
    # notifications/progress only for `.progress` events (a known gap, see the branch report).
    print(f"info  progress values on A's GET stream: {values}", flush=True)
    check("e: GET stream got the call's progress from W (token kept, related-task meta)",
          {1, 2} <= set(values)
          and all((p.get("_meta") or {}).get(RELATED_TASK, {}).get("taskId") == task_id for p in progress),
          progress)
    check("e: progress strictly increases", all(x < y for x, y in zip(values, values[1:])), values)
    result = rpc(session, "tasks/result", {"taskId": task_id})
    content = (result.get("result") or {}).get("content") or [{}]
    check("e: tasks/result on A returns the tool result with related-task meta",
          content[0].get("text") == "computed 3 steps"
          and result["result"].get("_meta", {}).get(RELATED_TASK, {}).get("taskId") == task_id, result)
    end(session)


def mcp_cancel(a: str, worker_log: str) -> None:
    """f. tasks/cancel on A stops the work W runs; W's freed slots run the next task at once."""
    session, _ = mcp_session(a, "multinode-f")
    stream = session.open_get_stream()
    check("f: GET stream on A opened", stream.status == 200, stream.status)
    long = [session.start_task("sleep", {"seconds": 60}, MCP_TTL_MS)["taskId"] for _ in range(4)]
    check("f: W claimed all four long tasks",
          wait_until(lambda: all(lease_row(t) == ("working", "worker-w") for t in long), 20),
          [lease_row(t) for t in long])
    for task_id in long:
        response = rpc(session, "tasks/cancel", {"taskId": task_id})
        result = response.get("result") or {}
        check("f: tasks/cancel on A answered the Task, status cancelled",
              result.get("taskId") == task_id and result.get("status") == "cancelled"
              and not task_shape_problems(result), response)
    check("f: GET stream got `cancelled` for each",
          stream.wait_for(lambda: all("cancelled" in stream.statuses(t) for t in long), 10),
          [stream.statuses(t) for t in long])
    started = time.time()
    quick = session.start_task("sleep", {"seconds": 0.1}, MCP_TTL_MS)["taskId"]
    # Had a cancelled sleep kept its slot on W, this would wait for the 60 s sleeps.
    check("f: the freed slots on W ran the next task promptly",
          stream.wait_for(lambda: "completed" in stream.statuses(quick), 15)
          and time.time() - started < 15, stream.statuses(quick))
    stopped = wait_until(lambda: all(
        any(t in line and "its attempt stops" in line for line in open(worker_log)) for t in long), 5)
    check("f: W's log says each attempt stopped", stopped)
    again = rpc(session, "tasks/cancel", {"taskId": long[0]})
    check("f: a second tasks/cancel is -32602 (terminal)", (again.get("error") or {}).get("code") == -32602, again)
    time.sleep(1)
    for task_id in long:
        got = rpc(session, "tasks/get", {"taskId": task_id}).get("result") or {}
        record = task(a, task_id)
        check("f: cancelled task stayed cancelled, never completed",
              got.get("status") == "cancelled" and "completed" not in stream.statuses(task_id)
              and record["status"] == "cancelled" and completed_entries(record) == 0, (got, record))
    end(session)


def mcp_watch_from_other_node(a: str, b: str) -> None:
    """g. A session on B that looked at a task made on A hears its status changes."""
    (creator, _), (watcher, _) = mcp_session(a, "multinode-g-a"), mcp_session(b, "multinode-g-b")
    a_stream, b_stream = creator.open_get_stream(), watcher.open_get_stream()
    check("g: GET streams on A and B opened", a_stream.status == b_stream.status == 200,
          (a_stream.status, b_stream.status))
    created = creator.start_task("slow_computation", {"duration": 2}, MCP_TTL_MS)
    task_id = created["taskId"]
    got = rpc(watcher, "tasks/get", {"taskId": task_id})
    seen = got.get("result") or {}
    check("g: tasks/get on B shows the task made on A, not yet terminal",
          seen.get("taskId") == task_id and seen.get("status") == "working" and not task_shape_problems(seen), got)
    check("g: B's GET stream got `completed`",
          b_stream.wait_for(lambda: "completed" in b_stream.statuses(task_id), 30), b_stream.statuses(task_id))
    check("g: B's status notifications are flat 2025-11-25 Tasks",
          not b_stream.status_problems(task_id), b_stream.status_problems(task_id))
    check("g: A's GET stream got `completed` too",
          a_stream.wait_for(lambda: "completed" in a_stream.statuses(task_id), 10), a_stream.statuses(task_id))
    result = rpc(watcher, "tasks/result", {"taskId": task_id})
    check("g: tasks/result on B returns the tool result",
          ((result.get("result") or {}).get("content") or [{}])[0].get("text") == "computed 2 steps", result)
    end(creator)
    end(watcher)


MODERN = "2026-07-28"
MODERN_META = {"io.modelcontextprotocol/protocolVersion": MODERN,
               "io.modelcontextprotocol/clientCapabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}}}


def modern_call(base: str, method: str, params: dict, name: str | None = None) -> dict:
    """One stateless 2026-07-28 request; the JSON-RPC response."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": MODERN_META}}
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name:
        headers["Mcp-Name"] = name
    req = urllib.request.Request(base + "/mcp", data=json.dumps(body).encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


class Listen:
    """A `subscriptions/listen` stream on one node, read in a thread: every message it carried."""

    def __init__(self, base: str, task_id: str) -> None:
        self.connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=120)
        body = {"jsonrpc": "2.0", "id": "listen-h", "method": "subscriptions/listen",
                "params": {"notifications": {"taskIds": [task_id]}, "_meta": MODERN_META}}
        self.connection.request("POST", "/mcp", body=json.dumps(body), headers={
            "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": MODERN, "Mcp-Method": "subscriptions/listen"})
        self.response = self.connection.getresponse()
        self.messages: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("data:"):
                    self.messages.append(json.loads(line[5:]))
        except Exception:
            pass

    def tasks(self) -> list[dict]:
        return [m["params"] for m in list(self.messages) if m.get("method") == "notifications/tasks"]

    def statuses(self) -> list[str]:
        return [t["status"] for t in self.tasks()]

    def close(self) -> None:
        self.connection.close()


def modern_push(a: str) -> None:
    """h. 2026-07-28 on serve-only A: the task runs on W, A's listen stream hears it, input answered on A."""
    created = (modern_call(a, "tools/call", {"name": "slow_computation", "arguments": {"duration": 2}},
                           name="slow_computation").get("result") or {})
    check("h: tools/call on A answered a CreateTaskResult", created.get("resultType") == "task", created)
    task_id = created.get("taskId", "")
    listen = Listen(a, task_id)
    check("h: listen on A acknowledged the task",
          wait_until(lambda: any(m.get("method") == "notifications/subscriptions/acknowledged"
                                 and m["params"]["notifications"].get("taskIds") == [task_id]
                                 for m in listen.messages), 10), listen.messages[:1])
    check("h: the work runs on W (lease row names worker-w)",
          wait_until(lambda: lease_row(task_id) == ("working", "worker-w"), 10), lease_row(task_id))
    check("h: A's listen stream got `completed` with the result inlined",
          wait_until(lambda: "completed" in listen.statuses(), 30), listen.statuses())
    done = [t for t in listen.tasks() if t["status"] == "completed"][-1:]
    check("h: the pushed result is the tool's",
          bool(done) and done[0]["result"]["content"][0]["text"] == "computed 2 steps", done)
    check("h: every notification carries the subscription id",
          all(t["_meta"]["io.modelcontextprotocol/subscriptionId"] == "listen-h" for t in listen.tasks()))
    listen.close()

    asking = (modern_call(a, "tools/call", {"name": "approve_deployment", "arguments": {"service": "multinode"}},
                          name="approve_deployment").get("result") or {})
    task_id = asking.get("taskId", "")
    listen = Listen(a, task_id)
    check("h: A's listen stream got `input_required` with the request",
          wait_until(lambda: any(t.get("inputRequests") for t in listen.tasks()), 20), listen.statuses())
    requests = next((t["inputRequests"] for t in listen.tasks() if t.get("inputRequests")), {})
    answers = {key: {"action": "accept", "content": {"approve": True}} for key in requests}
    updated = modern_call(a, "tasks/update", {"taskId": task_id, "inputResponses": answers})
    check("h: tasks/update on A acknowledged", (updated.get("result") or {}).get("resultType") == "complete", updated)
    check("h: the handler on W continued to `completed`",
          wait_until(lambda: "completed" in listen.statuses(), 20), listen.statuses())
    done = [t for t in listen.tasks() if t["status"] == "completed"][-1:]
    check("h: and deployed", bool(done) and done[0]["result"]["content"][0]["text"] == "deployed multinode", done)
    listen.close()


def pg_ctl(*args: str) -> int:
    """Runs the test server's pg_ctl (as the postgres user when we are root); returns its exit status."""
    command = [os.path.join(os.environ["PG_BIN"], "pg_ctl"), "-D", os.environ["PG_DATA"], "-w", "-t", "60", *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


def status_of(base: str, path: str) -> int:
    """The HTTP status of GET `path` (0 if the node did not answer)."""
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def metrics_of(base: str) -> str:
    """The node's /metrics text ("" if it did not answer)."""
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
            return response.read().decode()
    except OSError:
        return ""


def try_submit(base: str) -> int:
    """The HTTP status of one submission (0 if the node did not answer)."""
    try:
        return request(base, "POST", "/api/tools/sleep/call?task=true", {"seconds": 0})[0]
    except OSError:
        return 0


def database_restart(a: str, b: str) -> None:
    """i. PostgreSQL stops and starts again under running nodes: what was acknowledged is not lost, a submission
    during the outage is refused (never acknowledged and dropped), and the nodes recover by themselves."""
    if not check("i: PG_DATA and PG_BIN name the test server", bool(os.environ.get("PG_DATA") and os.environ.get("PG_BIN"))):
        return
    acknowledged = [submit(a if i % 2 else b, "sleep", {"seconds": 2}) for i in range(20)]
    with open(os.path.join(os.environ["PG_DATA"], "postmaster.opts")) as f:
        options = f.read().strip().split(" ", 1)[1]  # the server's own command line, without the binary
    stopped = time.time()
    check("i: the database stopped", pg_ctl("stop", "-m", "fast") == 0)
    during = try_submit(a)
    check("i: a submission during the outage is refused with 503", during == 503, str(during))
    check("i: /readyz on A answers 503 while the database is away", status_of(a, "/readyz") == 503)
    check("i: /metrics on A says errand_store_reachable 0", "errand_store_reachable 0" in metrics_of(a))
    check("i: the database started again",
          pg_ctl("start", "-o", options, "-l", os.path.join(os.path.dirname(os.environ["PG_DATA"]), "postgres.log"))
          == 0)
    restarted = time.time()
    check("i: A accepts submissions again by itself", wait_until(lambda: try_submit(a) == 202, 90))
    check("i: B accepts submissions again by itself", wait_until(lambda: try_submit(b) == 202, 90))
    check("i: /readyz on A answers 200 again", wait_until(lambda: status_of(a, "/readyz") == 200, 30))
    print(f"info  database down {restarted - stopped:.1f} s; nodes accepting again {time.time() - restarted:.1f} s"
          " after it came back", flush=True)
    records = terminal(a, acknowledged, 90)
    statuses = [r["status"] for r in records.values()]
    check("i: every task acknowledged before the outage completed", statuses.count("completed") == 20,
          {s: statuses.count(s) for s in set(statuses)})
    with open(os.path.join(WORK, "node-a.err")) as f:
        log = f.read()
    check("i: A's log (warnings and up) says it lost the database", "lost the cluster signal connection" in log)


def main() -> None:
    os.makedirs(os.path.join(WORK, "no-public"), exist_ok=True)
    a = serve("node-a", 0)
    w = worker("worker-w", 4)

    # a. Submitted on A, run on W, watched live on A.
    events = EventStream(a, "tool=slow_computation")
    check("a: event stream on A opened", events.ready.is_set())
    live = submit(a, "slow_computation", {"duration": 2})
    record = terminal(a, [live], 30)[live]
    check("a: task submitted on serve-only A completed (ran on the worker)", record["status"] == "completed", record)
    wait_until(lambda: any(e["task"]["status"] == "completed" for e in events.events), 10)
    mine = [e for e in events.events if e["task"]["id"] == live]
    statuses = [e["task"]["status"] for e in mine]
    check("a: A's subscriber saw the task working", "working" in statuses, statuses)
    check("a: A's subscriber saw progress from the worker",
          any((e["task"].get("progress") or {}).get("message", "").startswith("step") for e in mine), mine[-3:])
    check("a: A's subscriber saw the completion", statuses[-1:] == ["completed"], statuses)
    events.close()

    # b. Cancel on A stops the work on W: fill all 4 slots with long sleeps, cancel them, the next task runs at once.
    long = [submit(a, "sleep", {"seconds": 60}) for _ in range(4)]
    check("b: W claimed all four long tasks",
          wait_until(lambda: all(task(a, t)["status"] == "working" for t in long), 20))
    for task_id in long:
        status, body = request(a, "POST", f"/api/tasks/{task_id}/cancel")
        check("b: cancel on A answered 200 cancelled", status == 200 and body.get("status") == "cancelled", body)
    quick = submit(a, "sleep", {"seconds": 0.1})
    # Had a cancelled sleep kept its slot on W, this would wait for the 60 s sleeps.
    record = terminal(a, [quick], 20)[quick]
    check("b: the freed slots on W ran the next task", record["status"] == "completed", record)
    time.sleep(1)
    for task_id in long:
        record = task(a, task_id)
        check("b: cancelled task stayed cancelled with no completion",
              record["status"] == "cancelled" and completed_entries(record) == 0, record)

    # e, f. The same over MCP, while W is the only node with slots.
    mcp_live_status(a)
    mcp_cancel(a, os.path.join(WORK, "worker-w.err"))

    # h. The same over 2026-07-28 with push (subscriptions/listen).
    modern_push(a)

    # c. SIGKILL the worker while it runs tasks; B takes them over after the lease.
    b = serve("node-b", 4)
    victims = [submit(a, "sleep", {"seconds": 4}) for _ in range(8)]
    check("c: all eight tasks running (W holds 4, B holds 4)",
          wait_until(lambda: all(task(a, t)["status"] == "working" for t in victims), 20))
    w.send_signal(signal.SIGKILL)
    w.wait()
    killed_at = time.time()
    records = terminal(b, victims, 40)
    took = time.time() - killed_at
    ended = [r["status"] for r in records.values()]
    check("c: every task ended after the kill", all(s in ("completed", "failed") for s in ended), ended)
    check("c: B completed the four it ran", ended.count("completed") == 4, ended)
    lost = [r for r in records.values() if r["status"] == "failed"]
    check("c: the four W ran were taken over (one attempt allowed: failed)", len(lost) == 4, ended)
    check("c: the takeover message says why", all(r.get("statusMessage") for r in lost),
          [r.get("statusMessage") for r in lost])
    check("c: no task completed twice", all(completed_entries(r) <= 1 for r in records.values()))
    print(f"info  takeover after SIGKILL took {took:.1f} s (lease {LEASE} s)", flush=True)

    # d. 200 tasks across nodes with a fresh worker: none completed twice, none lost.
    worker("worker-w2", 8)
    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(lambda i: submit(a if i % 2 else b, "sleep", {"seconds": 0.05}), range(200)))
    check("d: 200 distinct tasks accepted", len(set(ids)) == 200)
    records = terminal(a, ids, 120)
    statuses = [r["status"] for r in records.values()]
    check("d: all 200 completed", statuses.count("completed") == 200,
          {s: statuses.count(s) for s in set(statuses)})
    check("d: each has exactly one completed history entry",
          all(completed_entries(r) == 1 for r in records.values()))
    check("d: each ran as one attempt", all(r["attempt"] == 1 for r in records.values()))
    both = [task(b, t)["status"] for t in ids[:20]]
    check("d: node B reads the same final states", both == statuses[:20] or all(s == "completed" for s in both))

    # g. A session on B watches a task made on A.
    mcp_watch_from_other_node(a, b)

    # i. The database restarts under the nodes (last: every node goes through it).
    database_restart(a, b)


try:
    main()
except Exception as error:  # noqa: BLE001 - any crash must count as a failure, not end with "0 failed"
    traceback.print_exc()
    check("scenario ran to the end", False, repr(error))
finally:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"multinode: {passed} passed, {failed} failed", flush=True)
sys.exit(1 if failed else 0)
