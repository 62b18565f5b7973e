"""The request schemas the OpenAPI document publishes say what /v1 enforces.

Probes of every body and query field are sent to the server: a request that fits the published schema is never a
``validation_error``, and one that breaks it always is, named by the REST field in a sentence for a client. The few
exceptions are listed here by what they are: a spelling the server reads beyond the schema's (``YYYY-MM-DD
HH:MM:SS``), or a rule JSON Schema cannot state, which the endpoint's or the field's description states instead.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest

from resolvers.tracking import MAX_DAYS
from rest_compat.openapi.document import generated_document
from storegraph.platform.money import MAX_MONEY
from storegraph.rules.catalog.products import MAX_DESCRIPTION, MAX_NAME, MAX_STOCK
from tests.support.factories import (
    Key,
    create_customer,
    create_key,
    create_order,
    create_product,
    create_store,
    create_webhook_subscription,
)
from tests.support.tracking_support import PublicKey, create_public_key, post_signed

DOCUMENT = generated_document()
# A probe that leaves the field out of the request.
LEFT_OUT = object()
# Words of pydantic's own messages, which a client must never read.
PYDANTIC_WORDS = ("Input should", "should have", "String should", "Value error", "valid integer", "zero time")
_stamps = itertools.count()


def _now(days: float = 0, *, sep: str = "T", zone: str = "Z") -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + zone


def _nested(depth: int) -> Any:
    """A JSON value ``depth`` objects deep, counting the field's own object."""
    value: Any = "bottom"
    for _ in range(depth - 1):
        value = {"k": value}
    return value


@dataclass(frozen=True)
class Group:
    """Probes of one endpoint: each value of ``probes`` replaces its field in ``base`` (a body, or query values)."""

    name: str
    operation: str
    probes: Mapping[str, list[Any]]
    base: Mapping[str, Any] = field(default_factory=dict)
    # Values the server reads although the schema does not (a spelling it accepts besides the schema's).
    read_beyond: frozenset[tuple[str, Any]] = frozenset()
    # Values that fit the schema but break a rule it cannot state (stated in the descriptions instead).
    refused_beyond: frozenset[tuple[str, Any]] = frozenset()


TEXT_PROBES = ["Linen", "", "   ", "a\x00b", "tab\there", "x" * MAX_NAME, "x" * (MAX_NAME + 1), None, 42, LEFT_OUT]
INTEGER_PROBES = [0, 3, 3.0, 3.5, -1, MAX_STOCK, MAX_STOCK + 1, 2**31, 1e300, True, "3", None, LEFT_OUT]
MONEY_PROBES = [0, 1500, 1500.0, 1500.5, -1, MAX_MONEY, MAX_MONEY + 1, True, "1500", None, LEFT_OUT]
PRODUCT_PROBES: dict[str, list[Any]] = {
    "name": TEXT_PROBES,
    "price": MONEY_PROBES,
    "description": ["", "a\x01b", "x" * MAX_DESCRIPTION, "x" * (MAX_DESCRIPTION + 1), None, LEFT_OUT],
    "sku": ["", "  ", "PROBE-SKU", "x" * 64, "x" * 65, "a\x02", None, LEFT_OUT],
    "stock_quantity": INTEGER_PROBES,
    "low_stock_alert": INTEGER_PROBES,
    "track_stock": [True, False, "yes", 1, None, LEFT_OUT],
    "status": ["active", "archived", "ACTIVE", "published", None, LEFT_OUT],
    "compare_price": [10, 10.0, -1, "10", None, LEFT_OUT],
    "cost_price": [10, 10.5, None, LEFT_OUT],
}
LIMIT_PROBES = ["1", "200", "0", "201", "-1", "20.0", " 20", "2_0", "+20", "abc", ""]

GROUPS = [
    Group("create product", "CreateProduct", PRODUCT_PROBES, {"name": "Probe", "price": 1500}),
    Group("update product", "UpdateProduct", PRODUCT_PROBES),
    Group(
        "create landing page",
        "CreateLandingPage",
        {
            "title": ["Summer", "", "  ", "a\x00", "x" * 100, "x" * 101, None, 42, LEFT_OUT],
            "slug": ["summer-2026", "a", "x" * 200, "x" * 201, "Summer", "a--b", "-a", "a_b", "", None, LEFT_OUT],
            "product_id": [1.0, 0, -1, "1", None, 2**63, LEFT_OUT],
            "content": ["", "<p>Hi</p>", "a\x00", None],
            "status": ["published", "active", None],
        },
        {"title": "Probe"},
    ),
    Group(
        "update order",
        "UpdateOrder",
        {
            "status": ["confirmed", "bogus", "CONFIRMED", None, LEFT_OUT],
            "payment_status": ["paid", "PAID", None],
            "note": ["", "x" * 1000, "x" * 1001, "a\x00", None],
        },
        {"status": "cancelled"},
    ),
    Group(
        "update store",
        "UpdateStore",
        {
            "name": ["Shop", "", " ", "x" * 100, "x" * 101, "a\x00", None],
            "settings": [
                {},
                {"theme": "dark"},
                {"delivery_fees": {"home": 400, "desk": 300}},
                {"delivery_fees": {"home": 400.0}},
                {"delivery_fees": {"home": 400.5}},
                {"delivery_fees": {"home": -1}},
                {"delivery_fees": {"home": "400"}},
                {"delivery_fees": {"bike": 100}},
                {"delivery_fees": {"home": None}},
                {"delivery_fees": None},
                {"delivery_fees": 400},
                [],
                None,
            ],
            "metadata": [
                {"k": _nested(11)},
                {"k": _nested(8)},
                {"k": "x" * 17_000},
                {},
                {"k": "v"},
                {"k": None},
                {"k": [1, 2.5, True, {"deep": "er"}]},
                {"k": "a\x00"},
                {"a\x01": 1},
                {"k": {"n": 2**63}},
                {"k": -(2**63)},
                [],
                "x",
                None,
            ],
        },
        # The depth and size limits are the description's (JSON Schema cannot count them), and so is the rule of
        # free-form JSON below a value's top level (a schema naming itself is one client generators cannot read).
        refused_beyond=frozenset(
            {
                ("metadata", repr({"k": _nested(11)})),
                ("metadata", repr({"k": "x" * 17_000})),
                ("metadata", repr({"k": {"n": 2**63}})),
            }
        ),
    ),
    Group(
        "create platform key",
        "CreateKey",
        {
            "scopes": [
                ["orders:read", "orders:read"],
                [],
                ["products:admin"],
                ["tracking:write"],
                [None],
                None,
                LEFT_OUT,
            ],
            "type": ["platform", "public", "PUBLIC", "admin", None],
            "name": ["ci", "", "x" * 100, "x" * 101, "a\x00", None],
            "env": ["live", "test", "prod", None],
            "allowed_origins": [None, [], ["https://shop.example"]],
        },
        {"scopes": ["products:read"]},
    ),
    Group(
        "create public key",
        "CreateKey",
        {
            "scopes": [[], ["tracking:write"], ["orders:read"], LEFT_OUT],
            "allowed_origins": [
                ["https://shop.example"],
                ["http://shop.example:8080/"],
                ["HTTPS://Shop.example"],
                ["https://shop.example/checkout"],
                ["https://shop.example?x=1"],
                ["ftp://shop.example"],
                ["shop.example"],
                ["https://user@shop.example"],
                ["https:// shop.example"],
                ["https://shop.example:99999"],
                ["https://[::1]:8080"],
                ["https://[1]"],
                ["https://a..b"],
                ["https://xn--bcher-kva.example"],
                [f"https://s{n}.example" for n in range(20)],
                [f"https://s{n}.example" for n in range(21)],
                ["https://" + "s" * 255],
                [None],
            ],
        },
        {"type": "public"},
    ),
    Group(
        "create webhook",
        "CreateWebhook",
        {
            "url": [
                "http://erp.example",
                "HTTPS://ERP.example/hooks?x=1#y",
                "ftp://erp.example",
                "https://",
                "https:///path",
                "https://erp.example/a b",
                " https://erp.example",
                "erp.example",
                "https://erp.example:99999",
                "https://erp.example:65535",
                "https://user:pw@erp.example:08080/x",
                "https://[2001:db8::1]:8443/hooks",
                "https://[2001:db8::1::2]/hooks",
                "https://[1]/hooks",
                "https://erp]example/hooks",
                "https://erp.example/" + "x" * 2028,
                "https://erp.example/" + "x" * 2029,
                "",
                None,
                LEFT_OUT,
            ],
            "events": [
                ["order.created", "order.created"],
                [],
                ["order.teleported"],
                ["ORDER.CREATED"],
                ["order.created"] * 16,
                ["order.created"] * 17,
                None,
                LEFT_OUT,
            ],
        },
        {"url": "https://erp.example.com/hooks", "events": ["order.created"]},
    ),
    Group(
        "redeliver webhook",
        "RedeliverWebhook",
        {"delivery_id": ["dlv_missing", "", "  ", "x" * 40, "x" * 41, "a\x00", None, 42, LEFT_OUT]},
        {"delivery_id": "dlv_0"},
    ),
    Group(
        "track signup",
        "TrackSignup",
        {
            "email": ["amina@example.dz", "", "  ", " amina@example.dz ", "not an email", "a@b", "a\x01@b.dz", None],
            "phone": ["0555 00 00 00", "+213555000000", "12", "x" * 33, "a\x00", "", None],
            "name": ["Amina", "", "x" * 200, "x" * 201, "a\x00", None],
            "source": ["ads", "x" * 100, "x" * 101, None],
            "campaign": ["spring", "x" * 101, "a\x1f", None],
            "metadata": [{}, {"k": 1}, [1], "x", None],
        },
        {"email": "amina@example.dz", "phone": "0555000001"},
        refused_beyond=frozenset({("phone", "12")}),
    ),
    Group(
        "track one event",
        "TrackEvents",
        {
            "event": ["page_view", "add_to_cart:v2", "Page View", "x" * 64, "x" * 65, "", " page_view", 42, None],
            "occurred_at": [
                _now(-1),
                _now(-1, zone="+01:00"),
                _now(-1, sep="t", zone="z"),
                _now(-1, sep=" ", zone=""),
                "yesterday",
                "0.5",
                "0",
                "1700000000",
                1700000000,
                "1999-12-31T23:59:59Z",
                _now(2),
                None,
            ],
            "properties": [{}, {"path": "/"}, [1], "x", None],
        },
        {"event": "page_view"},
        read_beyond=frozenset({("occurred_at", _now(-1, sep=" ", zone=""))}),
        # How far back and ahead a time may be is the field's description (JSON Schema has no bound on a time).
        refused_beyond=frozenset({("occurred_at", "1999-12-31T23:59:59Z"), ("occurred_at", _now(2))}),
    ),
    Group(
        "track a batch of events",
        "TrackEvents",
        {
            "events": [
                [{"event": "a"}, {"event": "b", "properties": {"x": 1}}],
                [],
                [{"event": "a"}] * 100,
                [{"event": "a"}] * 101,
                [{"event": "BAD"}],
                [{}],
                [{"event": "a", "occurred_at": "0.5"}],
                [{"event": "a", "colour": "red"}],
                None,
            ],
            "event": ["page_view"],
        },
        {"events": [{"event": "page_view"}]},
    ),
    Group("list products", "ListProducts", {"limit": LIMIT_PROBES, "q": ["linen", "a\x00b", "x" * 256, "x" * 257]}),
    Group(
        "list orders",
        "ListOrders",
        {
            "status": ["pending", "PENDING", "bogus"],
            "since": [
                "2026-04-30T14:22:10Z",
                "2026-04-30T14:22:10.5+01:00",
                "2026-04-30t14:22:10z",
                "2026-04-30 14:22:10",
                "0.5",
                "0",
                "1700000000",
                "20260430T142210Z",
                "yesterday",
                "0001-01-01T00:00:00+01:00",
            ],
            "customer_id": ["1", "0", "-1", "1.0", "abc", str(2**63)],
        },
        read_beyond=frozenset({("since", "2026-04-30 14:22:10")}),
        refused_beyond=frozenset({("since", "0001-01-01T00:00:00+01:00")}),
    ),
    Group(
        "list customers",
        "ListCustomers",
        {"phone": ["0555 00 00 00", "a\x01", "x" * 257], "email": ["a@b.dz", "a\x1f", "x" * 256]},
    ),
    Group(
        "event counts",
        "GetEventCounts",
        {
            "from": ["2026-05-01", "0", "2026-05-01T00:00:00", "20260501", "2026-02-30", "2026-5-1", "2024-01-01"],
            "to": ["2026-05-31", "0", "1700000000", "2026-05-31 00:00:00"],
            "event": ["page_view", "BAD", "x" * 64, "x" * 65, ""],
        },
        {"from": "2026-05-01", "to": "2026-05-31"},
        refused_beyond=frozenset({("from", "2024-01-01")}),
    ),
]


def _operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if operation["operationId"] == operation_id:
                return path, method.upper(), operation
    raise AssertionError(f"no operation {operation_id}")


def _validator(schema: Mapping[str, Any]) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator({**schema, "components": DOCUMENT["components"]}, validate_formats=True)


def _schema_accepts(operation: dict[str, Any], request: Mapping[str, Any]) -> bool:
    """Whether the published schema accepts ``request``: a JSON body, or the text of query parameters as an
    OpenAPI client writes them (an integer in decimal digits)."""
    if "requestBody" in operation:
        return _validator(operation["requestBody"]["content"]["application/json"]["schema"]).is_valid(request)
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    for name, text in request.items():
        if name not in parameters:
            return False
        schema = parameters[name]["schema"]
        value: Any = int(text) if schema.get("type") == "integer" and re.fullmatch(r"-?[0-9]+", text) else text
        if not _validator(schema).is_valid(value):
            return False
    return True


@dataclass
class Fixtures:
    key: Key
    public_key: PublicKey
    path_ids: dict[str, int]


@pytest.fixture
async def fixtures(session) -> Fixtures:
    store = await create_store(session)
    key = await create_key(session, store)
    public_key = await create_public_key(session, store)
    product = await create_product(session, store)
    order = await create_order(session, store, await create_customer(session, store), [(product, 1)])
    subscription = await create_webhook_subscription(session, store)
    await session.commit()
    return Fixtures(
        key, public_key, {"UpdateProduct": product.id, "UpdateOrder": order.id, "RedeliverWebhook": subscription.id}
    )


async def _send(client: httpx.AsyncClient, fixtures: Fixtures, group: Group, request: dict[str, Any]) -> httpx.Response:
    path, method, operation = _operation(group.operation)
    if "{id}" in path:
        path = path.replace("{id}", str(fixtures.path_ids[group.operation]))
    if "requestBody" not in operation:
        return await client.get(path, params=request, headers=fixtures.key.headers)
    if any(parameter["name"] == "X-DZ-Signature" for parameter in operation["parameters"]):
        # A signature is accepted once: each request is signed at another second (within the accepted window).
        timestamp = int(time.time()) - next(_stamps) % 250
        return await post_signed(client, path, fixtures.public_key, request, timestamp=timestamp)
    headers = {**fixtures.key.headers, "Idempotency-Key": str(uuid.uuid4())}
    return await client.request(method, path, json=request, headers=headers)


def _refused_as_invalid(response: httpx.Response) -> bool:
    if response.status_code != 422 or response.json()["error"]["code"] != "validation_error":
        return False
    for detail in response.json()["error"]["details"]:
        assert not any(word in detail["message"] for word in PYDANTIC_WORDS), detail
        assert re.fullmatch(r"[a-z0-9_.]+|body", detail["field"]) or detail["field"].startswith("settings."), detail
    return True


@pytest.mark.parametrize("group", GROUPS, ids=[group.name for group in GROUPS])
async def test_the_published_schema_and_the_server_agree_on_every_probe(client, fixtures, group):
    _path, _method, operation = _operation(group.operation)
    assert _schema_accepts(operation, group.base), "the base request fits the schema"
    disagreements = []
    for name, values in group.probes.items():
        for value in values:
            request = {key: item for key, item in group.base.items() if key != name}
            if value is not LEFT_OUT:
                request[name] = value
            if "requestBody" not in operation and not isinstance(value, str):
                continue  # a query string has text only
            response = await _send(client, fixtures, group, request)
            published = _schema_accepts(operation, request)
            refused = _refused_as_invalid(response)
            probe = (name, value if isinstance(value, str) else repr(value))
            expected_refusal = (not published or probe in group.refused_beyond) and probe not in group.read_beyond
            if refused != expected_refusal:
                disagreements.append((name, value, published, response.status_code, response.text[:300]))
    assert disagreements == []


def test_every_listed_exception_is_a_real_disagreement():
    """The exceptions above must be ones the schema alone decides the other way; a stale one hides nothing."""
    for group in GROUPS:
        _path, _method, operation = _operation(group.operation)
        for name, values in group.probes.items():
            for value in values:
                probe = (name, value if isinstance(value, str) else repr(value))
                request = {key: item for key, item in group.base.items() if key != name}
                if value is not LEFT_OUT:
                    request[name] = value
                published = _schema_accepts(operation, request)
                if probe in group.read_beyond:
                    assert not published, probe
                if probe in group.refused_beyond:
                    assert published, probe


# --- what the document says --------------------------------------------------------------------------------------

SCHEMAS = DOCUMENT["components"]["schemas"]


def _property(model: str, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = SCHEMAS[model]["properties"][name]
    return schema


def _nullable(schema: Mapping[str, Any]) -> bool:
    return {"type": "null"} in schema.get("anyOf", ()) or schema.get("type") == "null"


def _query_schema(operation_id: str, name: str) -> dict[str, Any]:
    _path, _method, operation = _operation(operation_id)
    [parameter] = [parameter for parameter in operation["parameters"] if parameter["name"] == name]
    schema: dict[str, Any] = parameter["schema"]
    return schema


NOT_NULLABLE = ("name", "price", "track_stock", "stock_quantity", "low_stock_alert", "status")


@pytest.mark.parametrize("name", NOT_NULLABLE)
def test_a_product_field_that_cannot_be_null_is_not_nullable_in_the_update_body(name):
    schema = _property("UpdateProductBody", name)

    assert not _nullable(schema)
    assert "default" not in schema  # left out, it keeps its value


@pytest.mark.parametrize("name", ["description", "sku", "compare_price", "cost_price"])
def test_a_product_field_that_can_be_cleared_stays_nullable_in_the_update_body(name):
    schema = _property("UpdateProductBody", name)

    assert _nullable(schema)
    assert "default" not in schema


def test_no_request_property_defaults_to_null_unless_it_may_be_null():
    for model, schema in SCHEMAS.items():
        if model.endswith("Body"):
            for name, prop in schema.get("properties", {}).items():
                assert prop.get("default", "absent") is not None or _nullable(prop), (model, name)


def test_a_product_name_is_text_of_one_to_the_rules_length():
    for model in ("CreateProductBody", "UpdateProductBody"):
        name = _property(model, "name")

        assert (name["minLength"], name["maxLength"]) == (1, MAX_NAME)
        assert not _validator(name).is_valid("   ")
        assert not _validator(name).is_valid("a\x00")


@pytest.mark.parametrize("model", ["CreateProductBody", "UpdateProductBody"])
@pytest.mark.parametrize("name", ["stock_quantity", "low_stock_alert"])
def test_stock_counts_are_the_rules_range(model, name):
    schema = _property(model, name)

    assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", 0, MAX_STOCK)


@pytest.mark.parametrize(
    ("model", "name"),
    [("CreateLandingPageBody", "title"), ("RedeliverWebhookBody", "delivery_id"), ("UpdateStoreBody", "name")],
)
def test_text_that_cannot_be_blank_has_a_min_length(model, name):
    assert _property(model, name)["minLength"] == 1


def test_a_platform_key_names_at_least_one_scope_and_a_public_key_none_but_its_own():
    public, platform = SCHEMAS["CreateKeyBody"]["anyOf"]

    assert (public["required"], public["properties"]["type"]) == (["type"], {"const": "public"})
    assert public["properties"]["scopes"]["items"]["enum"] == ["tracking:write"]
    assert (platform["required"], platform["properties"]["type"]) == (["scopes"], {"const": "platform"})
    assert platform["properties"]["scopes"]["minItems"] == 1
    assert "tracking:write" not in platform["properties"]["scopes"]["items"]["enum"]


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"email": "amina@example.dz"}, True),
        ({"phone": "0555000000", "email": ""}, True),
        ({"email": "  "}, False),
        ({"phone": None, "name": "Amina"}, False),
        ({}, False),
    ],
)
def test_a_signup_needs_an_email_or_a_phone_by_its_schema(body, valid):
    assert _validator({"$ref": "#/components/schemas/TrackSignupBody"}).is_valid(body) is valid


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        ({"event": "page_view", "properties": {"path": "/"}}, True),
        ({"events": [{"event": "page_view"}], "event": None}, True),
        ({"events": [{"event": "page_view"}], "event": "page_view"}, False),
        ({"events": [{"event": "page_view"}], "occurred_at": "2026-04-30T14:22:10Z"}, False),
        ({"properties": {}}, False),
        ({"events": None}, False),
    ],
)
def test_one_event_or_a_batch_by_its_schema(body, valid):
    assert _validator({"$ref": "#/components/schemas/TrackEventsBody"}).is_valid(body) is valid


def test_free_form_json_states_its_rule_for_the_top_level_of_each_value_by_its_schema():
    metadata = _validator(_property("UpdateStoreBody", "metadata"))

    assert metadata.is_valid({"a": [1, 2.5, None, {"b": "text\twith tab"}]})
    assert not metadata.is_valid({"a": "nul\x00"})
    assert not metadata.is_valid({"\x01key": 1})
    assert not metadata.is_valid({"a": {"\x01key": 1}})
    assert not metadata.is_valid({"a": 2**63})


def test_free_form_json_states_its_rule_below_the_top_level_in_its_description():
    assert "without control characters" in _property("UpdateStoreBody", "metadata")["description"]
    assert "nested at most" in _property("UpdateStoreBody", "metadata")["description"]


@pytest.mark.parametrize(("operation_id", "name"), [("ListProducts", "q"), ("ListCustomers", "phone")])
def test_a_filter_refuses_control_characters_by_its_pattern(operation_id, name):
    validator = _validator(_query_schema(operation_id, name))

    assert validator.is_valid("Linen shirt\t2")
    assert not validator.is_valid("a\x00b")


def test_time_parameters_have_their_formats():
    assert _query_schema("ListOrders", "since") == {"type": "string", "format": "date-time"}
    assert _query_schema("GetEventCounts", "from") == {"type": "string", "format": "date"}
    assert _query_schema("GetEventCounts", "to") == {"type": "string", "format": "date"}
    assert _property("TrackedEventBody", "occurred_at")["anyOf"][0] == {"type": "string", "format": "date-time"}


def test_an_order_update_needs_a_status_or_a_payment_status_and_says_so():
    _path, _method, operation = _operation("UpdateOrder")

    assert SCHEMAS["UpdateOrderBody"]["anyOf"] == [{"required": ["status"]}, {"required": ["payment_status"]}]
    assert operation["requestBody"]["required"] is True
    assert "`status`, `payment_status` or both" in operation["description"]


def test_the_rules_json_schema_cannot_state_are_in_the_descriptions():
    descriptions = {
        name: _operation(name)[2]["description"] for name in ("GetEventCounts", "TrackSignup", "TrackEvents")
    }

    assert f"at most {MAX_DAYS} days apart" in descriptions["GetEventCounts"]
    assert "An `email` or a `phone` (or both) is required" in descriptions["TrackSignup"]
    assert "not both" in descriptions["TrackEvents"]


# --- numbers, times, nulls and names as the server reads them ------------------------------------------------------


@pytest.fixture
async def key(session) -> Key:
    created = await create_key(session, await create_store(session))
    await session.commit()
    return created


def _writing(key: Key) -> dict[str, str]:
    return {**key.headers, "Idempotency-Key": str(uuid.uuid4())}


def _only_detail(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    [detail] = error["details"]
    return dict(detail)


async def test_a_whole_number_written_as_a_float_is_the_integer(client, key):
    body = {"name": "Linen", "price": 1500.0, "stock_quantity": 3.0, "compare_price": 2000.0}

    response = await client.post("/v1/products", json=body, headers=_writing(key))

    assert response.status_code == 201, response.text
    product = response.json()["data"]
    assert product["pricing"]["price"] == 1500
    assert isinstance(product["pricing"]["price"], int)
    assert (product["pricing"]["compare_price"], product["inventory"]["stock_quantity"]) == (2000, 3)


@pytest.mark.parametrize("price", [1500.5, True, "1500", float("inf")], ids=["fraction", "boolean", "string", "inf"])
async def test_a_price_that_is_not_a_whole_number_is_refused_in_words(client, key, price):
    response = await client.post(
        "/v1/products",
        content=orjson.dumps({"name": "Linen", "price": 0}).replace(b"0}", _json_number(price) + b"}"),
        headers={**_writing(key), "Content-Type": "application/json"},
    )

    detail = _only_detail(response)
    assert detail == {"field": "price", "code": "invalid_type", "message": "price must be a whole number, such as 20"}


def _json_number(value: Any) -> bytes:
    return b"Infinity" if value == float("inf") else orjson.dumps(value)


async def test_a_huge_whole_number_is_out_of_range(client, key):
    response = await client.post("/v1/products", json={"name": "Linen", "price": 1e300}, headers=_writing(key))

    detail = _only_detail(response)
    assert (detail["field"], detail["code"]) == ("price", "out_of_range")
    assert detail["message"] == f"price must be at most {MAX_MONEY}"


@pytest.mark.parametrize("limit", ["20.0", "2_0", " 20", "+20"])
async def test_a_limit_is_written_in_digits(client, key, limit):
    response = await client.get("/v1/products", params={"limit": limit}, headers=key.headers)

    assert _only_detail(response) == {
        "field": "limit",
        "code": "invalid_type",
        "message": "limit must be a whole number written in digits, such as 20",
    }


@pytest.mark.parametrize("since", ["0.5", "0", "1700000000", "yesterday"])
async def test_a_number_is_not_a_since(client, key, since):
    response = await client.get("/v1/orders", params={"since": since}, headers=key.headers)

    assert _only_detail(response) == {
        "field": "since",
        "code": "invalid",
        "message": "since must be an ISO 8601 time such as 2026-04-30T14:22:10Z, or 2026-04-30 14:22:10 in UTC",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [({"to": "0"}, "to"), ({"from": "0.5"}, "from"), ({"from": "2026-05-01T00:00:00"}, "from")],
    ids=["to-number", "from-number", "from-datetime"],
)
async def test_a_day_is_a_date_and_nothing_else(client, key, params, field):
    response = await client.get("/v1/events/counts", params=params, headers=key.headers)

    assert _only_detail(response) == {
        "field": field,
        "code": "invalid",
        "message": f"{field} must be a date such as 2026-04-30 (YYYY-MM-DD)",
    }


@pytest.mark.parametrize("since", ["2026-04-30T14:22:10Z", "2026-04-30t14:22:10z", "2026-04-30 14:22:10", "2026-04-30"])
async def test_since_takes_iso_8601_and_the_rest_timestamp(client, key, since):
    response = await client.get("/v1/orders", params={"since": since}, headers=key.headers)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", NOT_NULLABLE)
async def test_null_for_a_product_field_that_cannot_be_null_is_refused_by_its_name(client, session, key, name):
    store = await create_store(session)
    owner = await create_key(session, store)
    product = await create_product(session, store)
    await session.commit()

    response = await client.patch(f"/v1/products/{product.id}", json={name: None}, headers=_writing(owner))

    assert _only_detail(response) == {"field": name, "code": "blank", "message": f"{name} cannot be null"}


async def test_a_status_outside_the_set_names_the_choices(client, key):
    response = await client.get("/v1/products", params={"status": "published"}, headers=key.headers)

    assert _only_detail(response) == {
        "field": "status",
        "code": "invalid_choice",
        "message": "status must be one of active, draft, archived",
    }


async def test_an_order_update_without_a_status_names_payment_status_as_rest_does(client, session):
    store = await create_store(session)
    owner = await create_key(session, store)
    product = await create_product(session, store)
    order = await create_order(session, store, await create_customer(session, store), [(product, 1)])
    await session.commit()

    response = await client.patch(f"/v1/orders/{order.id}", json={"note": "call first"}, headers=_writing(owner))

    assert _only_detail(response) == {
        "field": "status",
        "code": "blank",
        "message": "give a status, a payment_status or both",
    }


async def test_a_refused_payment_change_names_payment_status(client, session):
    store = await create_store(session)
    owner = await create_key(session, store)
    product = await create_product(session, store)
    order = await create_order(session, store, await create_customer(session, store), [(product, 1)])
    await session.commit()

    response = await client.patch(
        f"/v1/orders/{order.id}", json={"payment_status": "refunded"}, headers=_writing(owner)
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_status_transition"
    assert error["message"] == "Cannot change payment_status from pending to refunded."


async def test_an_unknown_delivery_names_delivery_id(client, session):
    store = await create_store(session)
    owner = await create_key(session, store)
    subscription = await create_webhook_subscription(session, store)
    await session.commit()

    response = await client.post(
        f"/v1/webhooks/{subscription.id}/redeliver", json={"delivery_id": "dlv_nope"}, headers=_writing(owner)
    )

    assert response.status_code == 404, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == ["delivery_id"]
