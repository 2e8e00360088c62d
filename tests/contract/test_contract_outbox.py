"""The outbox: one contract on memory, SQLite and PostgreSQL (staging in the caller's unit of work,
idempotency keys, claims under a lease, fenced settlements, the operator's view, sealing)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from outbox_backends import ALL_BACKENDS, CODEC, SQL_BACKENDS, START, OutboxBackend, message, outbox_backend

from adapters.sql.outbox import SqlOutbox
from adapters.sql.outbox_admin import SqlOutboxAdmin
from adapters.sql.tenancy import SCOPE_KEY
from application.ports.messaging import Delivery, Settlement
from domain.messaging import Channel, MessageStatus

S = MessageStatus
LEASE = timedelta(seconds=60)
CHANNELS = tuple(Channel)


@pytest.fixture(params=ALL_BACKENDS)
async def backend(request, tmp_path) -> AsyncIterator[OutboxBackend]:
    async with outbox_backend(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture(params=SQL_BACKENDS)
async def sql_backend(request, tmp_path) -> AsyncIterator[OutboxBackend]:
    async with outbox_backend(request.param, tmp_path) as opened:
        yield opened


async def claim(store, *, owner="relay-a", at=START, limit=50, channels=CHANNELS):
    return await store.claim(owner=owner, now=at, lease_until=at + LEASE, limit=limit, channels=channels)


async def test_a_message_is_deliverable_once_committed_and_round_trips(backend: OutboxBackend) -> None:
    clinic = uuid.uuid4()
    sent = message(clinic_id=clinic, parameters={"clinic_name": "Quay", "starts_at": "Mon 9:00"})
    unit = backend.open_unit()
    await unit.outbox.add(sent)
    store = backend.new_store()
    assert await claim(store) == []  # not committed yet: no relay sees it

    await unit.uow.commit()

    [claimed] = await claim(store)
    assert claimed.message == sent
    assert (claimed.attempt, claimed.lease_owner, claimed.lease_until) == (1, "relay-a", START + LEASE)


async def test_a_rolled_back_message_is_gone(backend: OutboxBackend) -> None:
    unit = backend.open_unit()
    await unit.outbox.add(message())
    await unit.uow.rollback()

    assert await claim(backend.new_store()) == []
    assert await backend.open_unit().admin.find(status=None, limit=10) == []


async def test_an_idempotency_key_is_added_once_per_clinic(backend: OutboxBackend) -> None:
    clinic, other = uuid.uuid4(), uuid.uuid4()
    first = message(key="reminder:a:24h:email", clinic_id=clinic)
    await backend.add(first, message(key="reminder:a:24h:email", clinic_id=clinic))
    await backend.add(message(key="reminder:a:24h:email", clinic_id=clinic))  # a retried use case
    await backend.add(message(key="reminder:a:24h:email", clinic_id=other))
    await backend.add(message(key="otp:1"), message(key="otp:1"))  # no clinic: one space of its own

    entries = await backend.open_unit().admin.find(status=None, limit=10)
    assert sorted((e.clinic_id == clinic, e.idempotency_key) for e in entries) == [
        (False, "otp:1"),
        (False, "reminder:a:24h:email"),
        (True, "reminder:a:24h:email"),
    ]
    assert first.id in {e.id for e in entries}  # the first one added is the one kept


async def test_concurrent_units_adding_one_key_keep_one_message_and_both_commit(
    backend: OutboxBackend,
) -> None:
    async def add_and_commit() -> None:
        await backend.add(message(key="booking:42:confirmation"))

    await asyncio.gather(add_and_commit(), add_and_commit())

    assert len(await backend.open_unit().admin.find(status=None, limit=10)) == 1


async def test_only_due_messages_of_the_asked_channels_are_claimed_oldest_first(
    backend: OutboxBackend,
) -> None:
    later = message(not_before=START + timedelta(seconds=30))  # within the others' lease
    whatsapp = message(channel=Channel.WHATSAPP, recipient="+14155550100")
    first, second = message(not_before=START - timedelta(seconds=2)), message()
    await backend.add(later, whatsapp, second, first)
    store = backend.new_store()

    claimed = await claim(store, channels=(Channel.EMAIL,), limit=1)
    assert [c.message.id for c in claimed] == [first.id]
    assert [c.message.id for c in await claim(store, channels=(Channel.EMAIL,))] == [second.id]
    assert await claim(store, channels=(Channel.EMAIL,)) == []
    assert {c.message.id for c in await claim(store, at=START + timedelta(seconds=30))} == {
        later.id,
        whatsapp.id,
    }


async def test_a_claim_holds_until_its_lease_ends_then_the_message_comes_back(backend: OutboxBackend) -> None:
    sent = message()
    await backend.add(sent)
    dead_relay, live_relay = backend.new_store(), backend.new_store()
    [held] = await claim(dead_relay, owner="dead")

    assert await claim(live_relay, owner="live", at=START + LEASE - timedelta(seconds=1)) == []
    [again] = await claim(live_relay, owner="live", at=START + LEASE)
    assert (again.message.id, again.attempt, again.lease_owner) == (sent.id, 2, "live")

    # The first relay wakes up: its lease is gone, so its outcome changes nothing.
    assert await dead_relay.settle(held, Settlement(status=S.SENT), now=START + LEASE) is False
    assert await live_relay.settle(again, Settlement(status=S.SENT), now=START + LEASE) is True
    assert (await backend.entry(sent.id)).status is S.SENT


async def test_concurrent_claims_never_hand_out_one_message_twice(backend: OutboxBackend) -> None:
    messages = [message() for _ in range(60)]
    await backend.add(*messages)
    stores = [backend.new_store() for _ in range(8)]

    batches = await asyncio.gather(*(claim(s, owner=f"r{i}", limit=10) for i, s in enumerate(stores)))

    claimed = [c.message.id for batch in batches for c in batch]
    assert len(claimed) == len(set(claimed)) == 60


async def test_settlements_record_the_outcome_and_give_back_uncounted_attempts(
    backend: OutboxBackend,
) -> None:
    ok, throttled, failed = message(), message(), message()
    await backend.add(ok, throttled, failed)
    store = backend.new_store()
    claims = {c.message.id: c for c in await claim(store)}
    later = START + timedelta(minutes=1)

    delivered = Delivery(provider_message_id="wamid.1", provider_recipient_id="14155550100")
    assert await store.settle(claims[ok.id], Settlement(status=S.SENT, delivery=delivered), now=START)
    released = Settlement(status=S.PENDING, next_attempt_at=later, attempt_counted=False, error="throttled")
    assert await store.settle(claims[throttled.id], released, now=START)
    assert await store.settle(claims[failed.id], Settlement(status=S.FAILED, error="131026: bad"), now=START)

    sent, waiting, gone = [await backend.entry(m.id) for m in (ok, throttled, failed)]
    assert (sent.status, sent.provider_message_id, sent.attempts, sent.last_error) == (
        S.SENT,
        "wamid.1",
        1,
        None,
    )
    assert (waiting.status, waiting.attempts, waiting.next_attempt_at, waiting.last_error) == (
        S.PENDING,
        0,
        later,
        "throttled",
    )
    assert (gone.status, gone.last_error) == (S.FAILED, "131026: bad")
    assert await claim(store, at=later - timedelta(seconds=1)) == []
    assert [c.message.id for c in await claim(store, at=later)] == [throttled.id]


async def test_the_operator_lists_counts_and_requeues(backend: OutboxBackend) -> None:
    dead, pending = message(), message(channel=Channel.WHATSAPP, recipient="+14155550100")
    await backend.add(dead, pending)
    store = backend.new_store()
    [held] = await claim(store, channels=(Channel.EMAIL,))
    await store.settle(held, Settlement(status=S.DEAD, error="attempts exhausted"), now=START)

    unit = backend.open_unit()
    assert [e.id for e in await unit.admin.find(status=S.DEAD, limit=10)] == [dead.id]
    counts = {(c.channel, c.status): c.count for c in await unit.admin.counts()}
    assert counts == {(Channel.EMAIL, S.DEAD): 1, (Channel.WHATSAPP, S.PENDING): 1}
    later = START + timedelta(hours=1)
    assert await unit.admin.requeue(dead.id, expected=S.FAILED, now=later, reset_attempts=True) is False
    assert await unit.admin.requeue(dead.id, expected=S.DEAD, now=later, reset_attempts=True) is True
    await unit.uow.commit()

    entry = await backend.entry(dead.id)
    assert (entry.status, entry.attempts, entry.next_attempt_at) == (S.PENDING, 0, later)
    assert [c.attempt for c in await claim(store, at=later, channels=(Channel.EMAIL,))] == [1]


async def test_the_backlog_counts_due_pending_messages_only(backend: OutboxBackend) -> None:
    """Scheduled messages (a reminder days ahead) are not backlog, nor those a relay is sending."""
    late = message(not_before=START - timedelta(minutes=5))
    due, scheduled = message(), message(not_before=START + timedelta(days=2))
    await backend.add(late, due, scheduled)
    unit = backend.open_unit()
    backlog = await unit.admin.backlog(now=START)
    assert (backlog.due, backlog.oldest_due_since) == (2, START - timedelta(minutes=5))
    assert (await unit.admin.backlog(now=START - timedelta(minutes=2))).due == 1
    await claim(backend.new_store(), at=START)
    assert (await backend.open_unit().admin.backlog(now=START)).due == 0


async def test_parameters_and_recipients_are_sealed_at_rest(sql_backend: OutboxBackend) -> None:
    code, email = "493817", "patient.one@example.org"
    sent = message(recipient=email, parameters={"code": code, "ttl_minutes": "5"})
    await sql_backend.add(sent)
    store = sql_backend.new_store()
    [held] = await claim(store)
    delivered = Delivery(provider_message_id="wamid.9", provider_recipient_id="14155550123")
    await store.settle(held, Settlement(status=S.SENT, delivery=delivered), now=START)

    [row] = await sql_backend.raw_rows()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    for secret in (code, email, "14155550123"):
        assert secret.encode() not in stored
    assert held.message.parameters["code"] == code  # and the relay reads them back


@pytest.mark.postgres
async def test_row_level_security_keeps_clinics_apart_and_lets_anyone_add_platform_messages(tmp_path) -> None:
    clinic_a, clinic_b = uuid.uuid4(), uuid.uuid4()
    async with outbox_backend("postgres", tmp_path) as backend:

        async def add_as(scope: str, sent) -> None:
            async with backend.make() as session:
                session.info[SCOPE_KEY] = (scope, "")
                await SqlOutbox(session, CODEC).add(sent)
                await session.commit()

        async def visible_to(scope: str) -> set:
            async with backend.make() as session:
                session.info[SCOPE_KEY] = (scope, "")
                return {e.id for e in await SqlOutboxAdmin(session, CODEC).find(status=None, limit=10)}

        otp, of_a = message(), message(clinic_id=clinic_a)
        await add_as("", otp)  # a sign-in code, requested before anyone is known
        await add_as(str(clinic_a), of_a)
        with pytest.raises(Exception, match="row-level security"):
            await add_as("", message(clinic_id=clinic_b))
        with pytest.raises(Exception, match="row-level security"):
            await add_as(str(clinic_a), message(clinic_id=clinic_b))

        assert await visible_to(str(clinic_b)) == set()
        assert await visible_to(str(clinic_a)) == {of_a.id}
        assert await visible_to("*") == {otp.id, of_a.id}
        assert {c.message.id for c in await claim(backend.new_store())} == {otp.id, of_a.id}
