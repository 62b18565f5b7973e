"""GET /metrics: the app's own Prometheus registry, requests counted by route template (never the raw path), 429s by
reason, the job queue's depth and the database pool read at scrape time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from db.models import Job as JobRow
from storegraph.app import create_app
from storegraph.platform.limits.plans import Plan
from storegraph.platform.observability.metrics import AppMetrics
from tests.conftest import app_settings, services_of
from tests.support.factories import create_customer, create_key, create_store
from tests.support.redis_apps import client_of, redis_app

ONE_A_MINUTE = Plan(requests_per_minute=1, requests_per_month=None, signups_per_month=None, webhooks_per_month=None)
VIEWER = {"query": "{ viewer { keyId } }"}


@pytest.fixture(scope="module")
async def metered(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(app_settings(database_url, plans={"one_a_minute": ONE_A_MINUTE}))
    yield application
    await services_of(application).engine.dispose()


@pytest.fixture
async def http(metered: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=metered)
    async with httpx.AsyncClient(transport=transport, base_url="http://storegraph.test") as client:
        yield client


def sample(app: FastAPI, name: str, **labels: str) -> float:
    value = services_of(app).metrics.registry.get_sample_value(name, labels)
    return value or 0.0


def requests(app: FastAPI, route: str, status: str, method: str = "GET", operation: str = "") -> float:
    labels = {"method": method, "route": route, "operation": operation, "status": status}
    return sample(app, "storegraph_http_requests_total", **labels)


async def test_metrics_are_served_without_a_key_in_the_prometheus_text_format(http):
    response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert {"storegraph_http_requests", "storegraph_http_request_duration_seconds"} <= names


async def test_a_rest_request_is_counted_under_its_route_template_not_its_path(metered, http, session):
    store = await create_store(session)
    key = await create_key(session, store)
    customer = await create_customer(session, store)
    await session.commit()
    before = requests(metered, "/v1/customers/{id}", "200")

    response = await http.get(f"/v1/customers/{customer.id}", headers=key.headers)

    assert response.status_code == 200
    assert requests(metered, "/v1/customers/{id}", "200") == before + 1
    text = (await http.get("/metrics")).text
    assert f"/v1/customers/{customer.id}" not in text


async def test_a_request_refused_before_routing_is_still_counted_under_its_template(metered, http):
    before = requests(metered, "/v1/customers/{id}", "401")

    response = await http.get("/v1/customers/12345")

    assert response.status_code == 401
    assert requests(metered, "/v1/customers/{id}", "401") == before + 1


async def test_a_graphql_request_is_counted_with_its_operation_type(metered, http, session):
    key = await create_key(session, await create_store(session))
    await session.commit()
    before = requests(metered, "/graphql", "200", method="POST", operation="query")

    response = await http.post("/graphql", json=VIEWER, headers=key.headers)

    assert response.status_code == 200
    assert requests(metered, "/graphql", "200", method="POST", operation="query") == before + 1


async def test_a_path_no_route_serves_is_counted_as_unmatched(metered, http):
    before = requests(metered, "unmatched", "404")

    await http.get("/no/such/path/0555123456")

    assert requests(metered, "unmatched", "404") == before + 1


async def test_a_request_over_the_rate_limit_is_counted_as_a_refusal_by_reason(metered, http, session):
    key = await create_key(session, await create_store(session, plan="one_a_minute"))
    await session.commit()
    before = sample(metered, "storegraph_rate_limit_refusals_total", reason="rate_limited")

    statuses = [(await http.post("/graphql", json=VIEWER, headers=key.headers)).status_code for _ in range(2)]

    assert statuses == [200, 429]
    assert sample(metered, "storegraph_rate_limit_refusals_total", reason="rate_limited") == before + 1


async def test_the_latency_histogram_counts_each_request(metered, http):
    labels = {"method": "GET", "route": "/healthz", "operation": ""}
    before = sample(metered, "storegraph_http_request_duration_seconds_count", **labels)

    await http.get("/healthz")

    assert sample(metered, "storegraph_http_request_duration_seconds_count", **labels) == before + 1


async def test_the_job_queue_depth_is_read_at_scrape_time(metered, http):
    queue = services_of(metered).job_queue
    before = await queue.pending()
    await queue.enqueue_many([("test.metrics", {"n": 1}), ("test.metrics", {"n": 2})])

    try:
        await http.get("/metrics")
    finally:
        async with services_of(metered).engine.begin() as connection:
            await connection.execute(delete(JobRow).where(JobRow.kind == "test.metrics"))

    assert sample(metered, "storegraph_job_queue_depth", backend="database") == before + 2


async def test_the_database_pool_is_read_at_scrape_time(metered, http):
    await http.get("/metrics")

    assert sample(metered, "storegraph_db_pool_size") == services_of(metered).engine.pool.size()  # type: ignore[attr-defined]
    assert sample(metered, "storegraph_db_pool_checked_out") >= 0


async def test_two_apps_never_count_into_each_other(database_url, metered, http):
    other = create_app(app_settings(database_url))
    try:
        await http.get("/healthz")

        assert requests(other, "/healthz", "200") == 0
    finally:
        await services_of(other).engine.dispose()


async def test_a_metrics_token_is_required_when_one_is_set(database_url):
    guarded = create_app(app_settings(database_url, metrics_token="scrape-me"))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guarded), base_url="http://t") as client:
            refused = await client.get("/metrics")
            allowed = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    finally:
        await services_of(guarded).engine.dispose()

    assert refused.status_code == 401
    assert allowed.status_code == 200


async def test_metrics_can_be_turned_off(database_url):
    silent = create_app(app_settings(database_url, metrics_enabled=False))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=silent), base_url="http://t") as client:
            response = await client.get("/metrics")
    finally:
        await services_of(silent).engine.dispose()

    assert response.status_code == 404


def test_the_latency_histogram_puts_a_value_on_a_bound_in_that_bucket_and_sums_across_statuses():
    metrics = AppMetrics()
    metrics.observe_request("GET", "/v1/x", "", 200, 0.001)
    metrics.observe_request("GET", "/v1/x", "", 404, 0.0011)
    metrics.observe_request("BREW", "/v1/x", "", 200, 99.0)

    def bucket(le: str, method: str = "GET") -> float:
        labels = {"method": method, "route": "/v1/x", "operation": "", "le": le}
        return metrics.registry.get_sample_value("storegraph_http_request_duration_seconds_bucket", labels) or 0.0

    assert (bucket("0.001"), bucket("0.0025"), bucket("+Inf")) == (1, 2, 2)
    assert bucket("30.0", method="other") == 0
    assert bucket("+Inf", method="other") == 1
    total = metrics.registry.get_sample_value(
        "storegraph_http_request_duration_seconds_sum", {"method": "GET", "route": "/v1/x", "operation": ""}
    )
    assert total == pytest.approx(0.0021)


def test_refusals_count_under_their_own_reason_each_time():
    metrics = AppMetrics()

    for reason in ("rate_limited", "throttled", "rate_limited", "rate_limited"):
        metrics.refused(reason)

    def refusals(reason: str) -> float:
        return metrics.registry.get_sample_value("storegraph_rate_limit_refusals_total", {"reason": reason}) or 0.0

    assert (refusals("rate_limited"), refusals("throttled"), refusals("quota_exceeded")) == (3, 1, 0)


async def test_metrics_answer_another_method_with_405_in_the_envelope(http):
    response = await http.post("/metrics")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_the_redis_job_queue_depth_is_read_at_scrape_time(database_url):
    async with redis_app(database_url) as application, client_of(application) as client:
        await services_of(application).job_queue.enqueue_many([("test.metrics", {"n": n}) for n in range(3)])

        await client.get("/metrics")

        assert sample(application, "storegraph_job_queue_depth", backend="redis") == 3


async def test_a_rate_limit_refusal_on_redis_is_counted_by_reason_too(database_url, session):
    key = await create_key(session, await create_store(session, plan="one_a_minute"))
    await session.commit()
    async with (
        redis_app(database_url, plans={"one_a_minute": ONE_A_MINUTE}) as application,
        client_of(application) as client,
    ):
        statuses = [(await client.post("/graphql", json=VIEWER, headers=key.headers)).status_code for _ in range(2)]

        assert statuses == [200, 429]
        assert sample(application, "storegraph_rate_limit_refusals_total", reason="rate_limited") == 1
