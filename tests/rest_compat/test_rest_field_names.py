"""REST errors name what the client sent: the query parameter, path parameter or body field (``since``, ``q``,
``events.1.occurred_at``), never the GraphQL variable, argument or input field behind it, with a sentence written
for the client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rest_compat.names import camel_case
from rest_compat.openapi.document import compiled_table
from tests.support.factories import Key, create_key, create_store
from tests.support.tracking_support import PublicKey, create_public_key, post_signed

COMPILED = {row.endpoint.name: row for row in compiled_table()[1]}
# What a message written for a GraphQL client says, and a REST client must never read.
GRAPHQL_WORDS = ("Variable", "$", "filter", "input", "Expected value of type")


@pytest.fixture
async def key(session) -> Key:
    store = await create_store(session)
    created = await create_key(session, store)
    await session.commit()
    return created


@pytest.fixture
async def public_key(session) -> PublicKey:
    store = await create_store(session)
    created = await create_public_key(session, store)
    await session.commit()
    return created


def only_detail(response: httpx.Response) -> dict[str, str]:
    """The one detail of a ``validation_error``, whose message is the error's and speaks REST."""
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    [detail] = error["details"]
    assert error["message"] == detail["message"]
    for word in GRAPHQL_WORDS:
        assert word not in detail["message"], detail
    return dict(detail)


# --- every row ----------------------------------------------------------------------------------------------------


def row_targets() -> list[tuple[str, str, str]]:
    """(row, REST name, GraphQL target) for every path, query and body value of the table."""
    found: list[tuple[str, str, str]] = []
    for name, compiled in COMPILED.items():
        row = compiled.endpoint
        found.extend((name, rest, target) for rest, target in row.path_vars.items())
        if row.query is not None:
            found.extend(
                (name, row.query.model_fields[field].alias or field, target) for field, target in row.query_vars.items()
            )
        if row.body is not None and row.body_var is None:
            found.extend((name, field, target) for field, target in row.body_vars.items())
        elif row.body is not None:
            found.extend(
                (name, field, f"{row.body_var}.{camel_case(field)}")
                for field in row.body.model_fields
                if field not in row.body_ignored
            )
    return found


@pytest.mark.parametrize(("row", "rest", "target"), row_targets(), ids=lambda value: str(value))
def test_every_variable_target_of_the_table_maps_back_to_its_rest_name(row, rest, target):
    assert COMPILED[row].names.variable_path(target.split(".")) == rest


@pytest.mark.parametrize(
    ("row", "graphql_field", "rest"),
    [
        ("ListOrders", "filter.since", "since"),
        ("ListOrders", "filter.customerId", "customer_id"),
        ("ListOrders", "first", "limit"),
        ("ListOrders", "after", "cursor"),
        ("ListProducts", "filter.search", "q"),
        ("ListCustomers", "filter.phone", "phone"),
        ("GetEventCounts", "from", "from"),
        ("UpdateProduct", "comparePrice", "compare_price"),
        ("UpdateProduct", "id", "id"),
        ("TrackEvents", "occurredAt", "occurred_at"),
        ("TrackEvents", "events.3.occurredAt", "events.3.occurred_at"),
        ("TrackEvents", "events[3].properties.myKey", "events.3.properties.myKey"),
        ("UpdateStore", "metadata.myKey", "metadata.myKey"),
        ("UpdateStore", "settings.list[1].deep", "settings.list[1].deep"),
        ("ListWebhookDeliveries", "subscriptionId", "id"),
        ("RedeliverWebhook", "subscriptionId", "id"),
        ("RedeliverWebhook", "deliveryId", "delivery_id"),
        ("CreateKey", "allowedOrigins", "allowed_origins"),
    ],
)
def test_a_field_graphql_names_is_reported_by_its_rest_name(row, graphql_field, rest):
    assert COMPILED[row].names.field(graphql_field) == rest


@pytest.mark.parametrize(
    ("row", "message", "rest"),
    [
        ("UpdateOrder", "give a status, a paymentStatus or both", "give a status, a payment_status or both"),
        (
            "UpdateOrder",
            "Cannot change paymentStatus from paid to failed.",
            "Cannot change payment_status from paid to failed.",
        ),
        ("ListProducts", "filter.search: control characters are not allowed", "q: control characters are not allowed"),
        ("CreateKey", "allowedOrigins is for public keys only", "allowed_origins is for public keys only"),
        ("RedeliverWebhook", "deliveryId dlv_1 is not one of subscriptionId's", "delivery_id dlv_1 is not one of id's"),
        # English words, even capitalised or dotted, are not fields.
        ("CreateLandingPage", "Product with ID 5 not found, e.g. Status.", "Product with ID 5 not found, e.g. Status."),
        ("UpdateOrder", "Status: the status is unchanged", "Status: the status is unchanged"),
    ],
)
def test_a_message_mentions_the_rows_fields_by_their_rest_names(row, message, rest):
    assert COMPILED[row].names.mentions(message) == rest


# --- query parameters ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "since",
    [
        "0001-01-01T00:00:00+01:00",
        "0001-01-01 00:00:00+00:01",
        "9999-12-31T23:59:59-01:00",
        "9999-12-31T23:30:00-00:31",
    ],
)
async def test_a_since_out_of_range_once_in_utc_names_since(client, key, since):
    response = await client.get("/v1/orders", params={"since": since}, headers=key.headers)

    detail = only_detail(response)
    assert (detail["field"], detail["code"]) == ("since", "out_of_range")
    assert detail["message"].startswith("since is out of range")


@pytest.mark.parametrize(
    ("path", "params", "field", "code"),
    [
        ("/v1/products", {"q": "a\x00b"}, "q", "invalid"),
        ("/v1/customers", {"phone": "0555\x00"}, "phone", "invalid"),
        ("/v1/customers", {"email": "a\x01@example.dz"}, "email", "invalid"),
        ("/v1/events/counts", {"from": "2026-05-02", "to": "2026-05-01"}, "from", "out_of_range"),
        ("/v1/events/counts", {"from": "2024-01-01", "to": "2026-01-01"}, "to", "out_of_range"),
    ],
    ids=["q", "phone", "email", "from_after_to", "span"],
)
async def test_a_query_parameter_the_operation_refuses_is_named_as_sent(client, key, path, params, field, code):
    response = await client.get(path, params=params, headers=key.headers)

    detail = only_detail(response)
    assert (detail["field"], detail["code"]) == (field, code)
    assert field in detail["message"]


# --- bodies -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"event": "page_view", "occurred_at": "9999-12-31T23:59:59-01:00"}, "occurred_at", "out_of_range"),
        ({"event": "page_view", "occurred_at": "1999-12-31 23:59:59"}, "occurred_at", "out_of_range"),
        (
            {"events": [{"event": "a"}, {"event": "b", "occurred_at": "0001-01-01T00:00:00+05:00"}]},
            "events.1.occurred_at",
            "out_of_range",
        ),
        (
            {"events": [{"event": "a"}, {"event": "b", "properties": {"myKey": 1e308}}]},
            "events.1.properties.myKey",
            "out_of_range",
        ),
    ],
    ids=["occurred_at_beyond_9999", "occurred_at_before_2000", "batch_before_year_1", "batch_property"],
)
async def test_an_event_field_the_operation_refuses_is_named_as_sent(client, public_key, body, field, code):
    response = await post_signed(client, "/v1/events", public_key, body)

    detail = only_detail(response)
    assert (detail["field"], detail["code"]) == (field, code)
    assert detail["message"].startswith(field)


async def test_a_json_key_keeps_its_case_in_the_field_name(client, key):
    response = await client.patch(
        "/v1/store", json={"metadata": {"myKey": 2**64}}, headers={**key.headers, "Idempotency-Key": "field-names-1"}
    )

    detail = only_detail(response)
    assert (detail["field"], detail["code"]) == ("metadata.myKey", "out_of_range")


# --- any since ----------------------------------------------------------------------------------------------------

MOMENTS = st.builds(
    lambda moment, offset: moment.replace(tzinfo=timezone(offset)).isoformat(),
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1, 1, 2)),
        st.datetimes(min_value=datetime(9999, 12, 30), max_value=datetime(9999, 12, 31, 23, 59, 59)),
        st.datetimes(),
    ),
    st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23, minutes=59)).map(
        lambda offset: timedelta(minutes=offset // timedelta(minutes=1))
    ),
)


def check_any_since(send: Callable[[str], httpx.Response]) -> None:
    @settings(
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(since=MOMENTS)
    def check(since: str) -> None:
        response = send(since)
        if response.status_code == 200:
            moment = datetime.fromisoformat(since).astimezone(UTC)
            assert datetime(1, 1, 1, tzinfo=UTC) <= moment <= datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
            return
        detail = only_detail(response)
        assert (detail["field"], detail["code"]) == ("since", "out_of_range"), (since, detail)

    check()


async def test_any_since_with_an_offset_is_answered_or_refused_by_its_rest_name(app, key):
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://storegraph.test") as http:

        async def request(since: str) -> httpx.Response:
            return await http.get("/v1/orders", params={"since": since}, headers=key.headers)

        def send(since: str) -> httpx.Response:
            return asyncio.run_coroutine_threadsafe(request(since), loop).result(timeout=30)

        # Hypothesis runs synchronously, in a thread; the requests run on the app's loop.
        await asyncio.to_thread(check_any_since, send)
