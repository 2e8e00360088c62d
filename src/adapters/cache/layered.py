"""LayeredCache: the Cache port over L1 in-process and L2 Redis or Dragonfly (production)."""

from __future__ import annotations

from adapters.cache.breaker import CircuitBreaker
from adapters.cache.codec import ValueCodec
from adapters.cache.invalidation import InvalidationListener
from adapters.cache.local_layer import LocalLayer
from adapters.cache.metrics import Counters
from adapters.cache.options import CacheOptions
from adapters.cache.redis import shared_layer
from adapters.cache.redis_layer import RedisClient
from adapters.cache.tiered import TieredCache
from application.ports.clock import Clock, MonotonicClock
from application.ports.crypto import FieldCipher


class LayeredCache(TieredCache):
    """L1 in front of L2. ``start()`` subscribes to the invalidation channel (until then, and
    whenever it is lost, L1 entries are short-lived: see CacheOptions.offline_ttl); ``close()``
    stops.
    The channel is pinged every ``ping_interval`` seconds and counts as lost when nothing came
    back ``timeout`` seconds after that."""

    def __init__(
        self,
        client: RedisClient,
        *,
        prefix: str,
        clock: Clock,
        monotonic: MonotonicClock,
        cipher: FieldCipher | None = None,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        compress_threshold: int = 1024,
        timeout: float = 1.0,
        breaker: CircuitBreaker | None = None,
        options: CacheOptions | None = None,
        ping_interval: float = 1.0,
    ) -> None:
        counters = Counters()
        shared = shared_layer(
            client, prefix=prefix, counters=counters, breaker=breaker or CircuitBreaker(monotonic)
        )
        super().__init__(
            local=LocalLayer(max_entries=max_entries, max_bytes=max_bytes, counters=counters),
            shared=shared,
            codec=ValueCodec(cipher=cipher, compress_threshold=compress_threshold),
            clock=clock,
            monotonic=monotonic,
            counters=counters,
            options=options or CacheOptions(),
        )
        self.listener = InvalidationListener(
            client,
            shared.layer.channel,
            origin=shared.origin,
            apply=self.forget,
            online=self._online,
            ping_interval=ping_interval,
            timeout=timeout,
        )

    def start(self) -> None:
        self.listener.start()

    async def close(self) -> None:
        await self.listener.close()
        await super().close()

    def _online(self, up: bool) -> None:
        self.drop_local()  # either way, what L1 holds may predate an invalidation it missed
        self.offline = not up
