"""UserRepository contract: one identity per email (case-insensitive) and per phone."""

from __future__ import annotations

import asyncio

import pytest

from domain.contact import Email, PhoneNumber
from domain.errors import EmailAlreadyExists, PhoneAlreadyExists


async def _committed(units, *users):
    unit = units()
    for user in users:
        await unit.users.add(user)
    await unit.uow.commit()


async def test_an_added_user_is_read_back_by_id_email_and_phone(units, build):
    user = build.user(is_super_admin=True)
    await _committed(units, user)
    reader = units().users

    assert await reader.get(user.id) == user
    assert await reader.get_by_email(Email(user.email.value.upper())) == user
    assert await reader.get_by_phone(user.phone) == user
    assert await reader.get(build.id()) is None
    assert await reader.get_by_email(Email("nobody@example.com")) is None
    assert await reader.get_by_phone(PhoneNumber("+4930123456")) is None


async def test_a_user_may_have_only_an_email_or_only_a_phone(units, build):
    email_only = build.user(phone=None)
    phone_only = build.user(email=None)
    other_phone_only = build.user(email=None)
    await _committed(units, email_only, phone_only, other_phone_only)
    reader = units().users

    assert await reader.get(email_only.id) == email_only
    assert await reader.get(phone_only.id) == phone_only
    assert await reader.get(other_phone_only.id) == other_phone_only


async def test_an_email_differing_only_in_case_is_taken(units, build):
    first = build.user(email=Email("Ada.Lovelace@example.com"))
    await _committed(units, first)
    unit = units()

    with pytest.raises(EmailAlreadyExists):
        await unit.users.add(build.user(email=Email("ada.lovelace@EXAMPLE.com")))
        await unit.uow.commit()


async def test_a_phone_is_held_by_one_user(units, build):
    first = build.user()
    await _committed(units, first)
    unit = units()

    with pytest.raises(PhoneAlreadyExists):
        await unit.users.add(build.user(phone=first.phone))
        await unit.uow.commit()


async def test_two_units_adding_the_same_email_exactly_one_commits(units, build):
    twins = [build.user(email=Email("twin@example.com")), build.user(email=Email("TWIN@example.com"))]

    async def create(user):
        unit = units()
        await unit.users.add(user)
        unit.uow.record(build.audit(action="CREATE_USER"))
        await unit.uow.commit()

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(create(user) for user in twins), return_exceptions=True), timeout=30
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["EmailAlreadyExists", "NoneType"]
    winner = twins[outcomes.index(None)]
    reader = units()
    assert await reader.users.get_by_email(Email("twin@example.com")) == winner
    assert len(await reader.audit.entries()) == 1


async def test_any_exist(units, build):
    assert await units().users.any_exist() is False
    await _committed(units, build.user())
    assert await units().users.any_exist() is True
