"""The production profile on a real three-node Redis Cluster (CACHE_CLUSTER=true, one seed node)
and the local PostgreSQL: cached reads go through L2 from one app instance to another and a
write on one reaches the other, a rate limit is shared by both, and a one-time code asked on
one is verified on the other. Skipped where redis-server/redis-cli are not installed."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from dishka import Provider, Scope, provide
from redis.asyncio import Redis
from redis_cluster import RedisClusterNodes, running_cluster

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "http"))
from http_api import Api, another_app, assert_error, operator_header, production_database

from adapters.cache.layered import LayeredCache
from adapters.cache.redis import cache_cluster_client
from adapters.redis.otp_store import RedisOtpStore
from adapters.redis.window_limiter import RedisWindowLimiter
from application.ports.cache import Cache, CachePolicy
from application.ports.messaging import Outbox
from application.ports.otp import RateLimit
from cache_support import ManualTime, Source, wait_until
from domain.messaging import OutboundMessage

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
DEADLINE = 10.0
OPERATOR = "ops@example.com"


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterNodes]:
    with running_cluster() as nodes:
        yield nodes


def on_cluster(cluster: RedisClusterNodes, **extra: str) -> dict[str, str]:
    return {**cluster.settings(), "CACHE_KEY_PREFIX": f"c{uuid.uuid4().hex[:12]}", **extra}


async def test_cached_reads_go_through_l2_and_writes_reach_the_other_app(
    tmp_path: Path, cluster: RedisClusterNodes
) -> None:
    async with (
        production_database(tmp_path, **on_cluster(cluster, RATE_LIMIT_ENABLED="false")) as settings,
        AsyncExitStack() as stack,
    ):
        admin = await stack.enter_async_context(operator_header(settings, OPERATOR))
        first = await stack.enter_async_context(another_app(settings))
        second = await stack.enter_async_context(another_app(settings))
        created = await first.client.post(
            "/api/v1/clinics", json={"name": "Before", "timeZone": "UTC"}, headers=admin
        )
        assert created.status_code == 201, created.text
        clinic = created.json()["id"]
        assert await _name(first, clinic, admin) == "Before"  # loaded once, stored in L2
        caches = [await app.container.get(Cache) for app in (first, second)]
        await wait_until(lambda: all(c.listener.connected for c in caches), what="both apps subscribed")

        before = caches[1].stats().l2_hits
        assert await _name(second, clinic, admin) == "Before"
        assert caches[1].stats().l2_hits > before, "the second app should have read the first one's entry"

        renamed = await first.client.patch(f"/api/v1/clinics/{clinic}", json={"name": "After"}, headers=admin)
        assert renamed.status_code == 200, renamed.text
        await _eventually(lambda: _name(second, clinic, admin), "After")

        holding = [port for port in cluster.ports if await _keys_on(cluster.host, port) > 0]
        assert len(holding) >= 2, "keys should spread over the cluster's nodes"


async def test_a_rate_limit_is_shared_by_both_apps(tmp_path: Path, cluster: RedisClusterNodes) -> None:
    extra = on_cluster(cluster, RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE="3")
    async with production_database(tmp_path, **extra) as settings, AsyncExitStack() as stack:
        first = await stack.enter_async_context(another_app(settings))
        second = await stack.enter_async_context(another_app(settings))
        for app in (first, second, first):
            answered = await app.client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
            assert answered.status_code == 401, answered.text
        # Each app alone has seen fewer than three: only a counter they share refuses this one.
        refused = await second.client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
        assert_error(refused, 429, "RATE_LIMITED")


async def test_a_code_asked_on_one_app_signs_in_on_the_other(
    tmp_path: Path, cluster: RedisClusterNodes
) -> None:
    outbox = RecordingOutbox()
    async with production_database(tmp_path, **on_cluster(cluster)) as settings, AsyncExitStack() as stack:
        await stack.enter_async_context(operator_header(settings, OPERATOR))
        first = await stack.enter_async_context(another_app(settings, Recording(outbox)))
        second = await stack.enter_async_context(another_app(settings, Recording(outbox)))
        asked = await first.client.post(
            "/api/v1/auth/request-otp", json={"email": OPERATOR, "deliveryMethod": "email"}
        )
        assert asked.status_code == 202, asked.text
        [message] = outbox.sent
        code = message.parameters["code"]
        signed_in = await second.client.post(
            "/api/v1/auth/verify-otp", json={"email": OPERATOR, "code": code}
        )
        assert signed_in.status_code == 200, signed_in.text
        bearer = {"Authorization": f"Bearer {signed_in.json()['accessToken']}"}
        assert (await first.client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
        again = await first.client.post("/api/v1/auth/verify-otp", json={"email": OPERATOR, "code": code})
        assert_error(again, 401, "OTP_INVALID")  # used once, on another app


async def test_the_cache_otp_store_and_limiter_adapters_on_the_cluster(cluster: RedisClusterNodes) -> None:
    """Below the app: two layered caches (two processes' worth), the OTP store's scripts and
    the limiter, on cluster clients as the providers build them."""
    prefix = f"c{uuid.uuid4().hex[:12]}"
    time = ManualTime()
    clients = [
        cache_cluster_client(
            host=cluster.host, port=cluster.seed, password="", timeout=2.0, max_connections=64
        )
        for _ in range(2)
    ]
    caches = [LayeredCache(c, prefix=prefix, clock=time, monotonic=time, timeout=2.0) for c in clients]
    try:
        for cache in caches:
            cache.start()
        await wait_until(lambda: all(c.listener.connected for c in caches), what="both subscribed")
        one, other = caches
        policy = CachePolicy(ttl=600, tags=("clinic:a", "doctor:b"))
        source = Source(Note("first"))
        source.gate = asyncio.Event()
        # Concurrent misses in both processes: one loads, the other waits on the loader lock
        # (an entry and its lock share a slot, so the waiter released finds the entry).
        readers = [
            asyncio.create_task(cache.get_or_load(f"note:{n}", source, policy, returns=Note))
            for cache in caches
            for n in ("x",)
        ]
        await wait_until(lambda: source.calls == 1, what="one loader running")
        source.gate.set()
        assert await asyncio.gather(*readers) == [Note("first"), Note("first")]
        assert source.calls == 1 and other.stats().l2_hits + one.stats().l2_hits >= 1

        source.value = Note("second")
        await one.invalidate_tags("doctor:b")  # the other's L1 hears it on the cluster's channel
        # Until it hears, the other serves "first" from its L1; the L2 entry is stale already.
        await _eventually(lambda: other.get("note:x", returns=Note), None)
        assert await other.get_or_load("note:x", source, policy, returns=Note) == Note("second")

        otp = RedisOtpStore(clients[0], prefix=f"{prefix}:otp")
        now = time.now()
        assert await otp.lock("someone", now, now + timedelta(minutes=5))
        assert not await otp.lock("someone", now, now + timedelta(minutes=5))
        assert await otp.locked_until("someone", now) == (now + timedelta(minutes=5)).replace(microsecond=0)
        assert await otp.guess("nobody", now) is None

        limiter = RedisWindowLimiter(clients[0], prefix=f"{prefix}:rl")
        decisions = [await limiter.hit("caller", RateLimit(2, 60)) for _ in range(3)]
        assert [d.allowed for d in decisions] == [True, True, False]
        # A request's limits live in different slots: one call each on a cluster, same answers.
        several = await limiter.hit_all([("ip", RateLimit(5, 60)), ("caller", RateLimit(2, 60))])
        assert [(d.allowed, d.remaining) for d in several] == [(True, 4), (False, 0)]
    finally:
        for cache in caches:
            await cache.close()
        for client in clients:
            await client.aclose()


@dataclass(frozen=True)
class Note:
    text: str


class RecordingOutbox(Outbox):
    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    async def add(self, message: OutboundMessage) -> None:
        self.sent.append(message)


class Recording(Provider):
    def __init__(self, outbox: RecordingOutbox) -> None:
        super().__init__()
        self.outbox = outbox

    @provide(scope=Scope.REQUEST)
    def outbox_port(self) -> Outbox:
        return self.outbox


async def _name(api: Api, clinic: str, headers: dict[str, str]) -> str:
    response = await api.client.get(f"/api/v1/clinics/{clinic}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["name"])


async def _eventually(read, expected: object) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + DEADLINE
    while (seen := await read()) != expected:
        if loop.time() > give_up:
            pytest.fail(f"still {seen!r} after {DEADLINE}s, expected {expected!r}")
        await asyncio.sleep(0.01)  # an L1 hit never yields: let the listener run


async def _keys_on(host: str, port: int) -> int:
    node = Redis(host=host, port=port, socket_timeout=2)
    try:
        return int(await node.dbsize())
    finally:
        await node.aclose()
