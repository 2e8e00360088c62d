"""Cache-server providers: the shared client (one Redis or Dragonfly, or a Redis Cluster when
CACHE_CLUSTER=true) and its health probe; the cache issue adds the layered cache on top."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

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
