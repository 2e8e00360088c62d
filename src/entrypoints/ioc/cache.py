"""Cache-server providers: the shared client (one Redis or Dragonfly, or a Redis Cluster when
CACHE_CLUSTER=true), its health probe, and the server's circuit breaker: one per process, shared
by every user of the server (the L2 cache, the rate limiter, the sign-in code store), so a
timeout any of them sees spares the others the same wait."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from adapters.cache.breaker import CircuitBreaker
from adapters.cache.clock import SystemMonotonicClock
from adapters.redis.client import RedisClient, RedisOptions, create_redis
from adapters.redis.health import RedisProbe
from entrypoints.config import Settings


def redis_options(settings: Settings) -> RedisOptions:
    cache = settings.cache
    return RedisOptions(
        host=cache.host,
        port=cache.port,
        db=cache.db,
        password=cache.password,
        socket_timeout_seconds=cache.socket_timeout_seconds,
        cluster=cache.cluster,
    )


class RedisProvider(Provider):
    scope = Scope.APP

    @provide
    async def client(self, settings: Settings) -> AsyncIterator[RedisClient]:
        client = create_redis(redis_options(settings))
        yield client
        await client.aclose()

    probe = provide(RedisProbe)

    @provide
    def breaker(self, settings: Settings) -> CircuitBreaker:
        cache = settings.cache
        return CircuitBreaker(
            SystemMonotonicClock(),
            failures=cache.breaker_failures,
            window=cache.breaker_window_seconds,
            reset_after=cache.breaker_reset_seconds,
        )
