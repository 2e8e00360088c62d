"""OpenTelemetry tracing of HTTP requests, an optional extra (`pip install clinic-backend[otel]`).

With TRACING_ENABLED the app gets Litestar's OpenTelemetry plugin: one server span per request,
named by route template (never by path, so ids stay out of span names), exported in batches to
TRACING_OTLP_ENDPOINT over OTLP/HTTP when it is set. Spans carry the route, method and status;
query strings and bodies are never recorded (they may hold codes, tokens or PHI).
"""

from __future__ import annotations

import re
from typing import Any

from entrypoints.config import Settings

# A path segment that is an id (a UUID, or digits) becomes {id} in span names and attributes.
ID_SEGMENT = re.compile(
    r"/(?:[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}|\d+)(?=/|$)"
)
URL_ATTRIBUTES = ("http.target", "http.url", "url.full", "url.path")


def templated(path: str) -> str:
    return ID_SEGMENT.sub("/{id}", path)


def _span_details(scope: Any) -> tuple[str, dict[str, str]]:
    path, method = templated(str(scope.get("path", ""))), str(scope.get("method", ""))
    return (f"{method} {path}" if method else path), {"http.route": path}


def _scrub(span: Any, scope: Any) -> None:
    """The instrumentation records the full URL, query string included; put the template in its
    place (a query string may carry a document link's token, a path a patient's id)."""
    if span is None or not span.is_recording():
        return
    path = templated(str(scope.get("path", "")))
    recorded = getattr(span, "attributes", None) or {}
    for name in URL_ATTRIBUTES:
        if name in recorded:
            span.set_attribute(name, path)
    if "url.query" in recorded:
        span.set_attribute("url.query", "")


class TracingUnavailable(RuntimeError):
    """TRACING_ENABLED without the `otel` extra installed."""


def tracing_plugins(settings: Settings, *, exporter: Any = None) -> list[Any]:
    """The Litestar plugins tracing needs (none when disabled). ``exporter`` overrides the OTLP
    exporter (tests pass an in-memory one)."""
    if not settings.tracing.enabled:
        return []
    try:
        from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError as missing:
        raise TracingUnavailable(
            "TRACING_ENABLED is true but OpenTelemetry is not installed: install the `otel` extra"
        ) from missing
    provider = TracerProvider(resource=Resource.create({"service.name": settings.tracing.service_name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif settings.tracing.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.tracing.otlp_endpoint))
        )
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        exclude=["/health", "/metrics"],
        scope_span_details_extractor=_span_details,
        server_request_hook_handler=_scrub,
    )
    return [OpenTelemetryPlugin(config)]
