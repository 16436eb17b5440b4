"""The dashboard against a server holding 100,000 tasks (issue 16): the first page renders in under a second, the
counters equal /metrics, paging reaches the oldest task, a pasted id opens its task, and under a stream of 1,000
tasks a second for 60 s the tab's JS heap stays bounded. Screenshots of the front page and the nodes view are
kept in artifacts/.

The 100,000 tasks are written straight into a SQLite file by `ErrandStoreTool fill-mixed` (the store's own
insert API, four tools, 1 in 10 failed, 1 in 50 cancelled; about 10 s in a debug build), and a server of our own
serves that file. The stream submits the `sleep` tool with 0 seconds over REST on keep-alive connections.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from conftest import ROOT, make_driver
from test_dashboard import open_dashboard, wait

TASKS = 100_000
STREAM_RATE = 1000
STREAM_SECONDS = 60


class BigServer:
    """`errand serve` over a SQLite file filled with TASKS tasks, with anonymous limits high enough for the stream."""

    def __init__(self):
        tool = os.environ.get("ERRAND_STORE_TOOL", str(ROOT / ".build/debug/ErrandStoreTool"))
        if not Path(tool).exists():
            raise RuntimeError(f"{tool} is missing: swift build --product ErrandStoreTool (scripts/test-web.sh does)")
        self.directory = tempfile.mkdtemp(prefix="errand-web-100k-")
        path = os.path.join(self.directory, "tasks.sqlite")
        subprocess.run([tool, "fill-mixed", path, str(TASKS)], check=True, capture_output=True, timeout=300)
        binary = os.environ.get("ERRAND_BIN", str(ROOT / ".build/debug/errand"))
        self.process = subprocess.Popen(
            [binary, "serve", "--port", "0", "--store", f"sqlite:{path}", "--log-level", "warning",
             "--anonymous-submissions-per-minute", "1000000", "--anonymous-concurrent-tasks", "256",
             "--anonymous-queued-tasks", "100000", "--max-active-tasks-per-owner", "100000"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        pid_dir = os.environ.get("ERRAND_PID_DIR")
        if pid_dir:
            Path(pid_dir, f"web-{self.process.pid}").write_text(str(self.process.pid))
        self.url = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not self.url:
            line = self.process.stdout.readline()
            match = re.match(r"listening on (http://\S+)", line)
            if match:
                self.url = match.group(1)
            elif self.process.poll() is not None:
                break
        if not self.url:
            self.stop()
            raise RuntimeError("errand serve did not start on the 100,000-task file")
        self.port = int(self.url.rsplit(":", 1)[1])

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            body = response.read().decode()
            return json.loads(body) if response.headers.get("Content-Type", "").startswith("application/json") else body

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def big():
    server = BigServer()
    yield server
    server.stop()


def metrics_counts(server: BigServer) -> dict[str, int]:
    text = server.get("/metrics")
    return {match[1]: int(match[2]) for match in re.finditer(r'^errand_tasks\{status="(\w+)"\} (\d+)$', text, re.M)}


def shown_counts(driver) -> dict[str, int]:
    return driver.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#counters [data-count]')]"
        ".map(e => [e.dataset.count, Number(e.dataset.value ?? e.textContent.replace(/,/g, ''))]))")


def row_ids(driver) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('#task-rows tr')].map(r => r.dataset.taskId)")


def test_first_page_renders_in_under_a_second(big):
    driver = make_driver()
    try:
        driver.get(big.url + "/#/")
        wait(driver).until(lambda d: len(row_ids(d)) == 50)
        # The page marks the moment its first rows are in the DOM (ms since navigation started).
        rendered = driver.execute_script(
            "return performance.getEntriesByName('errand:first-rows')[0]?.startTime ?? null")
        print(f"first page rendered {rendered:.0f} ms after navigation began, {TASKS} tasks in the store")
        assert rendered is not None and rendered < 1000, rendered
    finally:
        driver.quit()


def test_counters_equal_metrics(big):
    driver = make_driver()
    try:
        open_dashboard(driver, big.url)
        expected = metrics_counts(big)
        assert sum(expected.values()) == TASKS, expected
        wait(driver).until(lambda d: {k: v for k, v in shown_counts(d).items() if k != "total"} == expected)
        assert shown_counts(driver)["total"] == TASKS
        stats = big.get("/api/stats")
        assert stats["byStatus"] == expected
        # fill-mixed: task i failed when i % 10 == 3, cancelled when i % 50 == 7, else completed.
        assert expected == {"queued": 0, "working": 0, "input_required": 0, "completed": 88_000, "failed": 10_000,
                            "cancelled": 2_000}
        assert set(stats["byTool"]) == {"slow_computation", "run_tests", "analyze_molecules", "deep_research"}
    finally:
        driver.quit()


def test_paging_reaches_the_oldest_task(big):
    # Through the API: following nextCursor visits every task once, down to the oldest.
    seen, cursor, last = 0, None, None
    while True:
        page = big.get("/api/tasks?limit=1000" + (f"&cursor={cursor}" if cursor else ""))
        seen += len(page["tasks"])
        last = page["tasks"][-1]["id"]
        cursor = page.get("nextCursor")
        if not cursor:
            break
    assert seen == TASKS
    oldest = big.get("/api/tasks?order=oldest&limit=1")["tasks"][0]["id"]
    assert last == oldest
    # In the browser: the pager walks pages, and "Oldest first" puts the oldest task at the top.
    driver = make_driver()
    try:
        open_dashboard(driver, big.url)
        wait(driver).until(lambda d: len(row_ids(d)) == 50)
        first = row_ids(driver)
        driver.find_element(By.ID, "page-older").click()
        wait(driver).until(lambda d: d.find_element(By.ID, "page-number").text == "Page 2")
        second = row_ids(driver)
        assert len(second) == 50 and not set(first) & set(second)
        Select(driver.find_element(By.ID, "filter-order")).select_by_value("oldest")
        wait(driver).until(lambda d: row_ids(d)[:1] == [oldest])
        assert driver.find_element(By.ID, "page-number").text == "Page 1"
        driver.find_element(By.ID, "page-older").click()
        wait(driver).until(lambda d: d.find_element(By.ID, "page-number").text == "Page 2")
        driver.find_element(By.ID, "page-newer").click()
        wait(driver).until(lambda d: row_ids(d)[:1] == [oldest])
    finally:
        driver.quit()


def test_a_pasted_id_opens_its_task(big):
    # A task from the middle of the 100,000: nowhere near the first page.
    page = big.get("/api/tasks?order=oldest&limit=1000")
    task = page["tasks"][500]
    driver = make_driver()
    try:
        open_dashboard(driver, big.url)
        assert task["id"] not in row_ids(driver)
        field = driver.find_element(By.ID, "find-task")
        field.send_keys(task["id"], Keys.ENTER)
        wait(driver).until(lambda d: d.find_element(By.ID, "task-title").text.strip() != "")
        assert driver.current_url.endswith("#/tasks/" + task["id"])
        assert task["tool"] in driver.find_element(By.ID, "task-title").text
        # An unknown id says so instead of showing an empty page.
        driver.get(big.url + "/#/")
        open_dashboard(driver, big.url)
        driver.find_element(By.ID, "find-task").send_keys("no-such-task", Keys.ENTER)
        wait(driver).until(lambda d: d.find_element(By.ID, "task-title").text == "Task not found")
    finally:
        driver.quit()


class Stream:
    """Submits `rate` tasks a second (sleep 0 s) from a few keep-alive connections until stopped."""

    def __init__(self, port: int, rate: int, connections: int = 32):
        self.port, self.rate, self.connections = port, rate, connections
        self.accepted = 0
        self.refused = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(index,), daemon=True) for index in range(connections)]

    def run(self, index: int):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        interval = self.connections / self.rate
        due = time.monotonic() + index * interval / self.connections
        body = b'{"seconds": 0}'
        while not self.stopping.is_set():
            delay = due - time.monotonic()
            if delay > 0:
                self.stopping.wait(delay)  # pacing the load, not synchronising with the server
            due += interval
            try:
                connection.request("POST", "/api/tools/sleep/call?task=true", body,
                                   {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 202
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                ok = False
            with self.lock:
                if ok:
                    self.accepted += 1
                else:
                    self.refused += 1
        connection.close()

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=30)


def heap_used(driver) -> int:
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    return int(driver.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"])


def test_heap_stays_bounded_under_a_stream_of_1000_tasks_a_second(big, artifacts):
    driver = make_driver()
    try:
        open_dashboard(driver, big.url)
        wait(driver).until(lambda d: len(row_ids(d)) == 50)
        before = heap_used(driver)
        samples = []
        started = time.monotonic()
        with Stream(big.port, STREAM_RATE) as stream:
            # Sample the heap every 10 s of the stream (the browser is busy meanwhile; this paces the reading).
            while time.monotonic() - started < STREAM_SECONDS:
                stream.stopping.wait(10)
                samples.append(heap_used(driver))
        elapsed = time.monotonic() - started
        after = heap_used(driver)
        rate = stream.accepted / elapsed
        report = {"heapBeforeBytes": before, "heapAfterBytes": after, "heapSamplesBytes": samples,
                  "accepted": stream.accepted, "refused": stream.refused, "seconds": round(elapsed, 1),
                  "tasksPerSecond": round(rate)}
        (artifacts / "dashboard-heap.json").write_text(json.dumps(report, indent=2))
        print(report)
        assert stream.refused == 0, report
        assert rate >= 0.9 * STREAM_RATE, f"the stream reached only {rate:.0f} tasks/s: {report}"
        # Holding every task would take ~1.5 KB each (90 MB for 60,000); a bounded window does not grow.
        assert after - before < 8_000_000, report
        assert max(samples) - before < 16_000_000, report
        # The page is still live and shows the stream's tasks.
        wait(driver, 30).until(lambda d: shown_counts(d)["total"] >= TASKS + stream.accepted * 0.9)
        assert len(row_ids(driver)) == 50
    finally:
        driver.quit()


def test_screenshots_of_the_front_page_and_nodes(big, artifacts):
    for name, (width, height) in {"dashboard-100k": (1280, 1500), "dashboard-100k-phone": (390, 844)}.items():
        driver = make_driver(width, height)
        try:
            open_dashboard(driver, big.url)
            wait(driver).until(lambda d: len(row_ids(d)) == 50 and d.find_elements(By.CSS_SELECTOR, "#chart-throughput path"))
            wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#nodes [data-node]"))
            driver.save_screenshot(str(artifacts / f"{name}.png"))
            nodes = driver.find_element(By.CSS_SELECTOR, ".nodes-section")
            driver.execute_script("arguments[0].scrollIntoView()", nodes)
            nodes.screenshot(str(artifacts / f"{name}-nodes.png"))
            assert driver.find_element(By.CSS_SELECTOR, "#nodes [data-node]").get_attribute("data-state") == "alive"
        finally:
            driver.quit()
    assert (artifacts / "dashboard-100k.png").stat().st_size > 10_000
