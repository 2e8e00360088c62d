"""A TCP fault proxy in front of any server: the cache fault tests' proxy (tests/cache_support.py),
aimed at another target and able to add latency.

- ``freeze()`` / ``thaw()``: bytes held, connections open (a stopped server);
- ``drop()``: every connection cut; ``refuse()`` / ``accept()``: cut and refuse new ones, then
  listen again on the same port (what an immediate PostgreSQL restart looks like to a client);
- ``latency``: seconds added before each chunk is forwarded, both ways (a slow link or server).
"""

from __future__ import annotations

import asyncio

from cache_support import FaultProxy


class TcpFaultProxy(FaultProxy):
    def __init__(self, host: str, port: int) -> None:
        super().__init__()
        self.host, self.target_port = host, port
        self.latency = 0.0

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while data := await source.read(65536):
            await self._flowing.wait()
            if self.latency:
                await asyncio.sleep(self.latency)
            sink.write(data)
            await sink.drain()
        sink.transport.abort()
