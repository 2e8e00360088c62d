"""The edge: CORS from settings, and an access log without query strings or bodies."""

from __future__ import annotations

import logging
from pathlib import Path

from http_api import Api, embedded_settings, open_api


async def test_cors_allows_only_configured_origins(tmp_path: Path) -> None:
    settings = embedded_settings(tmp_path, CORS_ALLOW_ORIGINS="https://app.example")
    async for api in open_api(settings):
        preflight = {
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        }
        allowed = await api.client.options(
            "/api/v1/clinics", headers={"Origin": "https://app.example", **preflight}
        )
        assert allowed.headers.get("access-control-allow-origin") == "https://app.example"
        other = await api.client.get("/health/live", headers={"Origin": "https://evil.example"})
        assert other.headers.get("access-control-allow-origin") is None


async def test_access_log_has_no_query_string_or_body(api: Api, caplog) -> None:
    headers = await api.super_admin()
    with caplog.at_level(logging.INFO, logger="entrypoints.http.access"):
        await api.client.get(
            "/api/v1/clinics?limit=5&cursor=secret-cursor", headers={**headers, "X-Request-ID": "log-1"}
        )
        await api.client.post(
            "/api/v1/users", json={"name": "Jane Doe", "email": "jane@example.com"}, headers=headers
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "entrypoints.http.access"]
    assert any("GET /api/v1/clinics 400" in line and "request_id=log-1" in line for line in lines), lines
    text = "\n".join(lines)
    assert "secret-cursor" not in text and "jane@example.com" not in text and "Jane" not in text
