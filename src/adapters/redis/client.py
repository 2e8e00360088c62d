"""The shared asyncio Redis client (redis-py with the hiredis parser), one pool per process."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True, kw_only=True)
class RedisOptions:
    host: str
    port: int
    db: int
    password: str
    socket_timeout_seconds: float


def create_redis(options: RedisOptions) -> Redis:
    return Redis(
        host=options.host,
        port=options.port,
        db=options.db,
        password=options.password or None,
        socket_timeout=options.socket_timeout_seconds,
        socket_connect_timeout=options.socket_timeout_seconds,
        health_check_interval=30,
    )
