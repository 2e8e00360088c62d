"""/metrics: requests by route template (never by id), latency, rate-limit refusals, pool use,
cache hits by layer and the breaker state."""

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


def sample(text: str, name: str) -> float:
    """The value of the sample line that starts with ``name`` (labels included)."""
    for line in text.splitlines():
        if line.rsplit(" ", 1)[0] == name:
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


async def test_cache_hits_by_layer_and_breaker_state_are_exported(api: Api) -> None:
    clinic, headers = await api.demo_clinic_id(), await api.super_admin()
    before = (await api.client.get("/metrics")).text
    for _ in range(3):
        assert (await api.client.get(f"/api/v1/clinics/{clinic}", headers=headers)).status_code == 200
    after = (await api.client.get("/metrics")).text
    hits = 'cache_lookups_total{result="l1_hit"}'
    assert sample(after, hits) >= sample(before, hits) + 2  # the clinic, read three times
    assert sample(after, 'cache_breaker_state{state="none"}') == 1.0  # embedded: no L2, no breaker
    assert sample(after, "cache_l1_entries") >= 1
    assert "cache_loader_errors_total" in after


async def test_outbox_backlog_and_audit_buffer_are_exported(api: Api) -> None:
    """A requested sign-in code is due at once: until the in-process relay sends it, it is backlog."""
    text = (await api.client.get("/metrics")).text
    assert sample(text, "outbox_due_messages") >= 0
    assert sample(text, "outbox_oldest_due_age_seconds") >= 0
    assert sample(text, "audit_phi_read_buffer_entries") >= 0


async def test_a_due_message_shows_in_the_backlog(tmp_path: Path) -> None:
    # The in-process relay polls rarely here, so the message stays due long enough to be seen.
    settings = embedded_settings(tmp_path, APP_OUTBOX_POLL_SECONDS="3600")
    async for api in open_api(settings):
        requested = await api.client.post(
            "/api/v1/auth/request-otp", json={"email": "clinic.admin@demo.clinic", "deliveryMethod": "email"}
        )
        assert requested.status_code == 202
        text = (await api.client.get("/metrics")).text
        assert sample(text, "outbox_due_messages") == 1.0
