"""The dashboard's nodes view over a real PostgreSQL cluster: a serve-only node and a worker; the worker's leases
show, then the worker is stopped (SIGSTOP, so it neither renews nor releases) and the view marks it as no longer
renewing. A screenshot of it is kept in artifacts/cluster-view.png.

Opt-in: runs when ERRAND_TEST_POSTGRES_URL names an empty database and ERRAND_POSTGRES_BIN an errand built with the
`Postgres` trait (scripts/test-web.sh builds neither; the memory-cluster path of the same view is tested in Swift:
ClusterNodesTests, RESTClusterTests).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from conftest import ROOT, make_driver
from test_dashboard import open_dashboard, wait

PG_URL = os.environ.get("ERRAND_TEST_POSTGRES_URL", "")
BIN = os.environ.get("ERRAND_POSTGRES_BIN", "")

pytestmark = pytest.mark.skipif(not (PG_URL and BIN), reason="needs ERRAND_TEST_POSTGRES_URL and ERRAND_POSTGRES_BIN")


def start(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen([BIN, *arguments, "--log-level", "warning"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def listening_url(process: subprocess.Popen) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.match(r"listening on (http://\S+)", line)
        if match:
            return match.group(1)
        if process.poll() is not None:
            break
    raise RuntimeError("the serve node did not start")


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def node_state(driver, name: str) -> str | None:
    return driver.execute_script(
        "return document.querySelector(`#nodes [data-node='${arguments[0]}']`)?.dataset.state ?? null", name)


def test_the_nodes_view_shows_a_worker_and_marks_it_when_it_stops_renewing(artifacts):
    serve = start("serve", "--port", "0", "--store", PG_URL, "--node", "web-1", "--max-concurrent-tasks", "0")
    worker = None
    driver = None
    try:
        url = listening_url(serve)
        worker = start("worker", "--store", PG_URL, "--node", "worker-1", "--max-concurrent-tasks", "4")
        for _ in range(3):
            request = urllib.request.Request(url + "/api/tools/sleep/call?task=true", data=b'{"seconds": 600}',
                                             headers={"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(request, timeout=10).read()
        driver = make_driver(1280, 1100)
        open_dashboard(driver, url)
        wait(driver, 30).until(lambda d: node_state(d, "worker-1") == "alive")
        cluster = get(url + "/api/cluster")
        assert cluster["mode"] == "cluster"
        worker_node = next(node for node in cluster["nodes"] if node["name"] == "worker-1")
        assert worker_node["running"] == {"sleep": 3} and worker_node["renewing"]
        assert next(node for node in cluster["nodes"] if node["self"])["name"] == "web-1"
        nodes = driver.find_element(By.CSS_SELECTOR, ".nodes-section")
        driver.execute_script("arguments[0].scrollIntoView()", nodes)
        nodes.screenshot(str(artifacts / "cluster-view.png"))

        # Frozen: it renews nothing. Holding leases, it reads as stopped within two thirds of a lease (20 s of 30)
        # of its last renewal, and stays listed until its leases lapse and another node takes the tasks back.
        worker.send_signal(signal.SIGSTOP)
        wait(driver, 40).until(lambda d: node_state(d, "worker-1") == "stale")
        assert "stopped renewing" in driver.find_element(By.CSS_SELECTOR, "#nodes [data-node='worker-1']").text
        driver.execute_script("arguments[0].scrollIntoView()", nodes)
        nodes.screenshot(str(artifacts / "cluster-view-stale.png"))
    finally:
        if driver:
            driver.quit()
        for process in (worker, serve):
            if process:
                stop(process)
