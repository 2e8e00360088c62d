"""/metrics: requests by route template (never by id), latency, rate-limit refusals, pool use."""

from __future__ import annotations

from pathlib import Path

from http_api import Api, embedded_settings, open_api


async def test_metrics_count_requests_by_route_template(api: Api) -> None:
    clinic = await api.demo_clinic_id()
    await api.client.get(f"/api/v1/clinics/{clinic}", headers=await api.super_admin())
    await api.client.get("/nowhere/12345")
    text = (await api.client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/api/v1/clinics/{clinic_id}",status="200"} 1.0' in text
    assert 'route="unmatched",status="404"' in text
    assert clinic not in text and "12345" not in text
    assert "http_request_duration_seconds_bucket" in text
    assert "db_pool_checked_out" in text


async def test_rate_limit_refusals_are_counted(tmp_path: Path) -> None:
    async for api in open_api(embedded_settings(tmp_path, RATE_LIMIT_AUTH_REQUESTS_PER_MINUTE="1")):
        for _ in range(3):
            await api.client.post("/api/v1/auth/refresh", json={"refreshToken": "x"})
        text = (await api.client.get("/metrics")).text
        assert 'rate_limit_refusals_total{limit="auth-ip"} 2.0' in text
