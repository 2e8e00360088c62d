"""HealthProbe over Redis: PING."""

from __future__ import annotations

from redis.asyncio import Redis

from application.ports.health import HealthProbe


class RedisProbe(HealthProbe):
    name = "cache"

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def check(self) -> None:
        await self._client.ping()
