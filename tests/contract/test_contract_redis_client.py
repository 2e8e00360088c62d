"""The shared Redis client tries a call once: a frozen Redis costs one timeout, not several."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import RedisError

from adapters.redis.client import RedisOptions, create_redis


async def test_a_frozen_redis_is_asked_once() -> None:
    connections = 0

    async def frozen(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.read()  # never answers; returns when the client gives up

    server = await asyncio.start_server(frozen, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = create_redis(
        RedisOptions(host="127.0.0.1", port=port, db=0, password="", socket_timeout_seconds=0.2)
    )
    try:
        with pytest.raises((RedisError, TimeoutError, OSError)):
            await client.ping()
        assert connections == 1
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
