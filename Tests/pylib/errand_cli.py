"""Helpers for the tests of `errand` as an MCP client (`errand call`, `errand tasks …`): run the binary, start
the FastMCP reference servers from scripts/bench/peers/, and drive a prompt through a pseudo-terminal."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mcpwire import REPO_ROOT, errand_binary

PEERS = REPO_ROOT / "scripts" / "bench" / "peers"

# The documented exit statuses (`errand call --help`).
EXIT_COMPLETED = 0
EXIT_TOOL_ERROR = 1
EXIT_FAILED = 2
EXIT_CANCELLED = 3
EXIT_REFUSED = 4
EXIT_NEEDS_INPUT = 5
EXIT_USAGE = 64
EXIT_UNREACHABLE = 69


def cli_env() -> dict[str, str]:
    """The environment for the binary: no ERRAND_URL / ERRAND_TOKEN leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if k not in ("ERRAND_URL", "ERRAND_TOKEN")}
    return env


def run_cli(*args: str, url: str | None = None, timeout: float = 60.0,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs `errand ARGS [--url URL]` with stdin closed (no terminal) and returns what it did."""
    command = [str(errand_binary()), *args]
    if url is not None:
        command += ["--url", url]
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else cli_env())


def run_json(*args: str, url: str, timeout: float = 60.0) -> tuple[int, Any]:
    """Runs a command with --json; returns its status and the JSON it printed (the last line)."""
    done = run_cli(*args, "--json", url=url, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines, f"no JSON output; stderr: {done.stderr}"
    return done.returncode, json.loads(lines[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Waits until something accepts connections on `port` (the server is up), or fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the peer server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listened on port {port} within {timeout}s")


class PeerServer:
    """A FastMCP reference server (scripts/bench/peers/) on a free port, run by this venv's Python."""

    def __init__(self, script: str) -> None:
        self.port = free_port()
        self.log = open(os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, str(PEERS / script), str(self.port)],
                                        stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        pid_dir = os.environ.get("ERRAND_PID_DIR")
        if pid_dir and Path(pid_dir).is_dir():
            (Path(pid_dir) / f"peer-{self.process.pid}").write_text(str(self.process.pid))
        try:
            wait_for_port(self.port, self.process)
        except Exception:
            self.stop()
            raise
        self.url = f"http://127.0.0.1:{self.port}/mcp"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Terminal:
    """`errand ARGS` on a pseudo-terminal (stdin, stdout and stderr), to answer its prompts like a person."""

    def __init__(self, *args: str) -> None:
        self.output = b""
        pid, fd = pty.fork()
        if pid == 0:  # the child: exec the binary on the terminal
            env = cli_env()
            os.execve(str(errand_binary()), [str(errand_binary()), *args], env)
        self.pid, self.fd = pid, fd

    def expect(self, text: str, timeout: float = 30.0) -> str:
        """Reads until `text` appeared in the output (the event), or fails at the deadline."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{text!r} not shown within {timeout}s; output: {self.output!r}"
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                assert chunk, f"the program ended before showing {text!r}; output: {self.output!r}"
                self.output += chunk
        return self.output.decode(errors="replace")

    def send(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")

    def wait(self, timeout: float = 30.0) -> int:
        """Reads the rest of the output and returns the exit status."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(self.pid, signal.SIGKILL)
                raise AssertionError(f"errand did not exit within {timeout}s; output: {self.output!r}")
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.5))
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    chunk = b""
                if chunk:
                    self.output += chunk
                    continue
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
