"""HealthProbe over Redis or a Redis Cluster: PING (on a cluster, its default node)."""

from __future__ import annotations

from adapters.redis.client import RedisClient
from application.ports.health import HealthProbe


class RedisProbe(HealthProbe):
    name = "cache"

    def __init__(self, client: RedisClient) -> None:
        self._client = client

    async def check(self) -> None:
        await self._client.ping()
