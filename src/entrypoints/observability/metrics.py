"""Prometheus metrics of one process, in a registry of its own (no global state between apps).

Exposed at ``GET /metrics``: requests by route template, method and status, their latency,
rate-limit refusals by limit, the database pool's size and connections in use, the outbox's due
backlog and its oldest due message's age (read at each scrape, as the system), the PHI-read audit
entries waiting in this process's buffer, and this process's cache counters (hits by layer, stale
served, refreshes, loader errors, evictions) with the L2 circuit breaker's state. Routes are
labelled by template (``/api/v1/clinics/{clinic_id}``), never by path, so ids never become label
values and the series stay few.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

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
        self.outbox_due = Gauge(
            "outbox_due_messages",
            "Outbound messages due and not yet sent (scheduled ones excluded).",
            registry=self.registry,
        )
        self.outbox_oldest_due = Gauge(
            "outbox_oldest_due_age_seconds",
            "How long the oldest due message has waited.",
            registry=self.registry,
        )
        self.audit_buffer = Gauge(
            "audit_phi_read_buffer_entries",
            "PHI-read audit entries waiting to be written.",
            registry=self.registry,
        )

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def watch_pool(self, size: Callable[[], float], in_use: Callable[[], float]) -> None:
        self.pool_size.set_function(size)
        self.pool_in_use.set_function(in_use)

    def watch_audit_buffer(self, pending: Callable[[], float]) -> None:
        self.audit_buffer.set_function(pending)

    def watch_cache(self, stats: Callable[[], Mapping[str, int | str]]) -> None:
        """Export the counters ``stats`` returns (CacheStats.as_dict()) at every scrape."""
        self.registry.register(_CacheCollector(stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)


BREAKER_STATES = ("closed", "open", "half_open", "none")
CACHE_COUNTERS = {
    "stale_served": "Stale values served while a refresh ran.",
    "refreshes": "Background refreshes run.",
    "refresh_failures": "Background refreshes that failed (the stale value kept being served).",
    "loader_calls": "Loader calls on misses.",
    "loader_errors": "Loader calls that failed.",
    "lock_waits": "Waits on another process's loader lock.",
    "l1_evictions": "L1 entries evicted to stay within bounds.",
    "l1_drops": "Times L1 was dropped after losing the invalidation feed.",
    "l2_errors": "L2 calls that failed.",
    "invalidations": "Tag invalidations sent.",
    "breaker_opened": "Times the L2 circuit breaker opened.",
}


class _CacheCollector(Collector):
    def __init__(self, stats: Callable[[], Mapping[str, int | str]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        stats = self._stats()
        lookups = CounterMetricFamily(
            "cache_lookups", "Cache lookups by the layer that answered.", labels=["result"]
        )
        for result, key in (("l1_hit", "l1_hits"), ("l2_hit", "l2_hits"), ("miss", "misses")):
            lookups.add_metric([result], float(stats.get(key, 0)))
        yield lookups
        for key, text in CACHE_COUNTERS.items():
            yield CounterMetricFamily(f"cache_{key}", text, value=float(stats.get(key, 0)))
        yield GaugeMetricFamily("cache_l1_entries", "Entries in L1.", value=float(stats.get("l1_entries", 0)))
        yield GaugeMetricFamily("cache_l1_bytes", "Bytes held by L1.", value=float(stats.get("l1_bytes", 0)))
        breaker = GaugeMetricFamily(
            "cache_breaker_state", "The L2 circuit breaker's state (1 for the current one).", labels=["state"]
        )
        current = str(stats.get("breaker_state", "none"))
        for state in BREAKER_STATES:
            breaker.add_metric([state], 1.0 if state == current else 0.0)
        yield breaker
