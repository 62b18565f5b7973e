"""OpenTelemetry tracing: off unless configured (no middleware at all); on, a server span per request named by its
route template, continuing the caller's trace, with a child span per SQL statement."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from storegraph.app import create_app
from storegraph.platform.observability.tracing import TracingMiddleware
from tests.conftest import app_settings, services_of
from tests.support.factories import create_key, create_store

VIEWER = {"query": "{ viewer { keyId } }"}
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(scope="module")
async def traced(database_url: str, exporter: InMemorySpanExporter) -> AsyncIterator[FastAPI]:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    application = create_app(app_settings(database_url), tracing=provider)
    yield application
    await services_of(application).engine.dispose()


@pytest.fixture
async def http(traced: FastAPI, exporter: InMemorySpanExporter) -> AsyncIterator[httpx.AsyncClient]:
    exporter.clear()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=traced), base_url="http://t") as client:
        yield client


def middleware_of(app: FastAPI) -> list[type]:
    return [entry.cls for entry in app.user_middleware]  # type: ignore[misc]


def test_tracing_is_off_by_default_with_no_middleware_installed(app):
    assert services_of(app).tracer_provider is None
    assert TracingMiddleware not in middleware_of(app)


async def test_an_otlp_endpoint_turns_tracing_on(database_url):
    configured = create_app(app_settings(database_url, otel_exporter_otlp_endpoint="http://127.0.0.1:4318"))
    provider = services_of(configured).tracer_provider
    try:
        assert provider is not None
        assert TracingMiddleware in middleware_of(configured)
    finally:
        if provider is not None:
            provider.shutdown()
        await services_of(configured).engine.dispose()


async def test_a_request_gets_a_server_span_named_by_its_route_template(http, exporter, session):
    key = await create_key(session, await create_store(session))
    await session.commit()

    response = await http.get("/v1/customers/12345", headers=key.headers)

    servers = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.SERVER]
    assert [span.name for span in servers] == ["GET /v1/customers/{id}"]
    attributes = servers[0].attributes or {}
    assert attributes["http.route"] == "/v1/customers/{id}"
    assert attributes["http.response.status_code"] == 404
    assert attributes["storegraph.request_id"] == response.headers["x-request-id"]


async def test_a_graphql_span_names_its_operation_type_and_continues_the_callers_trace(http, exporter, session):
    key = await create_key(session, await create_store(session))
    await session.commit()

    await http.post("/graphql", json=VIEWER, headers={**key.headers, "traceparent": PARENT})

    server = next(span for span in exporter.get_finished_spans() if span.kind is SpanKind.SERVER)
    assert server.name == "POST /graphql"
    assert (server.attributes or {})["graphql.operation.type"] == "query"
    assert format(server.context.trace_id, "032x") == TRACE_ID


async def test_each_sql_statement_is_a_child_span_of_its_request_without_its_values(http, exporter, session):
    key = await create_key(session, await create_store(session))
    await session.commit()

    await http.post("/graphql", json=VIEWER, headers=key.headers)

    spans = exporter.get_finished_spans()
    server = next(span for span in spans if span.kind is SpanKind.SERVER)
    statements = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert statements  # the key lookup at least
    assert all(span.parent is not None and span.parent.span_id == server.context.span_id for span in statements)
    assert all(key.token not in str(span.attributes) for span in statements)
