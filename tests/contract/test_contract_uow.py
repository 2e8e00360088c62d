"""UnitOfWork contract: isolation, atomic commit of rows with their audit entries, rollback."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.contact import Email
from domain.errors import EmailAlreadyExists


async def test_nothing_is_visible_to_another_unit_before_commit(units, build):
    clinic = build.clinic()
    writer, reader = units(), units()
    await writer.clinics.add(clinic)
    writer.uow.record(build.audit(clinic))

    assert await writer.clinics.get(clinic.id) == clinic
    assert await reader.clinics.get(clinic.id) is None
    assert await reader.audit.entries() == []

    await writer.uow.commit()

    assert await reader.clinics.get(clinic.id) == clinic
    assert len(await reader.audit.entries()) == 1


async def test_nothing_is_kept_after_rollback(units, build):
    clinic = build.clinic()
    unit = units()
    await unit.clinics.add(clinic)
    await unit.users.add(build.user())
    unit.uow.record(build.audit(clinic))
    await unit.uow.rollback()

    assert await unit.clinics.get(clinic.id) is None
    await unit.uow.commit()  # the rolled back audit entry must not come back with a later commit
    reader = units()
    assert await reader.clinics.get(clinic.id) is None
    assert await reader.users.any_exist() is False
    assert await reader.audit.entries() == []


async def test_audit_entries_are_read_back_in_the_order_written(units, build):
    clinic, elsewhere = build.clinic(), build.clinic()
    entries = [build.audit(clinic), build.audit(None, "CREATE_USER"), build.audit(clinic, "UPDATE_CLINIC")]
    unit = units()
    unit.uow.record(*entries[:2])
    unit.uow.record(entries[2], build.audit(elsewhere))
    await unit.uow.commit()
    reader = units().audit

    assert (await reader.entries())[:3] == entries
    assert await reader.entries(clinic_id=clinic.id) == [entries[0], entries[2]]
    assert await reader.entries(clinic_id=clinic.id, limit=1) == [entries[2]]
    assert await reader.entries(clinic_id=build.id()) == []


async def test_a_failed_commit_keeps_neither_rows_nor_audit_entries(units, build):
    taken = build.user(email=Email("taken@example.com"))
    first = units()
    await first.users.add(taken)
    await first.uow.commit()
    clinic = build.clinic()
    unit = units()

    with pytest.raises(EmailAlreadyExists):
        await unit.clinics.add(clinic)
        unit.uow.record(build.audit(clinic))
        await unit.users.add(build.user(email=Email("Taken@example.com")))
        await unit.uow.commit()

    reader = units()
    assert await reader.clinics.get(clinic.id) is None
    assert await reader.audit.entries() == []
    assert await reader.users.get_by_email(taken.email) == taken


async def test_a_unit_that_loses_a_race_keeps_neither_rows_nor_audit_entries(units, build):
    clinics = [build.clinic(), build.clinic()]

    async def create(clinic):
        unit = units()
        await unit.clinics.add(clinic)
        unit.uow.record(build.audit(clinic))
        await unit.users.add(build.user(email=Email("race@example.com")))
        await unit.uow.commit()

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(create(c) for c in clinics), return_exceptions=True), timeout=30
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["EmailAlreadyExists", "NoneType"]
    winner = clinics[outcomes.index(None)]
    reader = units()
    assert [await reader.clinics.get(c.id) is not None for c in clinics] == [c is winner for c in clinics]
    assert [e.clinic_id for e in await reader.audit.entries()] == [winner.id]


async def test_times_come_back_utc_aware_and_equal(units, build):
    clinic = build.clinic()
    unit = units()
    await unit.clinics.add(clinic)
    user = build.user()
    await unit.users.add(user)
    entry = build.audit(clinic)
    unit.uow.record(entry)
    await unit.uow.commit()
    reader = units()

    stored = await reader.clinics.get(clinic.id)
    read_entry = (await reader.audit.entries())[0]
    times = [stored.created_at, stored.updated_at, (await reader.users.get(user.id)).created_at]
    assert times == [clinic.created_at, clinic.updated_at, user.created_at]
    assert read_entry.occurred_at == entry.occurred_at
    assert all(t.utcoffset() == timedelta(0) for t in [*times, read_entry.occurred_at])
