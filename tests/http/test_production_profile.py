"""The production profile against the real PostgreSQL: seeding by CLI-equivalent use cases,
row-level security through the whole request path, and logout with Redis up or unreachable."""

from __future__ import annotations

import socket
from contextlib import asynccontextmanager
from pathlib import Path

from http_api import assert_error, open_api, production_database
from test_sessions_api import sign_in

from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from entrypoints.bootstrap import as_system
from entrypoints.ioc.profiles import build_container


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def setup_container(settings):
    """The test's own container: the app's pool belongs to the app's event loop."""
    container = build_container(settings)
    try:
        yield container
    finally:
        await container.close()


async def _admin(container, email: str) -> None:
    async with container() as request:
        await as_system(request)
        await (await request.get(CreateSuperAdmin))(CreateSuperAdminCommand(email=email, name="Ops"))


async def _logout_refuses_the_next_request(tmp_path: Path, **cache: str) -> None:
    async with production_database(tmp_path, **cache) as settings, setup_container(settings) as setup:
        async for api in open_api(settings):
            await _admin(setup, "ops@example.com")
            pair = await sign_in(api, "ops@example.com", setup)
            bearer = {"Authorization": f"Bearer {pair.access_token}"}
            assert (await api.client.get("/api/v1/auth/me", headers=bearer)).status_code == 200
            assert (await api.client.post("/api/v1/auth/logout", headers=bearer)).status_code == 204
            assert_error(await api.client.get("/api/v1/auth/me", headers=bearer), 401, "INVALID_CREDENTIALS")


async def test_logout_with_redis_up(tmp_path: Path) -> None:
    await _logout_refuses_the_next_request(tmp_path)


async def test_logout_with_redis_unreachable(tmp_path: Path) -> None:
    await _logout_refuses_the_next_request(tmp_path, CACHE_PORT=str(_closed_port()))


async def test_tenants_are_walled_through_the_whole_request_path(tmp_path: Path) -> None:
    async with production_database(tmp_path) as settings, setup_container(settings) as setup:
        async for api in open_api(settings):
            await _admin(setup, "ops@example.com")
            admin = {"Authorization": f"Bearer {(await sign_in(api, 'ops@example.com', setup)).access_token}"}
            a = (
                await api.client.post("/api/v1/clinics", json={"name": "A", "timeZone": "UTC"}, headers=admin)
            ).json()
            b = (
                await api.client.post("/api/v1/clinics", json={"name": "B", "timeZone": "UTC"}, headers=admin)
            ).json()
            user = await api.client.post(
                "/api/v1/users", json={"name": "Ann", "email": "ann@a.example"}, headers=admin
            )
            joined = await api.client.post(
                f"/api/v1/clinics/{a['id']}/members",
                json={"userId": user.json()["id"], "role": "CLINIC_ADMIN"},
                headers=admin,
            )
            assert joined.status_code == 201, joined.text
            ann = {"Authorization": f"Bearer {(await sign_in(api, 'ann@a.example', setup)).access_token}"}
            listed = await api.client.get("/api/v1/clinics", headers=ann)
            assert [c["id"] for c in listed.json()["items"]] == [a["id"]]
            assert_error(
                await api.client.get(f"/api/v1/clinics/{b['id']}", headers=ann), 403, "CLINIC_ACCESS_DENIED"
            )
