"""Liveness and readiness, against real dependencies."""

from __future__ import annotations

import socket
from pathlib import Path

from http_api import Api, assert_error, open_api, unreachable_production_settings


async def test_live_and_ready_on_the_embedded_profile(api: Api) -> None:
    assert (await api.client.get("/health/live")).status_code == 200
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_ready_names_every_dependency_that_is_down(tmp_path: Path) -> None:
    port = _closed_port()  # nothing listens there once the socket is closed
    settings = unreachable_production_settings(tmp_path, port)
    async for api in open_api(settings):
        response = await api.client.get("/health/ready")
        error = assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert error["details"] == {"database": "unavailable", "cache": "unavailable"}
        assert response.headers["retry-after"]


async def test_an_unreachable_database_is_503_with_retry_after_never_500(tmp_path: Path) -> None:
    from uuid import uuid4

    from application.ports.security import AccessTokens

    port = _closed_port()
    settings = unreachable_production_settings(
        tmp_path,
        port,
        DATABASE_RETRY_BASE_DELAY_MS="1",
        DATABASE_RETRY_MAX_DELAY_MS="5",
        APP_SEED_DEMO_DATA="false",
    )
    async for api in open_api(settings):
        token = (await api.container.get(AccessTokens)).issue(uuid4()).token
        headers = {"Authorization": f"Bearer {token}"}
        read = await api.client.get("/api/v1/clinics", headers=headers)
        assert_error(read, 503, "SERVICE_UNAVAILABLE")
        assert read.headers["retry-after"] == "2"
        write = await api.client.post(
            "/api/v1/clinics", json={"name": "X", "timeZone": "UTC"}, headers=headers
        )
        assert_error(write, 503, "SERVICE_UNAVAILABLE")
