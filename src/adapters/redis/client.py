"""The shared asyncio Redis client (redis-py with the hiredis parser), one pool per process: a
single server (Redis, Dragonfly) or, with ``cluster``, a Redis Cluster found from one seed node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

# Every Redis user takes either: keys that a script or transaction touches together share a hash
# tag, so they work on one server and on a cluster alike.
RedisClient: TypeAlias = Redis | RedisCluster


@dataclass(frozen=True, slots=True, kw_only=True)
class RedisOptions:
    host: str
    port: int
    db: int
    password: str
    socket_timeout_seconds: float
    cluster: bool = False


def create_redis(options: RedisOptions) -> RedisClient:
    # redis-py retries a timed-out call by default, so one call to a frozen Redis would stall
    # for several timeouts: fail after one, and let the caller fail closed or fall back.
    no_retry = Retry(NoBackoff(), 0)
    if options.cluster:
        return cluster_client(options, retry=no_retry)
    return Redis(
        host=options.host,
        port=options.port,
        db=options.db,
        password=options.password or None,
        socket_timeout=options.socket_timeout_seconds,
        socket_connect_timeout=options.socket_timeout_seconds,
        health_check_interval=30,
        retry=no_retry,
    )


def cluster_client(options: RedisOptions, *, retry: Retry, max_connections: int = 100) -> RedisCluster:
    """A cluster client seeded with one node (it learns the others). A cluster has database 0
    only. ``retry`` also bounds the cluster's own retries: a moved slot is still followed (that
    is a redirection, not a retry), a dead node is not waited for."""
    if options.db:
        raise ValueError("a Redis Cluster has database 0 only: set CACHE_DB=0 with CACHE_CLUSTER=true")
    return RedisCluster(
        host=options.host,
        port=options.port,
        password=options.password or None,
        socket_timeout=options.socket_timeout_seconds,
        socket_connect_timeout=options.socket_timeout_seconds,
        socket_keepalive=True,
        health_check_interval=30,
        max_connections=max_connections,
        retry=retry,
    )
