"""ClinicRepository contract: memory, SQLite and PostgreSQL behave alike."""

from __future__ import annotations

import pytest

from domain.contact import Email
from domain.errors import VersionConflict


async def test_an_added_clinic_is_read_back_whole(units, build):
    clinic = build.clinic()
    unit = units()
    await unit.clinics.add(clinic)
    await unit.uow.commit()

    assert await units().clinics.get(clinic.id) == clinic


async def test_an_unknown_id_is_none(units, build):
    assert await units().clinics.get(build.id()) is None


async def test_list_pages_by_id_after_and_limit(units, build):
    clinics = [build.clinic() for _ in range(5)]
    unit = units()
    for clinic in reversed(clinics):
        await unit.clinics.add(clinic)
    await unit.uow.commit()
    ids = sorted(c.id for c in clinics)
    reader = units().clinics

    first = await reader.list(among=None, after=None, limit=2)
    second = await reader.list(among=None, after=first[-1].id, limit=2)
    last = await reader.list(among=None, after=second[-1].id, limit=2)

    assert [c.id for c in first + second + last] == ids
    assert len(last) == 1
    assert await reader.list(among=None, after=ids[-1], limit=2) == []


async def test_list_among_narrows_to_the_given_clinics(units, build):
    clinics = [build.clinic() for _ in range(4)]
    unit = units()
    for clinic in clinics:
        await unit.clinics.add(clinic)
    await unit.uow.commit()
    chosen = {clinics[3].id, clinics[1].id, build.id()}
    reader = units().clinics

    assert [c.id for c in await reader.list(among=chosen, after=None, limit=10)] == sorted(
        {clinics[3].id, clinics[1].id}
    )
    assert await reader.list(among=set(), after=None, limit=10) == []
    assert [c.id for c in await reader.list(among=chosen, after=None, limit=1)] == [
        min(clinics[3].id, clinics[1].id)
    ]


async def test_update_with_the_current_version_persists_and_bumps_it(units, build):
    clinic = build.clinic()
    unit = units()
    await unit.clinics.add(clinic)
    await unit.uow.commit()

    writer = units()
    stored = await writer.clinics.get(clinic.id)
    stored.change(
        at=build.now(), by=build.id(), name="Renamed", contact_email=Email("new@example.com"), active=False
    )
    await writer.clinics.update(stored, expected_version=1)
    await writer.uow.commit()

    reread = await units().clinics.get(clinic.id)
    assert reread == stored
    assert (reread.version, reread.name, reread.active) == (2, "Renamed", False)


async def test_racing_writers_on_one_version_the_second_gets_version_conflict(units, build):
    clinic = build.clinic()
    unit = units()
    await unit.clinics.add(clinic)
    await unit.uow.commit()
    first, second = units(), units()
    mine = await first.clinics.get(clinic.id)
    theirs = await second.clinics.get(clinic.id)

    mine.change(at=build.now(), by=None, name="First")
    await first.clinics.update(mine, expected_version=1)
    await first.uow.commit()
    theirs.change(at=build.now(), by=None, name="Second")
    with pytest.raises(VersionConflict):
        await second.clinics.update(theirs, expected_version=1)
        await second.uow.commit()
    await second.uow.rollback()

    final = await units().clinics.get(clinic.id)
    assert (final.name, final.version) == ("First", 2)


async def test_update_of_an_unknown_clinic_is_a_version_conflict(units, build):
    unit = units()
    with pytest.raises(VersionConflict):
        await unit.clinics.update(build.clinic(), expected_version=1)
        await unit.uow.commit()
