"""How long after a task completes does `errand tasks watch` print it? Push against polling, both MCP eras.

Starts one task per run (`errand call sleep seconds=S --task --detach`), runs `errand tasks watch ID --json`
(with `--poll` for the polling rows) and takes the time the completed status line arrives on its stdout minus
the task's `lastUpdatedAt` (the server's completion time, same machine clock). Prints p50 / p90 / max per mode.

    python3 scripts/bench/client_watch_latency.py ERRAND_BIN URL [RUNS]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from datetime import datetime

MODES = [
    ("2025-11-25", "push (GET stream)", []),
    ("2025-11-25", "poll (tasks/get)", ["--poll"]),
    ("2026-07-28", "push (subscriptions/listen)", []),
    ("2026-07-28", "poll (tasks/get)", ["--poll"]),
]


def completion_ms(binary: str, url: str, era: str, options: list[str], seconds: float) -> float:
    started = subprocess.run(
        [binary, "call", "sleep", f"seconds={seconds}", "--task", "--detach", "--protocol", era, "--url", url],
        capture_output=True, text=True, check=True, timeout=30)
    task_id = started.stdout.strip()
    watch = subprocess.Popen(
        [binary, "tasks", "watch", task_id, "--json", "--protocol", era, "--url", url, *options],
        stdout=subprocess.PIPE, text=True, bufsize=1)
    assert watch.stdout is not None
    try:
        for line in watch.stdout:
            printed = time.time()
            update = json.loads(line)
            task = update.get("task") or {}
            if update.get("type") == "status" and task.get("status") == "completed":
                done = datetime.fromisoformat(task["lastUpdatedAt"].replace("Z", "+00:00")).timestamp()
                return (printed - done) * 1000
        raise RuntimeError(f"watch of {task_id} ended without a completed status")
    finally:
        watch.wait(timeout=30)


def main() -> None:
    binary, url = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    print(f"{'era':<11} {'mode':<30} {'runs':>4} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
    for era, mode, options in MODES:
        samples = sorted(completion_ms(binary, url, era, options, 0.6 + 0.037 * i) for i in range(runs))
        p90 = samples[min(len(samples) - 1, int(round(0.9 * (len(samples) - 1))))]
        print(f"{era:<11} {mode:<30} {runs:>4} {statistics.median(samples):>8.1f} {p90:>8.1f} {samples[-1]:>8.1f}")


if __name__ == "__main__":
    main()
