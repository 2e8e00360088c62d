"""Prometheus metrics of one process, in a registry of its own (no global state between apps).

Exposed at ``GET /metrics``: requests by route template, method and status, their latency,
rate-limit refusals by limit, and the database pool's size and connections in use. Routes are
labelled by template (``/api/v1/clinics/{clinic_id}``), never by path, so ids never become
label values and the series stay few.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total", "HTTP requests.", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency.",
            ["route", "method"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "rate_limit_refusals_total",
            "Requests refused by a rate limit.",
            ["limit"],
            registry=self.registry,
        )
        self.pool_size = Gauge("db_pool_size", "Connections the database pool keeps.", registry=self.registry)
        self.pool_in_use = Gauge(
            "db_pool_checked_out", "Database connections in use.", registry=self.registry
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def watch_pool(self, size: Callable[[], float], in_use: Callable[[], float]) -> None:
        self.pool_size.set_function(size)
        self.pool_in_use.set_function(in_use)

    def render(self) -> bytes:
        return generate_latest(self.registry)
