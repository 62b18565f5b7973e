"""The process's Prometheus metrics, owned by the app object: one ``CollectorRegistry`` per ``AppMetrics``, never
prometheus-client's global default registry, so two apps in one process (the tests) never count into each other.

Recording a request is on every request's path, so the request counts and latencies are plain numbers in one
dictionary, keyed by the request's labels, turned into Prometheus's counter and histogram only when scraped
(``RequestTable``): one look-up, a bisection and two additions per request, with no lock, since only the event
loop's thread records and scrapes. Every label value is of the server's making (a route template, an operation
type, a status, a method from a fixed list, a job kind or a reason from the code), so the number of series is
bounded whatever clients send.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

# Seconds; from a key-cache hit answered in a millisecond to a slow export.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Any other method a client sends is counted as "other": methods are free text in HTTP.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER = "other"
INF = float("inf")

RequestKey = tuple[str, str, str, int]


class RequestTable:
    """Requests by (method, route, operation, status): per key, how many fell in each latency bucket (the last slot
    but one is +Inf) and, last, the sum of their seconds. A collector: scraping reads it as the requests counter and
    the latency histogram (without the status, which would multiply its series)."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self._bounds = buckets
        self._series: dict[RequestKey, list[float]] = {}

    def observe(self, method: str, route: str, operation: str, status: int, seconds: float) -> None:
        key = (method if method in KNOWN_METHODS else OTHER, route, operation, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = [0.0] * (len(self._bounds) + 2)
        series[bisect_left(self._bounds, seconds)] += 1
        series[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "storegraph_http_requests",
            "HTTP requests answered, by method, route template, GraphQL operation type and status.",
            labels=("method", "route", "operation", "status"),
        )
        latency: defaultdict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0] * (len(self._bounds) + 2))
        for (method, route, operation, status), series in self._series.items():
            requests.add_metric((method, route, operation, str(status)), sum(series[:-1]))
            merged = latency[(method, route, operation)]
            for slot, value in enumerate(series):
                merged[slot] += value
        yield requests
        histogram = HistogramMetricFamily(
            "storegraph_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte, by method, route template and operation type.",
            labels=("method", "route", "operation"),
        )
        for labels, series in latency.items():
            cumulative, buckets = 0.0, []
            for bound, count in zip((*self._bounds, INF), series[:-1], strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == INF else repr(bound), cumulative))
            histogram.add_metric(labels, buckets, series[-1])
        yield histogram


class AppMetrics:
    """Every metric one app (or one standalone worker) exposes, and its registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = RequestTable()
        self.registry.register(self.requests)
        self._refusals = Counter(
            "storegraph_rate_limit_refusals",
            "Requests refused with 429, by reason: rate_limited, quota_exceeded, throttled (query-cost bucket).",
            ("reason",),
            registry=self.registry,
        )
        self._refusal_children: dict[str, Counter] = {}
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

    def observe_request(self, method: str, route: str, operation: str, status: int, seconds: float) -> None:
        self.requests.observe(method, route, operation, status, seconds)

    def refused(self, reason: str) -> None:
        # Each 429 lands here: the reason's child is looked up (validated, under the metric's lock) once, not per
        # refusal. Reasons are the code's few names, so the dictionary stays small.
        child = self._refusal_children.get(reason)
        if child is None:
            child = self._refusal_children[reason] = self._refusals.labels(reason)
        child.inc()

    def job_settled(self, kind: str, outcome: str) -> None:
        self._jobs.labels(kind, outcome).inc()

    def webhook_delivery(self, outcome: str) -> None:
        self._webhooks.labels(outcome).inc()

    def add_collector(self, collector: Collector) -> None:
        """A collector read at scrape time (queue depth, the database pool)."""
        self.registry.register(collector)
