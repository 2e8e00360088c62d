"""PendingMessages.void on memory, SQLite and PostgreSQL: pending promises taken back by key
prefix, the rest left alone, the key free again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import cast
from uuid import UUID, uuid4

import pytest
from outbox_backends import ALL_BACKENDS, START, OutboxBackend, message, outbox_backend

from application.ports.messaging import PendingMessages
from domain.messaging import Channel, MessageStatus


@pytest.fixture(params=ALL_BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OutboxBackend]:
    async with outbox_backend(request.param, tmp_path) as opened:
        yield opened


async def void(backend: OutboxBackend, clinic_id: UUID, prefix: str, keep: tuple[str, ...] = ()) -> int:
    unit = backend.open_unit()
    count = await cast(PendingMessages, unit.outbox).void(clinic_id, key_prefix=prefix, keep=keep, now=START)
    await unit.uow.commit()
    return count


async def test_void_takes_back_pending_messages_of_the_prefix_only(backend: OutboxBackend) -> None:
    clinic, other_clinic = uuid4(), uuid4()
    a24 = message(key="appointment:a:reminder:24", clinic_id=clinic, not_before=START + timedelta(days=1))
    a2 = message(key="appointment:a:reminder:2", clinic_id=clinic, not_before=START + timedelta(days=1))
    kept = message(key="appointment:a:reminder:new", clinic_id=clinic)
    b = message(key="appointment:b:reminder:24", clinic_id=clinic)
    elsewhere = message(key="appointment:a:reminder:24", clinic_id=other_clinic)
    await backend.add(a24, a2, kept, b, elsewhere)

    assert await void(backend, clinic, "appointment:a:reminder:", keep=("appointment:a:reminder:new",)) == 2

    statuses = {m.id: (await backend.entry(m.id)).status for m in (a24, a2, kept, b, elsewhere)}
    assert statuses == {
        a24.id: MessageStatus.VOID,
        a2.id: MessageStatus.VOID,
        kept.id: MessageStatus.PENDING,
        b.id: MessageStatus.PENDING,
        elsewhere.id: MessageStatus.PENDING,
    }
    assert await void(backend, clinic, "appointment:a:reminder:", keep=("appointment:a:reminder:new",)) == 0


async def test_a_voided_message_is_never_claimed_and_its_key_can_be_promised_again(
    backend: OutboxBackend,
) -> None:
    clinic = uuid4()
    first = message(key="appointment:a:reminder:24", clinic_id=clinic, channel=Channel.EMAIL)
    await backend.add(first)
    await void(backend, clinic, "appointment:a:")

    store = backend.new_store()
    claimed = await store.claim(
        owner="r",
        now=START + timedelta(days=1),
        lease_until=START + timedelta(days=2),
        limit=10,
        channels=list(Channel),
    )
    assert claimed == []

    again = message(key="appointment:a:reminder:24", clinic_id=clinic)
    await backend.add(again)
    assert (await backend.entry(again.id)).status is MessageStatus.PENDING
    assert [
        c.message.id
        for c in await store.claim(
            owner="r", now=START, lease_until=START + timedelta(minutes=1), limit=10, channels=list(Channel)
        )
    ] == [again.id]


async def test_messages_being_sent_or_sent_are_not_voided(backend: OutboxBackend) -> None:
    clinic = uuid4()
    held = message(key="appointment:a:reminder:24", clinic_id=clinic)
    await backend.add(held)
    store = backend.new_store()
    (_claim,) = await store.claim(
        owner="r", now=START, lease_until=START + timedelta(minutes=1), limit=10, channels=list(Channel)
    )

    assert await void(backend, clinic, "appointment:a:") == 0
    assert (await backend.entry(held.id)).status is MessageStatus.SENDING
