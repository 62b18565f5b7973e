"""The process's Prometheus metrics, owned by the app object: one ``CollectorRegistry`` per ``AppMetrics``, never
prometheus-client's global default registry, so two apps in one process (the tests) never count into each other.

Recording a request is on every request's path, so it is kept to two dictionary look-ups and two increments: the
labelled children are made once per label combination and kept (``labels()`` validates and locks on each call).
Every label value is of the server's making (a route template, an operation type, a status, a method from a fixed
list, a job kind or a reason from the code), so the number of series is bounded whatever clients send.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector

# Seconds; from a key-cache hit answered in a millisecond to a slow export.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Any other method a client sends is counted as "other": methods are free text in HTTP.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"

_Series = tuple[Any, Any]


class AppMetrics:
    """Every metric one app (or one standalone worker) exposes, and its registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "storegraph_http_requests",
            "HTTP requests answered, by method, route template, GraphQL operation type and status.",
            ("method", "route", "operation", "status"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "storegraph_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte, by method, route template and operation type.",
            ("method", "route", "operation"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._refusals = Counter(
            "storegraph_rate_limit_refusals",
            "Requests refused with 429, by reason: rate_limited, quota_exceeded, throttled (query-cost bucket).",
            ("reason",),
            registry=self.registry,
        )
        self._jobs = Counter(
            "storegraph_jobs",
            "Background jobs settled, by kind and outcome: completed, retried, dead_lettered, released (handed back "
            "to the queue by a stopping worker).",
            ("kind", "outcome"),
            registry=self.registry,
        )
        self._webhooks = Counter(
            "storegraph_webhook_deliveries",
            "Webhook delivery attempts, by outcome: delivered, retrying, failed (not retried: refused by the receiver "
            "or given up), over_quota, skipped (subscription deleted or disabled, event gone).",
            ("outcome",),
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, str, int], _Series] = {}

    def observe_request(self, method: str, route: str, operation: str, status: int, seconds: float) -> None:
        key = (method, route, operation, status)
        series = self._series.get(key)
        if series is None:
            shown = method if method in KNOWN_METHODS else OTHER
            series = self._series[key] = (
                self._requests.labels(shown, route, operation, str(status)),
                self._latency.labels(shown, route, operation),
            )
        series[0].inc()
        series[1].observe(seconds)

    def refused(self, reason: str) -> None:
        self._refusals.labels(reason).inc()

    def job_settled(self, kind: str, outcome: str) -> None:
        self._jobs.labels(kind, outcome).inc()

    def webhook_delivery(self, outcome: str) -> None:
        self._webhooks.labels(outcome).inc()

    def add_collector(self, collector: Collector) -> None:
        """A collector read at scrape time (queue depth, the database pool)."""
        self.registry.register(collector)
