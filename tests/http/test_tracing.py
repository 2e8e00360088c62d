"""OpenTelemetry tracing (the `otel` extra): one server span per request, named by route
template, with no query string, id or token in its name or attributes."""

from __future__ import annotations

from pathlib import Path

import pytest
from http_api import Api, embedded_settings
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.ioc.profiles import build_container

memory_exporter = pytest.importorskip("opentelemetry.sdk.trace.export.in_memory_span_exporter")


async def test_requests_are_traced_by_route_template_without_query_strings(tmp_path: Path) -> None:
    exporter = memory_exporter.InMemorySpanExporter()
    settings = embedded_settings(tmp_path, TRACING_ENABLED="true")
    container = build_container(settings)
    app = create_app(settings, container, span_exporter=exporter)
    async with AsyncTestClient(app=app) as client:
        api = Api(client=client, container=container, settings=settings)
        clinic, headers = await api.demo_clinic_id(), await api.super_admin()
        exporter.clear()
        answer = await client.get(f"/api/v1/clinics/{clinic}?token=secret-token-123", headers=headers)
        assert answer.status_code == 200
        await client.get("/health/live")
    spans = exporter.get_finished_spans()
    names = {span.name for span in spans}
    assert "GET /api/v1/clinics/{id}" in names, names
    dump = repr([(span.name, dict(span.attributes or {})) for span in spans])
    assert "secret-token-123" not in dump and clinic not in dump, dump
    assert not any("/health" in name for name in names)


def test_tracing_is_off_by_default(tmp_path: Path) -> None:
    from entrypoints.observability.tracing import tracing_plugins

    assert tracing_plugins(embedded_settings(tmp_path)) == []
