"""Cache-server providers (the cache issue adds the layered cache on top of this client)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis

from adapters.redis.client import RedisOptions, create_redis
from adapters.redis.health import RedisProbe
from entrypoints.config import Settings


class RedisProvider(Provider):
    scope = Scope.APP

    @provide
    async def client(self, settings: Settings) -> AsyncIterator[Redis]:
        cache = settings.cache
        client = create_redis(
            RedisOptions(
                host=cache.host,
                port=cache.port,
                db=cache.db,
                password=cache.password,
                socket_timeout_seconds=cache.socket_timeout_seconds,
            )
        )
        yield client
        await client.aclose()

    probe = provide(RedisProbe)
