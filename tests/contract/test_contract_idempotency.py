"""Idempotency keys: one contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from system_sessions import system_sessions

from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.memory.idempotency import InMemoryIdempotencyStore
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.idempotency import SqlIdempotencyStore
from adapters.sql.uow import SqlUnitOfWork
from application.ports.idempotency import IdempotentRequest, StoredResponse, checked_key
from application.ports.uow import UnitOfWork
from conftest import ALL_BACKENDS, Build
from domain.errors import IdempotencyKeyReused, TransientFailure, ValidationFailed

CIPHER = AesGcmFieldCipher("t1", {"t1": bytes(range(32))})
Parts = tuple[UnitOfWork, Any, Any]


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], Parts]]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory() -> Parts:
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryIdempotencyStore(uow), None

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql() -> Parts:
            session = new_session()
            return SqlUnitOfWork(session), SqlIdempotencyStore(session, CIPHER), session

        yield sql


def _request(build: Build, **changes: Any) -> IdempotentRequest:
    fields: dict[str, Any] = {
        "clinic_id": build.id(),
        "scope": f"prescriptions.issue:{build.id()}",
        "key": "retry-me-1",
        "request_hash": "a" * 64,
    }
    return IdempotentRequest(**(fields | changes))


CREATED = StoredResponse(status="created", body=b'{"medication":"Amoxicillin"}')


async def _claim(parts: Callable[[], Parts], request: IdempotentRequest, build: Build) -> None:
    uow, store, _ = parts()
    assert await store.reserve(request, now=build.now()) is None
    await store.remember(request, CREATED)
    await uow.commit()


async def test_a_committed_key_replays_the_first_response(parts, build: Build) -> None:
    request = _request(build)
    await _claim(parts, request, build)
    _, store, _ = parts()
    assert await store.reserve(request, now=build.now()) == CREATED


async def test_the_same_key_with_another_request_is_refused(parts, build: Build) -> None:
    request = _request(build)
    await _claim(parts, request, build)
    _, store, _ = parts()
    with pytest.raises(IdempotencyKeyReused):
        await store.reserve(
            _request(build, clinic_id=request.clinic_id, scope=request.scope, request_hash="b" * 64),
            now=build.now(),
        )


async def test_keys_are_per_clinic_and_per_scope(parts, build: Build) -> None:
    request = _request(build)
    await _claim(parts, request, build)
    _, store, _ = parts()
    other_clinic = _request(build, scope=request.scope, request_hash="b" * 64)
    other_caller = _request(build, clinic_id=request.clinic_id, request_hash="b" * 64)
    assert await store.reserve(other_clinic, now=build.now()) is None
    assert await store.reserve(other_caller, now=build.now()) is None


async def test_a_rolled_back_reservation_leaves_the_key_free(parts, build: Build) -> None:
    request = _request(build)
    uow, store, _ = parts()
    assert await store.reserve(request, now=build.now()) is None
    await uow.rollback()
    _, store, _ = parts()
    assert (
        await store.reserve(
            _request(build, clinic_id=request.clinic_id, scope=request.scope, request_hash="b" * 64),
            now=build.now(),
        )
        is None
    )


async def test_an_expired_key_is_free_again(parts, build: Build) -> None:
    request = _request(build)
    start = build.now()
    uow, store, _ = parts()
    assert await store.reserve(request, now=start, ttl=timedelta(hours=24)) is None
    await store.remember(request, CREATED)
    await uow.commit()
    _, store, _ = parts()
    assert await store.reserve(request, now=start + timedelta(hours=23, minutes=59)) == CREATED
    later = start + timedelta(hours=24)
    uow, store, _ = parts()
    changed = _request(build, clinic_id=request.clinic_id, scope=request.scope, request_hash="b" * 64)
    assert await store.reserve(changed, now=later) is None
    again = StoredResponse(status="created", body=b"second")
    await store.remember(changed, again)
    await uow.commit()
    _, store, _ = parts()
    assert await store.reserve(changed, now=later) == again


async def test_two_concurrent_reservations_have_one_winner(parts, build: Build) -> None:
    request = _request(build)
    now = build.now()
    first_uow, first, _ = parts()
    second_uow, second, _ = parts()
    assert await first.reserve(request, now=now) is None

    async def contender() -> StoredResponse | None:
        # PostgreSQL makes this insert wait for the winner, SQLite's single writer refuses it,
        # the memory store may already see the winner: the contender replays or must re-run.
        replay = await second.reserve(request, now=now)
        if replay is None:
            await second.remember(request, StoredResponse(status="created", body=b"duplicate"))
            await second_uow.commit()
        return replay

    task = asyncio.create_task(contender())
    await first.remember(request, CREATED)
    await first_uow.commit()
    try:
        assert await asyncio.wait_for(task, timeout=30) == CREATED
    except TransientFailure:
        await second_uow.rollback()
    _, rerun, _ = parts()
    assert await rerun.reserve(request, now=now) == CREATED


async def test_a_unit_that_reserved_first_but_commits_second_must_rerun(parts, build: Build) -> None:
    _, _, session = parts()
    if session is not None:
        pytest.skip("on SQL the second reservation cannot interleave (see the test above)")
    request = _request(build)
    now = build.now()
    first_uow, first, _ = parts()
    second_uow, second, _ = parts()
    assert await first.reserve(request, now=now) is None
    assert await second.reserve(request, now=now) is None
    await second.remember(request, CREATED)
    await second_uow.commit()
    await first.remember(request, StoredResponse(status="created", body=b"duplicate"))
    with pytest.raises(TransientFailure):
        await first_uow.commit()
    _, rerun, _ = parts()
    assert await rerun.reserve(request, now=now) == CREATED


async def test_responses_are_sealed_at_rest(parts, build: Build) -> None:
    request = _request(build)
    await _claim(parts, request, build)
    _, _, session = parts()
    if session is None:
        pytest.skip("the memory store holds no bytes at rest")
    raw = (await session.execute(text("SELECT response_sealed FROM idempotency_keys"))).scalar_one()
    assert b"Amoxicillin" not in bytes(raw)


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "naïve", "tab\t"])
def test_keys_are_printable_ascii_and_bounded(key: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        checked_key(key)
    assert refused.value.details == {"Idempotency-Key": "must be 1 to 255 printable ASCII characters"}
    assert checked_key("x" * 255) == "x" * 255
