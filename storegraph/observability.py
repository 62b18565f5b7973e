"""The app's metrics, logs and traces put together (docs/operations.md): what is measured at scrape time, the
middleware and the ``/metrics`` route, and the tracer provider when tracing is configured."""

from __future__ import annotations

from fastapi import FastAPI
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from storegraph.platform.jobs.queue import JobQueue
from storegraph.platform.observability.collectors import PoolCollector, QueueDepthCollector
from storegraph.platform.observability.endpoint import METRICS_PATH, MetricsEndpoint
from storegraph.platform.observability.metrics import AppMetrics
from storegraph.platform.observability.middleware import RouteOf
from storegraph.platform.observability.tracing import TracingMiddleware, trace_statements
from storegraph.settings import Settings

TRACES_PATH = "/v1/traces"


def install_metrics(
    app: FastAPI, settings: Settings, metrics: AppMetrics, engine: AsyncEngine, queue: JobQueue
) -> None:
    """The scrape-time collectors and the ``/metrics`` route (unless METRICS_ENABLED is false)."""
    depth = QueueDepthCollector(queue, "redis" if settings.uses_redis_queue else "database")
    metrics.add_collector(depth)
    metrics.add_collector(PoolCollector(engine))
    if settings.metrics_enabled:
        endpoint = MetricsEndpoint(metrics, [depth], token=settings.metrics_token)
        app.router.routes.append(Route(METRICS_PATH, endpoint, methods=["GET"]))


def add_tracing_middleware(app: FastAPI, route_of: RouteOf, provider: TracerProvider | None) -> None:
    """Outermost, so that its span covers every other middleware; nothing at all when tracing is off."""
    if provider is not None:
        app.add_middleware(TracingMiddleware, tracer=provider.get_tracer("storegraph"), route_of=route_of)


def tracer_provider(settings: Settings) -> TracerProvider | None:
    """The provider that exports to ``OTEL_EXPORTER_OTLP_ENDPOINT`` over OTLP/HTTP, or None when tracing is off."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + TRACES_PATH
    provider = TracerProvider(resource=Resource.create({"service.name": settings.otel_service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return provider


def trace_database(engine: AsyncEngine, provider: TracerProvider | None) -> None:
    if provider is not None:
        trace_statements(engine.sync_engine, provider.get_tracer("storegraph.sql"), engine.dialect.name)
