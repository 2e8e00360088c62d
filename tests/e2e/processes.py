"""The real server process and the real CLI, run as subprocesses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(workdir: Path, **extra: str) -> dict[str, str]:
    """A clean environment: only what a shell would have, plus the given settings."""
    keep = {
        k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    }
    return {**keep, "PYTHONPATH": str(SRC), "APP_DATA_DIR": str(workdir / "var"), **extra}


def cli(workdir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", *args],
        cwd=workdir,
        env=env or base_env(workdir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Server:
    url: str
    workdir: Path
    process: subprocess.Popen[str]
    env: dict[str, str]

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def start_server(tmp_path: Path) -> Iterator[Server]:
    """Serve on a free port from ``tmp_path`` until the generator is closed; ready when yielded."""
    port = free_port()
    env = base_env(tmp_path, APP_PORT=str(port), LOGGING_LEVEL="INFO")
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "entrypoints.cli", "serve"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the cleanup reaches granian's workers too
    )
    running = Server(url=f"http://127.0.0.1:{port}", workdir=tmp_path, process=process, env=env)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {(tmp_path / 'server.log').read_text()[-3000:]}")
        try:
            return httpx.get(f"{running.url}/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, 60, "/health/ready to answer 200")
        yield running
    finally:
        _stop_group(process)
        log.close()


def _stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM the server's whole process group (the main process and its workers), SIGKILL what
    is still there after a grace period: a killed main process must not leave workers behind."""
    group = process.pid  # start_new_session: the group is named after its leader, even once it is gone
    try:
        os.killpg(group, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait(timeout=10)
