"""The shared asyncio Redis client (redis-py with the hiredis parser), one pool per process."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


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
        # redis-py retries a timed-out call by default, so one call to a frozen Redis would stall
        # for several timeouts: fail after one, and let the caller fail closed or fall back.
        retry=Retry(NoBackoff(), 0),
    )
