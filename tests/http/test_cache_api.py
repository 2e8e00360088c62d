"""The cache through the whole request path: reads are cached, access is still checked on every
request, and a write is seen on the next request, in this process (embedded) and in another
app instance sharing Redis (production, two apps with their own containers and connections)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from http_api import Api, another_app, assert_error, operator_header, production_database

from application.auth.session_tokens import SessionTokens
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.clinics.get_clinic import GetClinic
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.repositories import ClinicRepository, UserRepository
from application.ports.uow import UnitOfWork
from cache_support import shared_redis, wait_until
from domain.access import Actor
from domain.contact import Email
from entrypoints.bootstrap import as_system
from entrypoints.config import Settings
from entrypoints.ioc.caching import ContainerReads
from entrypoints.ioc.profiles import build_container

DEADLINE = 10.0


async def test_a_membership_change_and_a_rename_are_seen_on_the_next_request(api: Api) -> None:
    admin = await api.super_admin()
    clinic = await api.demo_clinic_id()
    user_id = await api.new_user("newcomer@example.com", "Newcomer")
    newcomer = await api.auth("newcomer@example.com")
    for _ in range(2):  # the second request reads the user and their memberships from the cache
        assert_error(
            await api.client.get(f"/api/v1/clinics/{clinic}", headers=newcomer), 403, "CLINIC_ACCESS_DENIED"
        )
    assert (await api.container.get(Cache)).stats().l1_hits >= 2

    joined = await api.client.post(
        f"/api/v1/clinics/{clinic}/members", json={"userId": user_id, "role": "DOCTOR"}, headers=admin
    )
    assert joined.status_code == 201, joined.text
    seen = await api.client.get(f"/api/v1/clinics/{clinic}", headers=newcomer)
    assert seen.status_code == 200, seen.text

    renamed = await api.client.patch(
        f"/api/v1/clinics/{clinic}", json={"name": "Renamed Clinic"}, headers=admin
    )
    assert renamed.status_code == 200, renamed.text
    assert (await api.client.get(f"/api/v1/clinics/{clinic}", headers=newcomer)).json()[
        "name"
    ] == "Renamed Clinic"


@pytest.mark.redis
@pytest.mark.postgres
async def test_a_write_on_one_app_reaches_the_l1_of_another(tmp_path: Path) -> None:
    # The limiter off: this test counts cache keys only; limits have their own tests.
    async with (
        shared_redis(RATE_LIMIT_ENABLED="false") as redis,
        production_database(tmp_path, **redis.settings) as settings,
        AsyncExitStack() as stack,
    ):
        admin = await stack.enter_async_context(operator_header(settings, "ops@example.com"))
        first = await stack.enter_async_context(another_app(settings))
        second = await stack.enter_async_context(another_app(settings))
        created = await first.client.post(
            "/api/v1/clinics", json={"name": "Before", "timeZone": "UTC"}, headers=admin
        )
        clinic = created.json()["id"]
        await _name(second, clinic, admin)  # the app's own loop builds its cache: now wait for it
        caches = [await app.container.get(Cache) for app in (first, second)]
        await wait_until(lambda: all(c.listener.connected for c in caches), what="both apps subscribed")
        assert [await _name(second, clinic, admin) for _ in range(2)] == ["Before", "Before"]
        assert (await second.container.get(Cache)).stats().l1_hits >= 1

        renamed = await first.client.patch(f"/api/v1/clinics/{clinic}", json={"name": "After"}, headers=admin)
        assert renamed.status_code == 200, renamed.text
        loop = asyncio.get_running_loop()
        give_up = loop.time() + DEADLINE
        while await _name(second, clinic, admin) != "After":
            if loop.time() > give_up:
                pytest.fail("the other app still serves the old clinic")


@pytest.mark.redis
@pytest.mark.postgres
async def test_a_logout_on_one_app_ends_the_session_the_other_kept(tmp_path: Path) -> None:
    """Each app keeps a live session in its own L1 (Authenticate): the logout's commit drops it
    there too, through the invalidation channel, long before the entry's 30 s."""
    async with (
        shared_redis(RATE_LIMIT_ENABLED="false") as redis,
        production_database(tmp_path, **redis.settings) as settings,
        AsyncExitStack() as stack,
    ):
        await stack.enter_async_context(operator_header(settings, "ops@example.com"))
        bearer = await _signed_in(settings, "ops@example.com")
        first = await stack.enter_async_context(another_app(settings))
        second = await stack.enter_async_context(another_app(settings))
        for app in (first, second):  # the app's own loop builds its cache
            assert (await app.client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
        caches = [await app.container.get(Cache) for app in (first, second)]
        await wait_until(lambda: all(c.listener.connected for c in caches), what="both apps subscribed")
        hits = caches[1].stats().l1_hits
        assert (await second.client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
        assert caches[1].stats().l1_hits > hits  # the session (and user) from the second's L1

        assert (await first.client.post("/api/v1/auth/logout", headers=bearer)).status_code == 204
        refused = await first.client.get("/api/v1/auth/me", headers=bearer)
        assert_error(refused, 401, "INVALID_CREDENTIALS")  # at once where it was ended
        loop = asyncio.get_running_loop()
        give_up = loop.time() + DEADLINE
        while (await second.client.get("/api/v1/auth/me", headers=bearer)).status_code != 401:
            if loop.time() > give_up:
                pytest.fail("the other app still accepts the ended session")


async def _signed_in(settings: Settings, email: str) -> dict[str, str]:
    """A session's bearer header for ``email``: what verifying a one-time code does, minus the code."""
    container = build_container(settings)
    try:
        async with container() as request:
            await as_system(request)
            user = await (await request.get(UserRepository)).get_by_email(Email(email))
            assert user is not None
            pair = await (await request.get(SessionTokens)).open(user.id, (await request.get(Clock)).now())
            await (await request.get(UnitOfWork)).commit()
        return {"Authorization": f"Bearer {pair.access_token}"}
    finally:
        await container.close()


async def _name(api: Api, clinic: str, headers: dict[str, str]) -> str:
    return str((await api.client.get(f"/api/v1/clinics/{clinic}", headers=headers)).json()["name"])


async def test_a_background_refresh_reads_in_a_scope_of_its_own(api: Api) -> None:
    clinic = UUID(await api.demo_clinic_id())
    fresh = await ContainerReads(api.container).run(GetClinic, lambda read: read.load(clinic))
    assert fresh is not None and fresh.id == clinic


@pytest.mark.postgres
async def test_a_background_refresh_sees_past_row_level_security(tmp_path: Path) -> None:
    async with production_database(tmp_path) as settings:
        container = build_container(settings)
        try:
            async with container() as request:
                await as_system(request)
                admin = Actor(user_id=uuid4(), is_super_admin=True)
                created = await (await request.get(CreateClinic))(
                    CreateClinicCommand(name="Walled", time_zone="UTC"), admin
                )
            async with container() as request:  # a request scope nobody widened sees no clinic
                assert await (await request.get(ClinicRepository)).get(created.id) is None
            refreshed = await ContainerReads(container).run(GetClinic, lambda read: read.load(created.id))
            assert refreshed is not None and refreshed.name == "Walled"
        finally:
            await container.close()
