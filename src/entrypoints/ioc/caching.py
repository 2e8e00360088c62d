"""Cache providers: L1 alone (memory, embedded), L1 + L2 Redis or Dragonfly (production), and
what every profile shares (the use cases' QueryCache, the invalidator after commit)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from dishka import AsyncContainer, Provider, Scope, provide

from adapters.cache.breaker import CircuitBreaker
from adapters.cache.clock import SystemMonotonicClock
from adapters.cache.layered import LayeredCache
from adapters.cache.local import MemoryCache
from adapters.cache.options import CacheOptions
from adapters.cache.redis import cache_client, cache_cluster_client, instance_id
from adapters.cache.stats_boards import FileStatsBoard, RedisStatsBoard, StatsBoard, StatsPublisher
from adapters.cache.tiered import TieredCache
from adapters.redis.client import RedisClient
from application.caching import CacheInvalidator, NoCache, QueryCache
from application.ports.cache import Cache, DetachedReads
from application.ports.clock import Clock
from application.ports.crypto import FieldCipher
from application.ports.tenancy import TenantScope
from entrypoints.config import Settings
from entrypoints.config.sections import CacheProvider, Profile

T = TypeVar("T")
Owner = TypeVar("Owner")
logger = logging.getLogger(__name__)
# Several processes without a cache server cannot tell each other about writes: their entries
# live this long at most.
UNSHARED_MAX_TTL = 5.0


def options_of(settings: Settings, *, shared: bool) -> CacheOptions:
    unshared_workers = not shared and settings.app.workers > 1
    return CacheOptions(
        lock_wait_seconds=settings.cache.lock_wait_ms / 1000,
        max_ttl=UNSHARED_MAX_TTL if unshared_workers else None,
    )


def client_of(settings: Settings) -> RedisClient:
    cache = settings.cache
    if cache.cluster:
        return cache_cluster_client(
            host=cache.host,
            port=cache.port,
            password=cache.password,
            timeout=cache.socket_timeout_seconds,
            max_connections=cache.max_connections,
        )
    return cache_client(
        host=cache.host,
        port=cache.port,
        db=cache.db,
        password=cache.password,
        timeout=cache.socket_timeout_seconds,
        max_connections=cache.max_connections,
    )


def board_of(settings: Settings, client: RedisClient | None) -> StatsBoard | None:
    """Where processes publish their counters: the cache server, a directory of the embedded
    profile, or nowhere (the memory profile keeps nothing beyond its process)."""
    if client is not None:
        return RedisStatsBoard(client, prefix=settings.cache.key_prefix)
    if settings.app.profile is Profile.EMBEDDED:
        return FileStatsBoard(Path(settings.app.data_dir) / "cache-stats")
    return None


def shares_cache_server(settings: Settings) -> bool:
    return settings.app.profile is Profile.PRODUCTION and settings.cache.provider is not CacheProvider.MEMORY


class ContainerReads(DetachedReads):
    """DetachedReads over the container: a request scope of its own, widened to every clinic."""

    def __init__(self, container: AsyncContainer) -> None:
        self._container = container

    async def run(self, owner: type[Owner], work: Callable[[Owner], Awaitable[T]]) -> T:
        async with self._container() as scope:
            await (await scope.get(TenantScope)).apply(user_id=None, clinic_ids=None)
            return await work(await scope.get(owner))


class LocalCacheProvider(Provider):
    """L1 alone: the memory and embedded profiles."""

    scope = Scope.APP

    @provide
    async def cache(self, settings: Settings, clock: Clock) -> AsyncIterator[Cache]:
        async for provided in _local(settings, clock):
            yield provided


class SharedCacheProvider(Provider):
    """L1 + L2 on Redis or Dragonfly (production); L1 alone with CACHE_PROVIDER=memory."""

    scope = Scope.APP

    @provide
    async def cache(
        self, settings: Settings, clock: Clock, cipher: FieldCipher, breaker: CircuitBreaker
    ) -> AsyncIterator[Cache]:
        # ``breaker``: the server's, shared with its other users (entrypoints/ioc/cache.py).
        if not settings.cache.enabled or not shares_cache_server(settings):
            async for provided in _local(settings, clock):
                yield provided
            return
        c, monotonic = settings.cache, SystemMonotonicClock()
        client = client_of(settings)
        cache = LayeredCache(
            client,
            prefix=c.key_prefix,
            clock=clock,
            monotonic=monotonic,
            cipher=cipher,
            max_entries=c.l1_max_entries,
            max_bytes=c.l1_max_bytes,
            compress_threshold=c.compress_threshold_bytes,
            timeout=c.socket_timeout_seconds,
            breaker=breaker,
            options=options_of(settings, shared=True),
        )
        cache.start()  # subscribes in the background: nothing waits for the server here
        try:
            async for provided in _published(cache, board_of(settings, client)):
                yield provided
        finally:
            await client.aclose()


class CachingProvider(Provider):
    """What every profile shares: the QueryCache of the use cases and the commit listener."""

    scope = Scope.APP

    @provide
    def query_cache(self, cache: Cache, container: AsyncContainer, settings: Settings) -> QueryCache:
        # Keyed hashes of key parts must agree across processes: derive their key from a setting.
        secret = hmac.new(settings.security.blind_index_key.encode(), b"cache keys", hashlib.sha256).digest()
        return QueryCache(cache, detached=ContainerReads(container), key_secret=secret)

    @provide
    def invalidator(self, cache: Cache) -> CacheInvalidator:
        return CacheInvalidator(cache)


async def _local(settings: Settings, clock: Clock) -> AsyncIterator[Cache]:
    if not settings.cache.enabled:
        yield NoCache()
        return
    if settings.app.workers > 1:
        logger.warning("No cache server: with several workers, entries live %ss at most", UNSHARED_MAX_TTL)
    cache = MemoryCache(
        clock=clock,
        monotonic=SystemMonotonicClock(),
        max_entries=settings.cache.l1_max_entries,
        max_bytes=settings.cache.l1_max_bytes,
        options=options_of(settings, shared=False),
    )
    async for provided in _published(cache, board_of(settings, None)):
        yield provided


async def _published(cache: TieredCache, board: StatsBoard | None) -> AsyncIterator[Cache]:
    publisher = StatsPublisher(cache, board, instance=instance_id()) if board is not None else None
    if publisher is not None:
        publisher.start()
    try:
        yield cache
    finally:
        if publisher is not None:
            await publisher.close()
        await cache.close()
