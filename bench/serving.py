"""A server process for one bench run, started as an operator would and stopped afterwards
whatever happens, and a free loopback port for it. Shared by bench/booking.py and
bench/http_bench.py."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def server(
    command: list[str], env: dict[str, str], workdir: Path, *, ready: str = "/health/ready"
) -> AsyncIterator[str]:
    """Runs ``command`` in ``workdir`` (the repository and src/ importable, ``env`` over this
    environment) until the block ends, and yields its base URL (port ``env['APP_PORT']``) once
    ``ready`` answers 200 (60 s deadline). Its output goes to ``workdir/server-<port>.log``."""
    base = f"http://127.0.0.1:{env['APP_PORT']}"
    log = (workdir / f"server-{env['APP_PORT']}.log").open("w")
    process = subprocess.Popen(  # noqa: ASYNC220 - started before anything is measured
        command,
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'src'}", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        async with httpx.AsyncClient() as client:
            deadline, last = time.monotonic() + 60, "no answer"
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited: see {log.name}")
                try:
                    answer = await client.get(base + ready)
                    if answer.status_code == 200:
                        break
                    last = answer.text[:300]
                except httpx.TransportError as exc:
                    last = repr(exc)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not become ready in 60 s: {last}")
                await asyncio.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
