"""A closed-loop HTTP/1.1 load generator in plain asyncio: the stand-in for wrk in
bench/http_bench.py when wrk is not installed (or with ``--client python``).

    python bench/http_loadgen.py SPEC.json      (prints one line: ``LOADJSON {...}``)

It runs as its own process, so it shares neither the server's nor the bench's event loop, and it
imports only the standard library (no start-up cost, no httpx in the loop). The spec:
``host``, ``port``, ``connections``, ``seconds``, ``warmup`` (0 for none), ``timeout``,
``method`` (GET or POST), ``targets`` (paths; GET rotates through them), ``bodies`` (POST sends
each once, in order, then starts again: the repeats are refused and counted, as wrk's script
does), ``headers`` (name -> value).

Contract, the same as the wrk script's summary: ``connections`` keep-alive connections, each
sending its next request when the answer to the last is read; a warm-up run first (discarded),
then ``seconds`` of measured run; requests in flight at the deadline are finished and counted.
Every answer not 2xx is a status error; a refused connection, a reset, a malformed answer or
one slower than ``timeout`` is a socket error (the connection is then opened again). Latencies
are per request, from the write to the last byte of the body; percentiles are nearest-rank over
every measured request. The answer is read by its Content-Length (chunked bodies are read too;
the servers under test send Content-Length).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from itertools import cycle
from pathlib import Path
from typing import Any

_HEAD_END = b"\r\n\r\n"
# A refused or reset connection, a timeout, a cut-off or malformed answer: a socket error.
_BROKEN = (OSError, TimeoutError, EOFError, asyncio.LimitOverrunError, ValueError)


class _Run:
    """One timed run: the shared request rotation, the counters and the latencies (seconds)."""

    def __init__(self, spec: dict[str, Any], requests: list[bytes]) -> None:
        self.spec = spec
        self.requests = cycle(requests)  # one rotation shared by every connection, like wrk's `i`
        self.latencies: list[float] = []
        self.status_errors = 0
        self.socket_errors = 0
        # Per connection: when its request in flight was sent (0: none), and its writer. A watchdog
        # reads them: a timer per request (asyncio.timeout) cost a fifth of the client's CPU.
        self.sent = [0.0] * spec["connections"]
        self.writers: list[asyncio.StreamWriter | None] = [None] * spec["connections"]

    async def connection(self, slot: int, deadline: float) -> None:
        spec, latencies, sent = self.spec, self.latencies, self.sent
        clock = time.perf_counter
        streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while clock() < deadline:
            try:
                if streams is None:
                    async with asyncio.timeout(spec["timeout"]):
                        streams = await asyncio.open_connection(spec["host"], spec["port"])
                    self.writers[slot] = streams[1]
                reader, writer = streams
                sent[slot] = started = clock()
                writer.write(next(self.requests))
                status, keep = await _answer(reader)
                latencies.append(clock() - started)
                sent[slot] = 0.0
                if not 200 <= status < 300:
                    self.status_errors += 1
                if not keep:
                    writer.close()
                    streams = None
            except _BROKEN:
                sent[slot] = 0.0
                self.socket_errors += 1
                if streams is not None:
                    streams[1].close()
                    streams = None
                await asyncio.sleep(0.01)  # a refusing server is not hammered in a tight loop
        if streams is not None:
            streams[1].close()

    async def watchdog(self) -> None:
        """Abort a connection whose answer is later than the timeout: its read fails (EOF), and
        the request counts as a socket error."""
        timeout = self.spec["timeout"]
        while True:
            await asyncio.sleep(min(timeout / 10, 0.5))
            now = time.perf_counter()
            for slot, sent in enumerate(self.sent):
                writer = self.writers[slot]
                if sent and now - sent > timeout and writer is not None:
                    writer.transport.abort()

    async def run(self, seconds: float) -> dict[str, int]:
        started = time.perf_counter()
        deadline = started + seconds
        watchdog = asyncio.create_task(self.watchdog())
        await asyncio.gather(*(self.connection(slot, deadline) for slot in range(len(self.sent))))
        watchdog.cancel()
        duration = time.perf_counter() - started
        ordered = sorted(self.latencies)

        def percentile(share: float) -> int:
            if not ordered:
                return 0
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1e6)

        return {
            "requests": len(ordered),
            "duration_us": round(duration * 1e6),
            "status_errors": self.status_errors,
            "socket_errors": self.socket_errors,
            "p50_us": percentile(0.50),
            "p90_us": percentile(0.90),
            "p99_us": percentile(0.99),
            "max_us": round(ordered[-1] * 1e6) if ordered else 0,
        }


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one answer; its status and whether the connection stays open."""
    head = await reader.readuntil(_HEAD_END)
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 17)
        length = int(lower[at + 17 : end])
        if length:
            await reader.readexactly(length)
    elif b"\r\ntransfer-encoding: chunked" in lower:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are expected: the empty line
    elif status not in (204, 304) and status >= 200:
        raise ValueError("an answer without a length")  # would need reading to close: not a server under test
    return status, b"\r\nconnection: close" not in lower


def requests_of(spec: dict[str, Any]) -> list[bytes]:
    """The raw requests, built once: GET one per target, POST one per body."""
    host = f"{spec['host']}:{spec['port']}"
    headers = "".join(f"{name}: {value}\r\n" for name, value in spec["headers"].items())
    if spec["method"] == "GET":
        return [f"GET {t} HTTP/1.1\r\nHost: {host}\r\n{headers}\r\n".encode() for t in spec["targets"]]
    (target,) = spec["targets"]
    built = []
    for body in spec["bodies"]:
        raw = body.encode()
        head = f"POST {target} HTTP/1.1\r\nHost: {host}\r\n{headers}Content-Length: {len(raw)}\r\n\r\n"
        built.append(head.encode() + raw)
    return built


async def measure(spec: dict[str, Any]) -> dict[str, int]:
    requests = requests_of(spec)
    if spec["warmup"] > 0:
        await _Run(spec, requests).run(spec["warmup"])
    return await _Run(spec, requests).run(spec["seconds"])


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    print("LOADJSON " + json.dumps(asyncio.run(measure(spec))), flush=True)


if __name__ == "__main__":
    main()
