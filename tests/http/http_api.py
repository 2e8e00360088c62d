"""The Litestar app on the embedded profile (a SQLite file per test), through AsyncTestClient."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dishka import AsyncContainer, Provider
from litestar.testing import AsyncTestClient

from application.auth.issue_operator_token import IssueOperatorToken, IssueOperatorTokenCommand
from application.demo.seed_demo_data import DEMO_ADMIN_EMAIL, DEMO_CLINIC_ADMIN_EMAIL
from application.users.create_super_admin import CreateSuperAdmin, CreateSuperAdminCommand
from application.users.create_user import CreateUser, CreateUserCommand
from domain.access import Actor
from entrypoints.bootstrap import as_system
from entrypoints.config import Settings, load_settings
from entrypoints.http.app import create_app
from entrypoints.ioc.profiles import build_container

# Secrets production insists on (any value but the development defaults).
PRODUCTION_SECRETS = {
    "JWT_SECRET": "x" * 40,
    "SECURITY_PHI_ENCRYPTION_KEY": "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
    "SECURITY_BLIND_INDEX_KEY": "b" * 40,
    "SECURITY_AUDIT_KEY": "a" * 40,
    "SECURITY_OTP_HASH_KEY": "o" * 40,
}


def unreachable_production_settings(tmp_path: Path, port: int, **extra: str) -> Settings:
    """The production profile pointed at a port where neither PostgreSQL nor Redis listens."""
    return embedded_settings(
        tmp_path,
        APP_PROFILE="production",
        DATABASE_URL=f"postgresql+asyncpg://nobody@127.0.0.1:{port}/none",
        DATABASE_CONNECT_TIMEOUT_SECONDS="1",
        CACHE_PORT=str(port),
        **PRODUCTION_SECRETS,
        **extra,
    )


def embedded_settings(tmp_path: Path, **extra: str) -> Settings:
    environ = {"APP_PROFILE": "embedded", "APP_ENV": "test", "APP_DATA_DIR": str(tmp_path / "data"), **extra}
    return load_settings(environ, base_dir=tmp_path, in_container=False)


@dataclass
class Api:
    client: AsyncTestClient[Any]
    container: AsyncContainer
    settings: Settings

    async def token(self, email: str, ttl_minutes: int | None = None) -> str:
        async with self.container() as request:
            await as_system(request)
            issue = await request.get(IssueOperatorToken)
            return (await issue(IssueOperatorTokenCommand(email=email, ttl_minutes=ttl_minutes))).token

    async def auth(self, email: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(email)}"}

    async def super_admin(self) -> dict[str, str]:
        return await self.auth(DEMO_ADMIN_EMAIL)

    async def demo_clinic_admin(self) -> dict[str, str]:
        return await self.auth(DEMO_CLINIC_ADMIN_EMAIL)

    async def demo_clinic_id(self) -> str:
        response = await self.client.get("/api/v1/clinics", headers=await self.demo_clinic_admin())
        return str(response.json()["items"][0]["id"])

    async def new_user(self, email: str, name: str = "Someone") -> str:
        from uuid import uuid4

        async with self.container() as request:
            await as_system(request)
            create = await request.get(CreateUser)
            actor = Actor(user_id=uuid4(), is_super_admin=True)
            return str((await create(CreateUserCommand(name=name, email=email), actor)).id)


async def open_api(settings: Settings, *overrides: Provider) -> AsyncIterator[Api]:
    container = build_container(settings, *overrides)
    app = create_app(settings, container)
    async with AsyncTestClient(app=app) as client:
        yield Api(client=client, container=container, settings=settings)


def assert_error(response: Any, status: int, code: str) -> Mapping[str, Any]:
    """The response is the error envelope with this status and code, and nothing more."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert set(error) <= {"code", "message", "timestamp", "requestId", "details"}
    assert error["message"] and error["timestamp"].endswith("Z")
    assert error["requestId"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return error


@asynccontextmanager
async def migrated_database(*, grant_to_admin: bool = False) -> AsyncIterator[tuple[str, str]]:
    """A database of its own on the real PostgreSQL (TEST_DATABASE_URL), migrated with a
    restricted role of its own: yields (url, role), both dropped afterwards. ``grant_to_admin``:
    the connecting user may act as that role too (to read rows as the app sees them). Skips when
    PostgreSQL is unreachable, except under CI=true."""
    import os
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from adapters.sql.engine import EngineOptions, create_engine
    from adapters.sql.migrate import migrate

    base = make_url(os.environ.get("TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    name = f"test_{uuid.uuid4().hex[:16]}"
    role = f"{name}_app"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5})
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        await admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        engine = create_engine(EngineOptions(url=url))
        try:
            await migrate(engine, app_role=role, grant_to=base.username if grant_to_admin else None)
        finally:
            await engine.dispose()
        yield url, role
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        await admin.dispose()


@asynccontextmanager
async def production_database(tmp_path: Path, **extra: str) -> AsyncIterator[Settings]:
    """Production-profile settings on a ``migrated_database``; the cache, sign-in codes and
    limits in Redis db 15 under a prefix of this database's (removed afterwards), unless the test
    names its own."""
    async with migrated_database() as (url, role):
        prefix = f"{role}-cache"  # the role is named after this test's own database
        try:
            yield embedded_settings(
                tmp_path,
                APP_PROFILE="production",
                DATABASE_URL=url,
                DATABASE_APP_ROLE=role,
                **{"CACHE_DB": "15", "CACHE_KEY_PREFIX": prefix, **PRODUCTION_SECRETS, **extra},
            )
        finally:
            from redis.asyncio import Redis

            redis = Redis(host="127.0.0.1", port=6379, db=15, socket_timeout=2)
            try:
                keys = [key async for key in redis.scan_iter(f"{prefix}*")]
                if keys:
                    await redis.delete(*keys)
            except Exception:  # Redis unreachable: nothing was written there either
                pass
            finally:
                await redis.aclose()


@asynccontextmanager
async def another_app(settings: Settings, *overrides: Provider) -> AsyncIterator[Api]:
    """One more app instance on ``settings``: a process's worth (its own container, pools, L1)."""
    running = open_api(settings, *overrides)
    try:
        yield await anext(running)
    finally:
        await running.aclose()


@asynccontextmanager
async def operator_header(settings: Settings, email: str) -> AsyncIterator[dict[str, str]]:
    """A super admin and their token, made through a container of the test's own loop (each
    app's pools and clients belong to the app's loop)."""
    container = build_container(settings)
    try:
        async with container() as request:
            await as_system(request)
            await (await request.get(CreateSuperAdmin))(CreateSuperAdminCommand(email=email, name="Ops"))
            issued = await (await request.get(IssueOperatorToken))(IssueOperatorTokenCommand(email=email))
        yield {"Authorization": f"Bearer {issued.token}"}
    finally:
        await container.close()
