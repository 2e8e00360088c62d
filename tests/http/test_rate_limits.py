"""Layered request limits over HTTP: a noisy caller is refused, a quiet one is not."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from http_api import (
    another_app,
    assert_error,
    embedded_settings,
    open_api,
    operator_header,
    production_database,
)

from cache_support import shared_redis


async def test_a_noisy_user_is_limited_and_a_quiet_one_is_not(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path, RATE_LIMIT_USER_REQUESTS_PER_MINUTE="3")
    async for api in open_api(settings):
        noisy, quiet = await api.super_admin(), await api.demo_clinic_admin()
        for _ in range(3):
            ok = await api.client.get("/api/v1/clinics", headers=noisy)
            assert ok.status_code == 200
        assert ok.headers["ratelimit-policy"] == '"user";q=3;w=60'
        assert ok.headers["ratelimit"].startswith('"user";r=0;')
        refused = await api.client.get("/api/v1/clinics", headers=noisy)
        assert_error(refused, 429, "RATE_LIMITED")
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["ratelimit"].startswith('"user";r=0;')
        assert (await api.client.get("/api/v1/clinics", headers=quiet)).status_code == 200


async def test_auth_routes_have_their_own_tighter_limit(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path, RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE="2")
    async for api in open_api(settings):
        for _ in range(2):
            response = await api.client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
            assert response.status_code == 401
        assert_error(
            await api.client.post("/api/v1/auth/refresh", json={"refreshToken": "x"}), 429, "RATE_LIMITED"
        )
        assert (await api.client.get("/api/v1/clinics", headers=await api.super_admin())).status_code == 200


async def test_limits_can_be_switched_off(tmp_path: Path) -> None:
    settings = embedded_settings(
        tmp_path, RATE_LIMIT_ENABLED="false", RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE="1"
    )
    async for api in open_api(settings):
        for _ in range(3):
            response = await api.client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
            assert response.status_code == 401 and "ratelimit" not in response.headers


@pytest.mark.redis
@pytest.mark.postgres
async def test_on_redis_two_apps_count_one_window(tmp_path: Path) -> None:
    """Production: the window lives in Redis (one round trip a limit), so a caller spreading
    requests over two processes gets the fleet's limit, not one per process."""
    async with (
        shared_redis(RATE_LIMIT_USER_REQUESTS_PER_MINUTE="4") as redis,
        production_database(tmp_path, **redis.settings) as settings,
        AsyncExitStack() as stack,
    ):
        admin = await stack.enter_async_context(operator_header(settings, "ops@example.com"))
        apps = [await stack.enter_async_context(another_app(settings)) for _ in range(2)]
        answers = [await apps[n % 2].client.get("/api/v1/clinics", headers=admin) for n in range(4)]
        assert [a.status_code for a in answers] == [200] * 4
        assert [a.headers["ratelimit"].split(";")[1] for a in answers] == ["r=3", "r=2", "r=1", "r=0"]
        for app in apps:
            refused = await app.client.get("/api/v1/clinics", headers=admin)
            assert_error(refused, 429, "RATE_LIMITED")
            assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_a_refusing_limit_refuses_even_when_another_is_as_tight(tmp_path: Path) -> None:
    """The address's last slot and the user's refusal in one request: both have nothing left,
    and the refusal wins (the headers name the limit that refused)."""
    settings = embedded_settings(
        tmp_path, RATE_LIMIT_REQUESTS_PER_MINUTE="2", RATE_LIMIT_USER_REQUESTS_PER_MINUTE="1"
    )
    async for api in open_api(settings):
        admin = await api.super_admin()
        assert (await api.client.get("/api/v1/clinics", headers=admin)).status_code == 200
        refused = await api.client.get("/api/v1/clinics", headers=admin)
        assert_error(refused, 429, "RATE_LIMITED")
        assert refused.headers["ratelimit-policy"] == '"user";q=1;w=60'
