"""Layered request limits over HTTP: a noisy caller is refused, a quiet one is not."""

from __future__ import annotations

from pathlib import Path

from http_api import assert_error, embedded_settings, open_api


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
