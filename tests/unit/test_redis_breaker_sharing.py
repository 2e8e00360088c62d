"""One circuit breaker per Redis server, shared by its users: when one of them waits out a socket
timeout, the others skip Redis at once instead of each waiting out its own (issue #8, section 5).

The server here is a real TCP endpoint that accepts connections and never answers (what a frozen
Redis looks like to a client); it records every byte it receives, so "skipped" means: nothing
was sent to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from adapters.cache.breaker import BreakerState, CircuitBreaker
from adapters.cache.redis import RedisCache, cache_client
from adapters.ratelimit.limits_limiter import LimitsRateLimiter
from adapters.redis.client import RedisOptions, create_redis
from adapters.redis.guard import GuardedRateLimiter
from adapters.redis.otp_store import RedisOtpStore
from adapters.redis.window_limiter import RedisWindowLimiter
from application.ports.cache import CachePolicy
from application.ports.otp import RateDecision, RateLimit
from cache_support import ManualTime, Source
from domain.errors import ServiceUnavailable
from entrypoints.http.rate_limits import RequestThrottle, RouteLimits

TIMEOUT = 0.2
LIMIT = RateLimit(2, 60)
POLICY = CachePolicy(ttl=60, stale_time=30, tags=("clinic:a",))


class FrozenEndpoint:
    """Accepts connections, reads what clients send, never answers."""

    def __init__(self) -> None:
        self.received = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._held: set[asyncio.StreamWriter] = set()

    async def start(self) -> FrozenEndpoint:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._held.add(writer)
        while data := await reader.read(65536):
            self.received += len(data)

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._held:
            writer.transport.abort()
        await self._server.wait_closed()


@pytest.fixture
async def frozen() -> AsyncIterator[FrozenEndpoint]:
    endpoint = await FrozenEndpoint().start()
    yield endpoint
    await endpoint.close()


class Users:
    """The three users of one Redis in a process, as the production profile wires them: the L2
    cache on its own client, the request throttle's limiter and the sign-in code store on the
    shared one, all behind ``breaker``."""

    def __init__(self, port: int, breaker: CircuitBreaker, time: ManualTime) -> None:
        self.cache_client = cache_client(
            host="127.0.0.1", port=port, db=0, password="", timeout=TIMEOUT, max_connections=4
        )
        self.cache = RedisCache(
            self.cache_client, prefix="shared", clock=time, monotonic=time, breaker=breaker
        )
        options = RedisOptions(host="127.0.0.1", port=port, db=0, password="", socket_timeout_seconds=TIMEOUT)
        self.otp_client = create_redis(options)  # the shared client: the limiter's and the codes'
        self.limiter = RedisWindowLimiter(self.otp_client, prefix="rl")
        self.throttle = RequestThrottle(
            GuardedRateLimiter(self.limiter, breaker),
            LimitsRateLimiter.in_memory(),
            tokens=None,  # type: ignore[arg-type]  # not reached by _hit
            limits=RouteLimits(per_ip=LIMIT, per_user=LIMIT, per_clinic=LIMIT, auth_per_ip=LIMIT),
            enabled=True,
        )
        self.otp = RedisOtpStore(self.otp_client, prefix="otp", breaker=breaker)

    async def close(self) -> None:
        await self.cache.close()
        await self.cache_client.aclose()
        await self.otp_client.aclose()


@pytest.fixture
async def users(frozen: FrozenEndpoint) -> AsyncIterator[tuple[Users, CircuitBreaker, ManualTime]]:
    time = ManualTime()
    breaker = CircuitBreaker(time, failures=5, window=10, reset_after=5)
    built = Users(frozen.port, breaker, time)
    yield built, breaker, time
    await built.close()


async def test_a_timeout_seen_by_the_limiter_makes_the_cache_and_otp_store_skip_redis(
    frozen: FrozenEndpoint, users: tuple[Users, CircuitBreaker, ManualTime]
) -> None:
    built, breaker, _ = users
    assert (await _one(built.throttle, "ip:1", LIMIT)).allowed  # counted in this process instead
    assert breaker.state is BreakerState.OPEN and breaker.opened == 1  # one timeout, not five
    sent = frozen.received
    assert sent > 0  # the limiter did ask the frozen server

    source = Source("value")
    assert await built.cache.get_or_load("k", source, POLICY, returns=str) == "value"
    with pytest.raises(ServiceUnavailable) as refused:
        await built.otp.guess("i" * 64, datetime(2026, 3, 1, tzinfo=UTC))
    assert "circuit open" in str(refused.value.context)  # sign-in fails closed, and at once
    assert (await _one(built.throttle, "ip:1", LIMIT)).allowed
    assert not (await _one(built.throttle, "ip:1", LIMIT)).allowed  # the limit still holds

    assert frozen.received == sent  # nobody else sent the frozen server a byte
    assert built.cache.stats().l2_errors == 0 and source.calls == 1


async def test_a_timeout_seen_by_the_cache_makes_the_limiter_skip_redis_until_the_probe(
    frozen: FrozenEndpoint, users: tuple[Users, CircuitBreaker, ManualTime]
) -> None:
    built, breaker, time = users
    assert await built.cache.get_or_load("k", Source("value"), POLICY, returns=str) == "value"
    assert built.cache.stats().l2_errors == 1 and breaker.state is BreakerState.OPEN
    sent = frozen.received
    for _ in range(3):
        await _one(built.throttle, "ip:1", LIMIT)
    assert frozen.received == sent

    time.advance(5)  # the probe interval passed: one caller (this one) probes and waits
    await _one(built.throttle, "ip:1", LIMIT)
    assert frozen.received > sent and breaker.state is BreakerState.OPEN and breaker.opened == 2


async def _one(throttle: RequestThrottle, key: str, limit: RateLimit) -> RateDecision:
    [decision] = await throttle._hit_all([(key, limit)])
    return decision
