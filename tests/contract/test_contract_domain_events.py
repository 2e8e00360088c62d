"""The domain-event outbox: one contract on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from system_sessions import system_sessions

from adapters.memory.events import InMemoryEventOutbox
from adapters.memory.store import InMemoryStore
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.sql.events import SqlEventOutbox
from adapters.sql.uow import SqlUnitOfWork
from conftest import ALL_BACKENDS
from domain.events import DomainEvent, EventKind

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(params=ALL_BACKENDS)
async def parts(request, tmp_path) -> AsyncIterator[Callable[[], tuple]]:
    if request.param == "memory":
        store = InMemoryStore()

        def memory():
            uow = InMemoryUnitOfWork(store)
            return uow, InMemoryEventOutbox(uow)

        yield memory
        return
    async with system_sessions(request.param, tmp_path) as new_session:

        def sql():
            session = new_session()
            return SqlUnitOfWork(session), SqlEventOutbox(session)

        yield sql


def event(
    minutes: int, kind: EventKind = EventKind.APPOINTMENT_BOOKED, *, of: DomainEvent | None = None
) -> DomainEvent:
    """An event ``minutes`` after T0; with ``of``, about the same clinic and subject."""
    return DomainEvent(
        id=uuid4(),
        clinic_id=of.clinic_id if of else uuid4(),
        kind=kind,
        subject_id=of.subject_id if of else uuid4(),
        occurred_at=T0 + timedelta(minutes=minutes),
        data={"doctorId": str(uuid4()), "startsAt": "2026-12-01T09:00:00Z"},
    )


async def test_events_exist_only_once_their_unit_commits(parts):
    uow, outbox = parts()
    later, first = event(5), event(1, EventKind.PRESCRIPTION_ISSUED)
    await outbox.add(later)
    await outbox.add(first)
    _, reader = parts()
    assert await reader.unpublished(limit=10) == []
    await uow.commit()
    _, reader = parts()
    assert await reader.unpublished(limit=10) == [first, later]


async def test_a_rolled_back_unit_leaves_no_event(parts):
    uow, outbox = parts()
    await outbox.add(event(1))
    await uow.rollback()
    _, reader = parts()
    assert await reader.unpublished(limit=10) == []


async def test_published_events_leave_the_feed(parts):
    uow, outbox = parts()
    one, two = event(1), event(2)
    await outbox.add(one)
    await outbox.add(two)
    await uow.commit()
    uow, feed = parts()
    await feed.mark_published([one.id], at=T0 + timedelta(hours=1))
    await uow.commit()
    _, reader = parts()
    assert await reader.unpublished(limit=10) == [two]
    assert await reader.unpublished(limit=0) == []


async def test_claims_take_one_subject_at_a_time_in_order(parts):
    uow, outbox = parts()
    booked = event(1)
    moved, cancelled = event(2, EventKind.APPOINTMENT_RESCHEDULED, of=booked), event(3, of=booked)
    other = event(4, EventKind.PRESCRIPTION_ISSUED)
    for e in (cancelled, other, moved, booked):
        await outbox.add(e)
    await uow.commit()

    for expected in ([booked, other], [moved], [cancelled]):
        uow, feed = parts()
        claimed = await feed.claim(limit=10)
        assert claimed == expected
        await feed.mark_published([e.id for e in claimed if e is not other], at=T0)
        await uow.commit()
        other = None
    uow, feed = parts()
    assert await feed.claim(limit=10) == []
    await uow.rollback()


async def test_a_claim_leaves_out_skipped_events(parts):
    uow, outbox = parts()
    one, two = event(1), event(2)
    await outbox.add(one)
    await outbox.add(two)
    await uow.commit()
    uow, feed = parts()
    assert await feed.claim(limit=10, skip=[one.id]) == [two]
    await uow.rollback()


@pytest.mark.parametrize("parts", ["postgresql"], indirect=True)
async def test_concurrent_claims_on_postgresql_never_share_an_event(parts):
    uow, outbox = parts()
    events = [event(i) for i in range(6)]
    for e in events:
        await outbox.add(e)
    await uow.commit()

    first_uow, first = parts()
    second_uow, second = parts()
    mine = await first.claim(limit=4)
    theirs = await second.claim(limit=4)  # skips the rows the first holds, without waiting
    assert mine == events[:4] and theirs == events[4:]
    await first.mark_published([e.id for e in mine], at=T0)
    await first_uow.commit()
    await second_uow.rollback()  # released: claimable again
    uow, feed = parts()
    assert await feed.claim(limit=10) == events[4:]
    await uow.rollback()
