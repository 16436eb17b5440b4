"""Shared fixtures: the live server's URL, curl, and a headless Chromium driven through Debian's chromedriver."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"


class Server:
    """An `errand serve` process started by a test (scripts/test-web.sh starts the shared one)."""

    def __init__(self, port: int = 0):
        binary = os.environ.get("ERRAND_BIN", str(ROOT / ".build/debug/errand"))
        self.process = subprocess.Popen(
            [binary, "serve", "--port", str(port), "--store", "memory", "--log-level", "warning"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        pid_dir = os.environ.get("ERRAND_PID_DIR")
        if pid_dir:  # scripts/test.sh stops whatever is left there
            Path(pid_dir, f"web-{self.process.pid}").write_text(str(self.process.pid))
        deadline = time.monotonic() + 30
        self.url = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            match = re.match(r"listening on (http://\S+)", line)
            if match:
                self.url = match.group(1)
                break
            if self.process.poll() is not None:
                break
        if not self.url:
            self.stop()
            raise RuntimeError("errand serve did not start")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def base_url():
    """ERRAND_WEB_URL if scripts/test-web.sh started a server, else a server of our own."""
    url = os.environ.get("ERRAND_WEB_URL")
    if url:
        yield url.rstrip("/")
        return
    server = Server()
    yield server.url
    server.stop()


class Curl:
    """Runs the real curl binary and parses what it printed."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def __call__(self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None,
                 timeout: float = 30):
        args = ["curl", "-sS", "-X", method, "-D", "-", "--max-time", str(timeout), self.base_url + path]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        if body is not None:
            args += ["-H", "Content-Type: application/json", "--data-binary", body]
        output = subprocess.run(args, capture_output=True, text=True, check=True, timeout=timeout + 5).stdout
        return Response.parse(output)

    def start(self, tool: str, arguments: dict) -> str:
        response = self("POST", f"/api/tools/{tool}/call?task=true", json.dumps(arguments))
        assert response.status == 202, response.text
        return response.json()["id"]


class Response:
    def __init__(self, status: int, headers: dict[str, str], text: str):
        self.status, self.headers, self.text = status, headers, text

    @classmethod
    def parse(cls, output: str) -> "Response":
        head, _, body = output.replace("\r\n", "\n").partition("\n\n")
        lines = head.split("\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return cls(status, headers, body)

    def json(self):
        return json.loads(self.text)


@pytest.fixture(scope="session")
def curl(base_url) -> Curl:
    return Curl(base_url)


def make_driver(width: int = 1280, height: int = 900, dark: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", "--no-first-run", "--disable-extensions"):
        options.add_argument(argument)
    # Explicit driver path: Selenium Manager must not try to download anything.
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    if dark:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                               {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    return driver


@pytest.fixture
def browser():
    driver = make_driver()
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
