"""Hostile and out-of-range input gets a clear client error and changes nothing; amounts of any size come back.

Money above 32 bits, control characters (NUL is refused by PostgreSQL), JSON that cannot be stored or dumped,
timestamps that overflow, ids and integers beyond their columns, and values the schema cannot serialise.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest
from graphql import GraphQLError, IntValueNode, StringValueNode, parse_value
from hypothesis import given
from hypothesis import strategies as st

from db.models import Order, Product, Store
from schema.core.build import build_schema, format_error, is_unexpected
from schema.core.scalars import parse_datetime_input, parse_money, parse_money_literal, serialize_money
from storegraph.platform.errors import NotFound, ValidationFailed
from storegraph.platform.money import MAX_MONEY
from storegraph.platform.validation import MAX_JSON_DEPTH, Problems
from tests.support.factories import create_customer, create_key, create_order, create_product, create_store
from tests.support.mutation_helpers import snapshot, succeeded, user_errors

ABOVE_32_BITS = 3_000_000_000
NUL = "\u0000"

CREATE_PRODUCT = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id price comparePrice costPrice } userErrors { field code } }
}
"""
UPDATE_PRODUCT = """
mutation($input: UpdateProductInput!) {
  updateProduct(input: $input) { product { id name status } userErrors { field code } }
}
"""
UPDATE_STORE = """
mutation($input: UpdateStoreInput!) {
  updateStore(input: $input) { store { name settings metadata } userErrors { field code message } }
}
"""
PLACE_ORDER = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id subtotal deliveryFee total items { unitPrice quantity total } }
    customer { totalSpent }
    userErrors { field code }
  }
}
"""
CUSTOMERS = "query($filter: CustomerFilter) { customers(first: 10, filter: $filter) { totalCount } }"
PRODUCTS = "query($filter: ProductFilter) { products(first: 10, filter: $filter) { totalCount } }"
ORDERS_SINCE = "query($since: DateTime) { orders(first: 10, filter: {since: $since}) { totalCount } }"


@pytest.fixture
async def shop(session):
    store = await create_store(session)
    key = await create_key(session, store)
    await session.commit()
    return store, key


def only_error(payload: dict[str, Any]) -> dict[str, Any]:
    [error] = payload["errors"]
    return error


def assert_refused_before_execution(payload: dict[str, Any]) -> None:
    """A validation_error answered with 400 and no data: nothing ran."""
    assert payload["_status"] == 400, payload
    assert "data" not in payload
    assert only_error(payload)["extensions"]["code"] == "validation_error"


# --- Money: the scalar ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, 1500, ABOVE_32_BITS, MAX_MONEY])
def test_money_accepts_whole_amounts_up_to_the_maximum(amount):
    assert parse_money(amount) == amount


def test_money_accepts_a_float_without_fraction_as_the_integer():
    parsed = parse_money(1500.0)

    assert (parsed, type(parsed)) == (1500, int)


@pytest.mark.parametrize(
    "value",
    [-1, MAX_MONEY + 1, 2**70, True, False, 1500.5, float("inf"), float("nan"), 1e300, "1500", None, [1500]],
    ids=repr,
)
def test_money_refuses_what_is_not_a_whole_amount_in_range(value):
    with pytest.raises(GraphQLError, match="Money must be a whole amount"):
        parse_money(value)


def test_money_literal_refuses_a_string_literal():
    with pytest.raises(GraphQLError, match="Money must be a whole amount"):
        parse_money_literal(StringValueNode(value="1500"))


def test_money_literal_with_thousands_of_digits_is_refused_as_the_clients_error():
    # int() of more than 4300 digits raises ValueError, which would be masked as an internal error.
    with pytest.raises(GraphQLError, match="Money must be a whole amount"):
        parse_money_literal(IntValueNode(value="9" * 5000))


@pytest.mark.parametrize("stored", [0, ABOVE_32_BITS, 2**63 - 1])
def test_money_serialises_every_amount_a_bigint_column_holds(stored):
    assert serialize_money(stored) == stored


def test_money_serialises_an_integral_decimal_from_an_aggregate():
    from decimal import Decimal

    assert serialize_money(Decimal(ABOVE_32_BITS)) == ABOVE_32_BITS


# --- Money: every amount of the schema uses it -------------------------------------------------------------

MONEY_FIELDS = {
    ("Product", "price"),
    ("Product", "comparePrice"),
    ("Product", "costPrice"),
    ("Order", "subtotal"),
    ("Order", "deliveryFee"),
    ("Order", "total"),
    ("OrderItem", "unitPrice"),
    ("OrderItem", "total"),
    ("Customer", "totalSpent"),
    ("CreateProductInput", "price"),
    ("CreateProductInput", "comparePrice"),
    ("CreateProductInput", "costPrice"),
    ("UpdateProductInput", "price"),
    ("UpdateProductInput", "comparePrice"),
    ("UpdateProductInput", "costPrice"),
}


def named_type(field_type: Any) -> str:
    while hasattr(field_type, "of_type"):
        field_type = field_type.of_type
    return str(field_type.name)


def test_every_money_field_of_the_schema_is_money():
    schema = build_schema()._schema
    types = {
        (type_name, field_name): named_type(field.type)
        for type_name, graphql_type in schema.type_map.items()
        for field_name, field in getattr(graphql_type, "fields", {}).items()
        if (type_name, field_name) in MONEY_FIELDS
    }

    assert types == dict.fromkeys(MONEY_FIELDS, "Money")


# --- Money: end to end ---------------------------------------------------------------------------------------


async def test_a_customer_total_spent_above_32_bits_is_returned_exactly(session, gql, shop):
    store, key = shop
    await create_customer(session, store, total_orders=3, total_spent=ABOVE_32_BITS)
    await session.commit()

    payload = await gql.query("{ customers(first: 1) { nodes { totalSpent } } }", headers=key.headers)

    assert "errors" not in payload, payload
    assert payload["data"]["customers"]["nodes"] == [{"totalSpent": ABOVE_32_BITS}]


async def test_an_order_above_32_bits_is_placed_and_answered_with_its_exact_totals(session, gql, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store, price=ABOVE_32_BITS)
    await session.commit()
    customer = {"firstName": "Amine", "phone": "0555 00 00 00", "wilayaId": 16}
    lines = [{"productId": str(product.id), "quantity": 2}]

    payload = await gql.query(PLACE_ORDER, {"input": {"lines": lines, "customer": customer}}, headers=key.headers)

    placed = succeeded(payload, "placeOrder")
    assert placed["order"]["total"] == placed["order"]["subtotal"] == 2 * ABOVE_32_BITS
    assert placed["order"]["items"] == [{"unitPrice": ABOVE_32_BITS, "quantity": 2, "total": 2 * ABOVE_32_BITS}]
    assert placed["customer"] == {"totalSpent": 2 * ABOVE_32_BITS}
    assert (await snapshot(sessionmaker, Order, int(placed["order"]["id"])))["total"] == 2 * ABOVE_32_BITS


async def test_a_product_priced_above_32_bits_is_created(gql, shop):
    _store, key = shop
    amounts = {"price": ABOVE_32_BITS, "comparePrice": ABOVE_32_BITS + 1, "costPrice": ABOVE_32_BITS - 1}

    payload = await gql.query(CREATE_PRODUCT, {"input": {"name": "Tapis", **amounts}}, headers=key.headers)

    product = succeeded(payload, "createProduct")["product"]
    assert {name: product[name] for name in amounts} == amounts


@pytest.mark.parametrize("price", [MAX_MONEY + 1, 2**70, -1, "1500", 12.5], ids=repr)
async def test_a_price_that_is_not_money_is_refused_before_anything_runs(gql, sessionmaker, shop, price):
    store, key = shop

    payload = await gql.query(CREATE_PRODUCT, {"input": {"name": "Tapis", "price": price}}, headers=key.headers)

    assert_refused_before_execution(payload)
    assert "price" in only_error(payload)["message"]
    assert (await snapshot(sessionmaker, Store, store.id))["id"] == store.id


async def test_a_price_literal_beyond_64_bits_is_a_validation_error(gql, shop):
    _store, key = shop
    document = 'mutation { createProduct(input: {name: "Tapis", price: ' + str(2**70) + "}) { product { id } } }"

    assert_refused_before_execution(await gql.query(document, headers=key.headers))


# --- the store's delivery fees -----------------------------------------------------------------------------


async def test_delivery_fees_within_range_are_stored(gql, shop):
    _store, key = shop
    fees = {"home": MAX_MONEY, "desk": 0}

    payload = await gql.query(UPDATE_STORE, {"input": {"settings": {"delivery_fees": fees}}}, headers=key.headers)

    assert succeeded(payload, "updateStore")["store"]["settings"] == {"delivery_fees": fees}


@pytest.mark.parametrize(
    ("fees", "field", "code"),
    [
        ({"home": MAX_MONEY + 1}, "settings.delivery_fees.home", "out_of_range"),
        ({"desk": -1}, "settings.delivery_fees.desk", "out_of_range"),
        ({"home": "400"}, "settings.delivery_fees.home", "invalid"),
        ({"home": True}, "settings.delivery_fees.home", "invalid"),
        ({"home": 400.5}, "settings.delivery_fees.home", "invalid"),
        ({"express": 400}, "settings.delivery_fees", "invalid"),
        ([400], "settings.delivery_fees", "invalid"),
    ],
    ids=["too_large", "negative", "string", "boolean", "fraction", "unknown_type", "not_an_object"],
)
async def test_a_delivery_fee_checkout_cannot_use_is_refused(gql, sessionmaker, shop, fees, field, code):
    store, key = shop
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE_STORE, {"input": {"settings": {"delivery_fees": fees}}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [(field, code)]
    assert (await snapshot(sessionmaker, Store, store.id))["settings"] == before["settings"]


# --- control characters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [f"Caf{NUL}e", "bell\u0007", "escape\u001b[31m", "\u0000"], ids=repr)
def test_text_with_a_control_character_is_invalid(text):
    problems = Problems()

    problems.text("name", text, max_length=100)

    assert [(d.field, d.code) for d in problems.details] == [("name", "invalid")]
    assert "control characters are not allowed" in problems.details[0].message


def test_text_keeps_tabs_and_line_breaks():
    problems = Problems()

    assert problems.text("notes", "line one\r\n\tline two", max_length=100) == "line one\r\n\tline two"
    assert problems.details == []


def test_an_email_with_a_nul_is_invalid():
    problems = Problems()

    problems.email("email", f"amine{NUL}@example.com")

    assert [(d.field, d.code) for d in problems.details] == [("email", "invalid_email")]


async def test_a_store_name_with_a_nul_is_a_user_error_and_changes_nothing(gql, sessionmaker, shop):
    store, key = shop
    before = await snapshot(sessionmaker, Store, store.id)

    payload = await gql.query(UPDATE_STORE, {"input": {"name": f"Boutique{NUL}Alger"}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [("name", "invalid")]
    assert (await snapshot(sessionmaker, Store, store.id))["name"] == before["name"]


async def test_a_product_name_with_a_nul_is_a_user_error(gql, shop):
    _store, key = shop

    payload = await gql.query(CREATE_PRODUCT, {"input": {"name": f"Tapis{NUL}", "price": 100}}, headers=key.headers)

    assert user_errors(payload, "createProduct") == [("name", "invalid")]


@pytest.mark.parametrize(
    ("document", "filter_", "field"),
    [
        (CUSTOMERS, {"search": f"a{NUL}b"}, "filter.search"),
        (CUSTOMERS, {"email": f"a{NUL}@example.com"}, "filter.email"),
        (CUSTOMERS, {"phone": f"0555{NUL}000000"}, "filter.phone"),
        (PRODUCTS, {"search": f"a{NUL}b"}, "filter.search"),
    ],
    ids=["customer_search", "customer_email", "customer_phone", "product_search"],
)
async def test_a_filter_string_with_a_nul_is_a_validation_error(gql, shop, document, filter_, field):
    _store, key = shop

    payload = await gql.query(document, {"filter": filter_}, headers=key.headers)

    error = only_error(payload)
    assert error["extensions"]["code"] == "validation_error", error
    assert [detail["field"] for detail in error["extensions"]["details"]] == [field]


async def test_a_very_long_search_is_a_validation_error(gql, shop):
    _store, key = shop

    payload = await gql.query(CUSTOMERS, {"filter": {"search": "a" * 10_000}}, headers=key.headers)

    assert only_error(payload)["extensions"]["details"][0]["code"] == "too_long"


# --- JSON settings and metadata -----------------------------------------------------------------------------


def json_problems(value: dict[str, Any]) -> list[tuple[str, str]]:
    problems = Problems()
    problems.json_object("metadata", value)
    return [(d.field, d.code) for d in problems.details]


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"note": f"a{NUL}b"}, [("metadata.note", "invalid")]),
        ({f"k{NUL}": 1}, [("metadata", "invalid")]),
        ({"list": ["ok", {"deep": f"{NUL}"}]}, [("metadata.list[1].deep", "invalid")]),
        ({"big": 2**70}, [("metadata.big", "out_of_range")]),
        ({"small": -(2**63) - 1}, [("metadata.small", "out_of_range")]),
        ({"inf": float("inf")}, [("metadata.inf", "invalid")]),
        ({"nan": float("nan")}, [("metadata.nan", "invalid")]),
        ({"huge": 1e308}, [("metadata.huge", "out_of_range")]),
        ({"edge": 2.0**63}, [("metadata.edge", "out_of_range")]),
        ({"low": -(2.0**64)}, [("metadata.low", "out_of_range")]),
        (nested(MAX_JSON_DEPTH + 1), [("metadata" + ".a" * MAX_JSON_DEPTH, "too_deep")]),
    ],
    ids=[
        "nul_value",
        "nul_key",
        "nul_nested",
        "int_70_bits",
        "int_below_64_bits",
        "infinity",
        "nan",
        "float_1e308",
        "float_2_63",
        "float_below_64_bits",
        "too_deep",
    ],
)
def test_json_that_cannot_be_stored_or_dumped_is_refused(value, expected):
    assert json_problems(value) == expected


def test_json_at_the_depth_limit_with_64_bit_integers_and_line_breaks_is_fine():
    value = {
        "limits": [-(2**63), 2**63 - 1, 1.5, -(2.0**63), 9.2e18, 1e-300, True, None],
        "text": "a\tb\nc",
        **nested(MAX_JSON_DEPTH),
    }

    assert json_problems(value) == []


@pytest.mark.parametrize(
    ("literal", "field", "code"),
    [
        ("{big: " + str(2**70) + "}", "metadata.big", "out_of_range"),
        ("{huge: " + "9" * 5000 + "}", "metadata.huge", "invalid"),  # graphql-core reads it as NaN
        ("{inf: 1e999}", "metadata.inf", "invalid"),
        ("{huge: 1e308}", "metadata.huge", "out_of_range"),
        ('{note: "a\\u0000b"}', "metadata.note", "invalid"),
    ],
    ids=["int_70_bits", "int_5000_digits", "infinity", "float_1e308", "nul"],
)
async def test_metadata_literals_json_cannot_hold_are_user_errors(gql, sessionmaker, shop, literal, field, code):
    store, key = shop
    document = "mutation { updateStore(input: {metadata: " + literal + "}) { userErrors { field code } } }"

    payload = await gql.query(document, headers=key.headers)

    assert user_errors(payload, "updateStore") == [(field, code)]
    assert (await snapshot(sessionmaker, Store, store.id))["metadata_"] == {}


async def test_a_settings_key_with_a_nul_is_a_user_error(gql, shop):
    _store, key = shop

    payload = await gql.query(UPDATE_STORE, {"input": {"settings": {f"lo{NUL}cale": "fr"}}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [("settings", "invalid")]


async def test_metadata_nested_too_deep_is_a_user_error(gql, shop):
    _store, key = shop

    payload = await gql.query(UPDATE_STORE, {"input": {"metadata": nested(50)}}, headers=key.headers)

    assert user_errors(payload, "updateStore") == [("metadata" + ".a" * MAX_JSON_DEPTH, "too_deep")]


# --- DateTime -------------------------------------------------------------------------------------------------


def parsed_or_refused(value: object) -> datetime | None:
    """The DateTime scalar's answer: a naive UTC datetime, or ``None`` when it refused the value as the client's
    error (a GraphQLError of its own, which carries no Python exception that would mark it internal)."""
    refused: GraphQLError | None = None
    try:
        parsed = parse_datetime_input(value)
    except GraphQLError as error:
        refused = error
    if refused is not None:
        assert refused.original_error is None
        return None
    assert isinstance(parsed, datetime)
    assert parsed.tzinfo is None  # naive UTC, the database's convention
    return parsed


@given(st.text(max_size=60))
def test_any_text_is_a_datetime_or_the_clients_error(text):
    parsed_or_refused(text)


# The first and last day Python represents, where moving to UTC leaves the years 1-9999, and everything between.
MOMENTS = st.one_of(
    st.datetimes(max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30)),
    st.datetimes(),
)


@given(MOMENTS, st.integers(min_value=-(24 * 60) + 1, max_value=24 * 60 - 1))
def test_any_timestamp_with_any_offset_is_a_datetime_or_the_clients_error(moment, offset_minutes):
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)

    parsed_or_refused(f"{moment.isoformat()}{sign}{hours:02d}:{minutes:02d}")


@pytest.mark.parametrize(
    "text",
    [
        "99999-01-01T00:00:00",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-01-01T00:00:00+99:00",
        "2026-02-30T00:00:00Z",
        f"2026-01-01{NUL}",
    ],
)
def test_datetime_input_out_of_range_is_the_clients_error(text):
    assert parsed_or_refused(text) is None


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "99999-01-01T00:00:00"])
async def test_a_datetime_variable_that_overflows_is_a_validation_error(gql, shop, since):
    _store, key = shop

    payload = await gql.query(ORDERS_SINCE, {"since": since}, headers=key.headers)

    assert_refused_before_execution(payload)


async def test_a_datetime_literal_that_overflows_is_a_validation_error(gql, shop):
    _store, key = shop
    document = '{ orders(first: 1, filter: {since: "0001-01-01T00:00:00+05:00"}) { totalCount } }'

    assert_refused_before_execution(await gql.query(document, headers=key.headers))


# --- ids and integers beyond their columns --------------------------------------------------------------------

THIRTY_DIGITS = "1" * 30


@pytest.mark.parametrize("field", ["order", "product", "customer", "landingPage"])
async def test_a_thirty_digit_id_is_a_validation_error(gql, shop, field):
    _store, key = shop

    payload = await gql.query(f'{{ {field}(id: "{THIRTY_DIGITS}") {{ id }} }}', headers=key.headers)

    assert only_error(payload)["extensions"]["code"] == "validation_error"


async def test_a_thirty_digit_integer_literal_as_an_id_is_a_validation_error(gql, shop):
    _store, key = shop

    payload = await gql.query(f"{{ order(id: {THIRTY_DIGITS}) {{ id }} }}", headers=key.headers)

    assert only_error(payload)["extensions"]["code"] == "validation_error"


async def test_a_thirty_digit_customer_id_filter_is_a_validation_error(gql, shop):
    _store, key = shop
    document = f'{{ orders(first: 1, filter: {{customerId: "{THIRTY_DIGITS}"}}) {{ totalCount }} }}'

    assert only_error(await gql.query(document, headers=key.headers))["extensions"]["code"] == "validation_error"


async def test_a_thirty_digit_id_in_a_mutation_is_a_user_error(gql, shop):
    _store, key = shop

    payload = await gql.query(UPDATE_PRODUCT, {"input": {"id": THIRTY_DIGITS, "name": "x"}}, headers=key.headers)

    assert user_errors(payload, "updateProduct") == [("id", "invalid")]


@pytest.mark.parametrize("first", [2**31, 2**70, 2**31 * 1.0], ids=repr)
async def test_first_beyond_32_bits_is_a_validation_error(gql, shop, first):
    _store, key = shop

    payload = await gql.query(
        "query($first: Int!) { products(first: $first) { totalCount } }", {"first": first}, headers=key.headers
    )

    assert_refused_before_execution(payload)


async def test_first_with_thousands_of_digits_is_a_validation_error(gql, shop):
    # graphql-core's Int raises a ValueError from int() here; it is still the client's input, not an incident.
    _store, key = shop

    payload = await gql.query("{ products(first: " + "9" * 5000 + ") { totalCount } }", headers=key.headers)

    assert_refused_before_execution(payload)


async def test_a_quantity_beyond_32_bits_is_a_validation_error(session, gql, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store)
    await session.commit()
    lines = [{"productId": str(product.id), "quantity": 2**40}]
    customer = {"firstName": "Amine", "phone": "0555 00 00 00", "wilayaId": 16}

    payload = await gql.query(PLACE_ORDER, {"input": {"lines": lines, "customer": customer}}, headers=key.headers)

    assert_refused_before_execution(payload)
    assert (await snapshot(sessionmaker, Product, product.id))["stock_quantity"] == product.stock_quantity


# --- errors raised while executing ----------------------------------------------------------------------------


def test_an_error_with_a_path_and_no_exception_is_masked_as_internal():
    # What graphql-core raises when a result value cannot be serialised (an Int over 32 bits, an unknown enum).
    error = GraphQLError("Int cannot represent non 32-bit signed integer value: 3000000000", path=["order", "total"])

    formatted = format_error(error, "req_1")

    assert formatted == {
        "message": "Internal server error (request req_1)",
        "extensions": {"code": "internal_error"},
        "path": ["order", "total"],
    }
    assert is_unexpected(error)


def test_a_wrapped_serialisation_error_with_a_path_is_internal():
    # graphql-core's located_error keeps the serialiser's GraphQLError as original_error.
    inner = GraphQLError("Enum 'OrderStatus' cannot represent value: 'lost'")
    error = GraphQLError(inner.message, path=["orders", "nodes", 0, "status"], original_error=inner)

    assert format_error(error, None)["extensions"] == {"code": "internal_error"}
    assert is_unexpected(error)


def test_a_document_error_without_a_path_is_a_validation_error():
    error = GraphQLError("Cannot query field 'nope' on type 'Query'.")

    assert format_error(error, "req_1")["extensions"] == {"code": "validation_error"}
    assert not is_unexpected(error)


def test_an_expected_error_during_execution_keeps_its_code():
    error = GraphQLError("Order with ID 1 not found", path=["order"], original_error=NotFound("Order", 1))

    assert format_error(error, "req_1")["extensions"]["code"] == "not_found"
    assert not is_unexpected(error)


def test_an_unexpected_exception_outside_the_document_is_internal():
    # strawberry wraps whatever escaped an extension or the parser like this: no path, no node.
    error = GraphQLError("boom", original_error=RuntimeError("boom"))

    assert format_error(error, None)["extensions"] == {"code": "internal_error"}
    assert is_unexpected(error)


def test_a_value_error_from_a_scalar_pointing_into_the_document_is_a_validation_error():
    node = parse_value("1")
    error = GraphQLError("Expected value of type 'Int'", node, original_error=ValueError("too many digits"))

    assert format_error(error, None)["extensions"] == {"code": "validation_error"}
    assert not is_unexpected(error)


async def test_a_result_value_the_schema_cannot_serialise_is_an_internal_error(session, gql, shop, caplog):
    store, key = shop
    customer = await create_customer(session, store)
    order = await create_order(session, store, customer, [])
    order.status = "lost"  # no OrderStatus value: the enum cannot serialise it
    await session.commit()

    with caplog.at_level(logging.ERROR, logger="storegraph.graphql"):
        payload = await gql.query("{ orders(first: 1) { nodes { status } } }", headers=key.headers)

    error = only_error(payload)
    assert error["extensions"] == {"code": "internal_error"}
    assert "lost" not in error["message"]
    assert any("unexpected error" in record.message for record in caplog.records)


async def test_a_mutation_whose_answer_cannot_be_serialised_is_rolled_back(session, gql, sessionmaker, shop):
    store, key = shop
    product = await create_product(session, store, name="Before", status="retired")  # not a ProductStatus
    await session.commit()

    payload = await gql.query(UPDATE_PRODUCT, {"input": {"id": str(product.id), "name": "After"}}, headers=key.headers)

    assert only_error(payload)["extensions"] == {"code": "internal_error"}
    assert (await snapshot(sessionmaker, Product, product.id))["name"] == "Before"


def test_validation_failed_is_not_unexpected_during_execution():
    failure = ValidationFailed.single("first", "out_of_range", "first must be between 1 and 200")
    error = GraphQLError(failure.message, path=["products"], original_error=failure)

    assert not is_unexpected(error)
