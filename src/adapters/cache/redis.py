"""RedisCache: the Cache port over Redis or Dragonfly alone; ``shared_layer`` builds that layer."""

from __future__ import annotations

import os
import secrets
import socket

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as BrokenConnection

from adapters.cache.breaker import CircuitBreaker
from adapters.cache.codec import ValueCodec
from adapters.cache.guarded import GuardedLayer
from adapters.cache.metrics import Counters
from adapters.cache.options import CacheOptions
from adapters.cache.redis_layer import RedisClient, RedisLayer
from adapters.cache.tiered import TieredCache
from application.ports.clock import Clock, MonotonicClock
from application.ports.crypto import FieldCipher


def cache_client(
    *, host: str, port: int, db: int, password: str, timeout: float, max_connections: int
) -> Redis:
    """A client of its own for the cache (hiredis parser): a bounded pool whose wait, connect and
    read are each bounded by ``timeout``. One retry, on a broken connection only (a pooled
    connection the server closed since); never on a timeout: redis-py's default retries would
    turn one call to a frozen server into minutes, and the circuit breaker decides when to try
    again."""
    pool = BlockingConnectionPool(
        host=host,
        port=port,
        db=db,
        password=password or None,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        socket_keepalive=True,
        max_connections=max_connections,
        timeout=timeout,
        retry=Retry(NoBackoff(), 1, supported_errors=(BrokenConnection,)),
    )
    return Redis.from_pool(pool)


def cache_cluster_client(
    *, host: str, port: int, password: str, timeout: float, max_connections: int
) -> RedisCluster:
    """The same for a Redis Cluster seeded by ``host:port``: ``max_connections`` per node (a call
    past them fails at once, counted as a cache error, rather than waiting), and no retry at all
    (a cluster client retries timeouts too); a failed call makes the next one refresh the
    cluster's map of slots."""
    return RedisCluster(
        host=host,
        port=port,
        password=password or None,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        socket_keepalive=True,
        max_connections=max_connections,
        retry=Retry(NoBackoff(), 0),
    )


def instance_id() -> str:
    """Names this process among those sharing the cache server (host, pid, random)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def shared_layer(
    client: RedisClient,
    *,
    prefix: str,
    counters: Counters,
    breaker: CircuitBreaker,
    origin: str | None = None,
) -> GuardedLayer:
    layer = RedisLayer(client, prefix=prefix)
    return GuardedLayer(layer, breaker, counters, origin=origin or instance_id())


class RedisCache(TieredCache):
    """Without an in-process layer: every lookup is a round trip, ``restricted`` values are not
    kept at all, and ``sensitive`` ones only with a ``cipher``."""

    def __init__(
        self,
        client: RedisClient,
        *,
        prefix: str,
        clock: Clock,
        monotonic: MonotonicClock,
        cipher: FieldCipher | None = None,
        compress_threshold: int = 1024,
        breaker: CircuitBreaker | None = None,
        options: CacheOptions | None = None,
    ) -> None:
        counters = Counters()
        guard = breaker or CircuitBreaker(monotonic)
        super().__init__(
            local=None,
            shared=shared_layer(client, prefix=prefix, counters=counters, breaker=guard),
            codec=ValueCodec(cipher=cipher, compress_threshold=compress_threshold),
            clock=clock,
            monotonic=monotonic,
            counters=counters,
            options=options or CacheOptions(),
        )
