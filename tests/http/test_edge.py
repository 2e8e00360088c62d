"""The edge: CORS from settings, and an access log without query strings or bodies."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from http_api import Api, embedded_settings, open_api

from entrypoints.logging_setup import JsonFormatter


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


class JsonLines(logging.Handler):
    """Formats each record when it is emitted, inside the request's log context."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.lines: list[dict[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_json_log_lines_name_the_request_user_and_clinic(api: Api) -> None:
    headers, clinic = await api.demo_clinic_admin(), await api.demo_clinic_id()
    me = (await api.client.get("/api/v1/auth/me", headers=headers)).json()
    captured = JsonLines()
    access = logging.getLogger("entrypoints.http.access")
    access.addHandler(captured)
    level = access.level
    access.setLevel(logging.INFO)
    try:
        await api.client.get(f"/api/v1/clinics/{clinic}", headers={**headers, "X-Request-ID": "ctx-1"})
        await api.client.get("/api/v1/clinics/not-an-id", headers={**headers, "X-Request-ID": "ctx-2"})
        await api.client.get("/health/live", headers={"X-Request-ID": "ctx-3"})
    finally:
        access.removeHandler(captured)
        access.setLevel(level)
    lines = {line["requestId"]: line for line in captured.lines}
    assert lines["ctx-1"]["clinicId"] == clinic
    assert lines["ctx-1"]["userId"] == me["user"]["id"]
    assert "clinicId" not in lines["ctx-2"] and lines["ctx-2"]["userId"] == me["user"]["id"]
    assert "userId" not in lines["ctx-3"] and "clinicId" not in lines["ctx-3"]
