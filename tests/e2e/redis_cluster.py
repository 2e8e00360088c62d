"""A real Redis Cluster on loopback: three ``redis-server`` processes in cluster mode, no replicas.

Each node runs from a temporary directory of its own on a free port whose cluster-bus port
(port + 10000) is free too; ``redis-cli --cluster create`` assigns the slots, and the cluster is
ready once every node reports ``cluster_state:ok``. Everything is killed and deleted afterwards.
Where ``redis-server`` or ``redis-cli`` is not installed the tests skip with that reason; where
they are installed, a cluster that does not come up fails the test (under CI=true too).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BUS_OFFSET = 10_000  # Redis Cluster's node-to-node bus listens on port + 10000
START_DEADLINE = 30.0


@dataclass(frozen=True)
class RedisClusterNodes:
    host: str
    ports: tuple[int, ...]

    @property
    def seed(self) -> int:
        return self.ports[0]

    def settings(self) -> dict[str, str]:
        """The application's settings for this cluster: one seed node is enough."""
        return {
            "CACHE_HOST": self.host,
            "CACHE_PORT": str(self.seed),
            "CACHE_DB": "0",
            "CACHE_CLUSTER": "true",
        }


def binaries() -> tuple[str, str]:
    """``redis-server`` and ``redis-cli``; skips (with the reason) when either is missing."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        pytest.skip("Redis Cluster test needs redis-server and redis-cli on PATH (apt install redis-server)")
    return server, cli


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_cluster_ports(count: int) -> list[int]:
    """Ports free together with their bus ports (ephemeral ports may sit too high for +10000)."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(20_000, 39_999)
        if port in chosen or port + BUS_OFFSET in chosen:
            continue
        if _bindable(port) and _bindable(port + BUS_OFFSET):
            chosen.append(port)
    return chosen


def _cli(cli: str, *args: str, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=timeout, check=False)


def _wait(condition, what: str, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                raise AssertionError(f"redis-server exited: {log.read_text()[-2000:]}")
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {START_DEADLINE}s waiting for {what}")


@contextlib.contextmanager
def running_cluster(nodes: int = 3) -> Iterator[RedisClusterNodes]:
    server, cli = binaries()
    root = Path(tempfile.mkdtemp(prefix="redis-cluster-"))
    ports = free_cluster_ports(nodes)
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for port in ports:
            workdir = root / str(port)
            workdir.mkdir()
            log = workdir / "redis.log"
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [
                        server,
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--dir",
                        str(workdir),
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        str(workdir / "nodes.conf"),
                        "--cluster-node-timeout",
                        "2000",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--logfile",
                        str(log),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        _wait(
            lambda: all(_cli(cli, "-p", str(p), "ping").stdout.strip() == "PONG" for p in ports),
            "every node to answer PING",
            processes,
            logs,
        )
        created = _cli(
            cli,
            "--cluster",
            "create",
            *(f"127.0.0.1:{p}" for p in ports),
            "--cluster-replicas",
            "0",
            "--cluster-yes",
            timeout=60,
        )
        assert created.returncode == 0, f"redis-cli --cluster create failed: {created.stdout}{created.stderr}"
        _wait(
            lambda: all(
                "cluster_state:ok" in _cli(cli, "-p", str(p), "cluster", "info").stdout for p in ports
            ),
            "cluster_state:ok on every node",
            processes,
            logs,
        )
        yield RedisClusterNodes(host="127.0.0.1", ports=tuple(ports))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
