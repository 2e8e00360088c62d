"""MembershipRepository contract: one membership per (clinic, user)."""

from __future__ import annotations

import pytest

from domain.errors import MembershipAlreadyExists
from domain.identity import Role


async def _registry(units, build, clinics: int, users: int):
    unit = units()
    made = [build.clinic() for _ in range(clinics)], [build.user() for _ in range(users)]
    for clinic in made[0]:
        await unit.clinics.add(clinic)
    for user in made[1]:
        await unit.users.add(user)
    await unit.uow.commit()
    return made


async def test_a_membership_is_read_back_with_its_locations(units, build):
    (clinic,), (user,) = await _registry(units, build, 1, 1)
    unit = units()
    locations = [build.location(clinic) for _ in range(2)]
    for location in locations:
        await unit.locations.add(location)
    membership = build.membership(
        clinic, user, role=Role.RECEPTIONIST, location_ids=frozenset(loc.id for loc in locations)
    )
    await unit.memberships.add(membership)
    await unit.uow.commit()
    reader = units().memberships

    assert await reader.get(clinic.id, user.id) == membership
    assert await reader.get(clinic.id, build.id()) is None
    assert await reader.get(build.id(), user.id) is None


async def test_a_user_is_a_member_of_a_clinic_once(units, build):
    (clinic,), (user,) = await _registry(units, build, 1, 1)
    unit = units()
    await unit.memberships.add(build.membership(clinic, user))
    await unit.uow.commit()
    again = units()

    with pytest.raises(MembershipAlreadyExists):
        await again.memberships.add(build.membership(clinic, user, role=Role.PATIENT))
        await again.uow.commit()

    assert (await units().memberships.get(clinic.id, user.id)).role is Role.DOCTOR


async def test_a_second_membership_in_the_same_unit_is_refused(units, build):
    (clinic,), (user,) = await _registry(units, build, 1, 1)
    unit = units()

    with pytest.raises(MembershipAlreadyExists):
        await unit.memberships.add(build.membership(clinic, user))
        await unit.memberships.add(build.membership(clinic, user, role=Role.PATIENT))
        await unit.uow.commit()


async def test_of_user_lists_every_clinic_of_the_user(units, build):
    clinics, (user, other) = await _registry(units, build, 3, 2)
    unit = units()
    for clinic in clinics[:2]:
        await unit.memberships.add(build.membership(clinic, user))
    await unit.memberships.add(build.membership(clinics[2], other, role=Role.PATIENT))
    await unit.uow.commit()
    reader = units().memberships

    assert [m.clinic_id for m in await reader.of_user(user.id)] == sorted(c.id for c in clinics[:2])
    assert await reader.of_user(build.id()) == []


async def test_list_pages_one_clinics_members_by_user_id(units, build):
    (clinic, other_clinic), users = await _registry(units, build, 2, 5)
    unit = units()
    for user in users:
        await unit.memberships.add(build.membership(clinic, user))
    await unit.memberships.add(build.membership(other_clinic, users[0]))
    await unit.uow.commit()
    reader = units().memberships

    first = await reader.list(clinic.id, after=None, limit=3)
    rest = await reader.list(clinic.id, after=first[-1].user_id, limit=3)

    assert [m.user_id for m in first + rest] == sorted(u.id for u in users)
    assert {m.clinic_id for m in first + rest} == {clinic.id}
    assert [m.user_id for m in await reader.list(other_clinic.id, after=None, limit=3)] == [users[0].id]
