"""OtpStore: one contract on memory, SQLite, PostgreSQL and Redis, run concurrently where it counts."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from adapters.memory.otp_store import InMemoryOtpStore
from adapters.redis.otp_store import RedisOtpStore
from adapters.sql.engine import session_factory
from adapters.sql.migrate import migrate
from adapters.sql.otp_store import SqlOtpStore
from application.ports.otp import OtpStore
from conftest import SQL_BACKENDS, _open_engine, app_role_of
from domain.otp import MAX_GUESSES, OtpChallenge

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", *SQL_BACKENDS, pytest.param("redis", marks=pytest.mark.redis)])
async def store(request, tmp_path) -> AsyncIterator[OtpStore]:
    if request.param == "memory":
        yield InMemoryOtpStore()
    elif request.param == "redis":
        client = Redis.from_url(
            os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"), socket_timeout=2
        )
        try:
            await client.ping()
        except Exception as exc:
            await client.aclose()
            if os.environ.get("CI") == "true":
                pytest.fail(f"Redis is required under CI: {exc}")
            pytest.skip(f"Redis unreachable: {exc}")
        prefix = f"test-otp-{uuid.uuid4().hex}"
        try:
            yield RedisOtpStore(client, prefix=prefix)
        finally:
            keys = [key async for key in client.scan_iter(f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
    else:
        async with _open_engine(request.param, tmp_path) as engine:
            role = app_role_of(engine)
            await migrate(engine, app_role=role)
            yield SqlOtpStore(session_factory(engine, app_role=role))


def challenge(identity: str = "i" * 64, *, expires_in: timedelta = timedelta(minutes=5)) -> OtpChallenge:
    return OtpChallenge(
        id=uuid.uuid4(), identity_hash=identity, code_hash="c" * 64, expires_at=NOW + expires_in
    )


async def test_guesses_are_counted_up_to_the_limit_then_nothing(store: OtpStore) -> None:
    pending = challenge()
    await store.put(pending)
    seen = [await store.guess(pending.identity_hash, NOW) for _ in range(MAX_GUESSES + 2)]
    assert [g.attempts for g in seen if g] == list(range(1, MAX_GUESSES + 1))
    assert seen[-1] is None and seen[0].challenge_id == pending.id and seen[0].code_hash == "c" * 64


async def test_concurrent_guesses_never_exceed_the_limit(store: OtpStore) -> None:
    pending = challenge()
    await store.put(pending)
    results = await asyncio.gather(*(store.guess(pending.identity_hash, NOW) for _ in range(40)))
    assert sorted(g.attempts for g in results if g) == list(range(1, MAX_GUESSES + 1))


async def test_expired_or_unknown_codes_count_nothing(store: OtpStore) -> None:
    pending = challenge(expires_in=timedelta(seconds=1))
    await store.put(pending)
    assert await store.guess(pending.identity_hash, NOW + timedelta(seconds=2)) is None
    assert await store.guess("x" * 64, NOW) is None


async def test_a_code_is_consumed_exactly_once_and_a_new_one_replaces_it(store: OtpStore) -> None:
    first = challenge()
    await store.put(first)
    wins = await asyncio.gather(*(store.consume(first.identity_hash, first.id) for _ in range(20)))
    assert wins.count(True) == 1
    assert await store.guess(first.identity_hash, NOW) is None  # used codes take no guesses
    second = challenge()
    await store.put(second)
    assert (await store.guess(second.identity_hash, NOW)).challenge_id == second.id
    assert await store.consume(second.identity_hash, first.id) is False


async def test_a_lock_is_taken_once_and_ends(store: OtpStore) -> None:
    identity = "l" * 64
    until = NOW + timedelta(minutes=15)
    results = await asyncio.gather(*(store.lock(identity, NOW, until) for _ in range(10)))
    assert results.count(True) == 1
    assert await store.locked_until(identity, NOW) == until
    assert await store.locked_until(identity, until) is None
    assert await store.lock(identity, until, until + timedelta(minutes=15)) is True


async def test_redis_unreachable_fails_closed() -> None:
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from domain.errors import ServiceUnavailable

    client = Redis(
        host="127.0.0.1", port=1, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    store = RedisOtpStore(client, prefix="unreachable")
    try:
        for operation in (
            store.put(challenge()),
            store.guess("i" * 64, NOW),
            store.consume("i" * 64, uuid.uuid4()),
            store.lock("i" * 64, NOW, NOW),
            store.locked_until("i" * 64, NOW),
        ):
            with pytest.raises(ServiceUnavailable):
                await operation
    finally:
        await client.aclose()
