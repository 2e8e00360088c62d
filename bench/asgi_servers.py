"""Granian against uvicorn, serving the same app, side by side in one run.

Starts each server as a subprocess on loopback (embedded profile, a fresh SQLite file), then sends
a bounded number of requests from an httpx client with fixed concurrency to two routes:
``/health/live`` (the framework and server alone) and an authenticated ``GET /api/v1/clinics``
(token check, a database read, JSON). Prints a table and writes bench/results/asgi_servers.json.

    make bench            # or: .venv/bin/python bench/asgi_servers.py --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVERS = {
    "granian": ["-m", "granian", "--interface", "asgi", "--factory", "--no-ws", "--log-level", "warning"],
    "uvicorn": ["-m", "uvicorn", "--factory", "--log-level", "warning", "--no-access-log"],
}
TARGET = "entrypoints.http.asgi:app_from_environment"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APP_DATA_DIR": str(workdir),
        "LOGGING_ACCESS_LOG": "false",
        "LOGGING_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }
    port_args = ["--port", str(port), "--host", "127.0.0.1"]
    return subprocess.Popen([sys.executable, *SERVERS[name], *port_args, TARGET], cwd=workdir, env=env)


def token(workdir: Path) -> str:
    env = {**os.environ, "APP_DATA_DIR": str(workdir), "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "auth", "token", "--email", "admin@demo.clinic"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


async def wait_ready(url: str, within_seconds: float = 60) -> None:
    deadline = time.monotonic() + within_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not ready in {within_seconds}s")


async def load(
    url: str, path: str, headers: dict[str, str], requests: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for _ in queue:
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "errors": errors,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in SERVERS:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            # Seed the store and mint a token before the server starts.
            bearer = {"Authorization": f"Bearer {token(workdir)}"}
            port = free_port()
            process = start(name, port, workdir)
            try:
                url = f"http://127.0.0.1:{port}"
                await wait_ready(url)
                await load(url, "/health/live", {}, 200, args.concurrency)  # warm-up
                results[name] = {
                    "/health/live": await load(url, "/health/live", {}, args.requests, args.concurrency),
                    "GET /api/v1/clinics": await load(
                        url, "/api/v1/clinics", bearer, args.requests, args.concurrency
                    ),
                }
            finally:
                process.terminate()
                process.wait(timeout=30)
    print(f"\n{args.requests} requests per route, concurrency {args.concurrency}, one worker each\n")
    print(f"{'route':<22}{'server':<10}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for route in ("/health/live", "GET /api/v1/clinics"):
        for name, by_route in results.items():
            r = by_route[route]
            print(
                f"{route:<22}{name:<10}{r['rps']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['errors']:>8.0f}"
            )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "asgi_servers.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
