"""A compiled shape's builder reads a result row's leaves by position and anything else by attribute, with the same
answer either way."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLError
from graphql.type.scalars import serialize_int, serialize_string
from sqlalchemy import Row, create_engine, text
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from schema.core.build import build_schema
from schema.core.compiled.codegen import generate_builder
from schema.core.compiled.plan import NotExact
from schema.core.cost import CostLimits
from schema.core.documents import DocumentLimits
from schema.core.scalars import MAX_STORED_MONEY, MIN_STORED_MONEY, serialize_datetime, serialize_money
from storegraph.settings import Settings

STEPS = [
    ("leaf", "name", ("name", serialize_string, True)),
    ("typename", "__typename", None),
    ("leaf", "total", ("total", serialize_int, False)),
]


def _rows(sql: str) -> list[Row[Any]]:
    with create_engine("sqlite://").connect() as connection:
        return list(connection.execute(text(sql)).all())


@pytest.fixture
def build() -> Any:
    return generate_builder("Thing", STEPS, NotExact)


def test_rows_of_one_result_are_read_by_position(build: Any) -> None:
    rows = _rows("SELECT 7 AS extra, 'a' AS name, 1 AS total UNION ALL SELECT 8, 'b', NULL")

    assert build(rows, {}) == [
        {"name": "a", "__typename": "Thing", "total": 1},
        {"name": "b", "__typename": "Thing", "total": None},
    ]


def test_rows_of_another_result_and_objects_are_read_by_attribute(build: Any) -> None:
    first = _rows("SELECT 'a' AS name, 1 AS total")
    # Another result, its columns in another order: positions found on the first row would misread it.
    other = _rows("SELECT 2 AS total, 'b' AS name")
    plain = SimpleNamespace(name="c", total=3)

    assert build([*first, *other, plain], {}) == [
        {"name": "a", "__typename": "Thing", "total": 1},
        {"name": "b", "__typename": "Thing", "total": 2},
        {"name": "c", "__typename": "Thing", "total": 3},
    ]


def test_positions_kept_for_one_result_are_not_used_for_another(build: Any) -> None:
    """The builder keeps the positions it found for the last result it met: the same result again reads the same
    way, and another result (other columns, another order) is looked at anew, by position or by attribute."""
    rows = _rows("SELECT 7 AS extra, 'a' AS name, 1 AS total")
    reordered = _rows("SELECT 2 AS total, 'b' AS name")
    without_total = _rows("SELECT 'c' AS name")

    assert build(rows, {}) == build(rows, {}) == [{"name": "a", "__typename": "Thing", "total": 1}]
    assert build(reordered, {}) == [{"name": "b", "__typename": "Thing", "total": 2}]
    assert build(rows, {}) == [{"name": "a", "__typename": "Thing", "total": 1}]
    with pytest.raises(AttributeError):
        build(without_total, {})
    assert build(reordered, {}) == [{"name": "b", "__typename": "Thing", "total": 2}]


def test_a_result_without_a_selected_column_is_read_by_attribute_and_fails_as_before(build: Any) -> None:
    rows = _rows("SELECT 'a' AS name")

    with pytest.raises(AttributeError):
        build(rows, {})


def test_a_null_in_a_non_null_leaf_is_not_exact_by_position(build: Any) -> None:
    rows = _rows("SELECT NULL AS name, 1 AS total")

    with pytest.raises(NotExact):
        build(rows, {})


@pytest.fixture(scope="module")
def status_type() -> GraphQLEnumType:
    """An enum of the schema: strawberry's enum type, values the database's strings."""
    settings = Settings()
    schema = build_schema(CostLimits.from_settings(settings), DocumentLimits.from_settings(settings))
    found = schema._schema.type_map["OrderStatus"]
    assert isinstance(found, CustomGraphQLEnumType)
    return found


def _build_status(status: GraphQLEnumType) -> Any:
    return generate_builder("Thing", [("leaf", "status", ("status", status.coerce_output_value, False))], NotExact)


@pytest.mark.parametrize(
    "value",
    ["pending", "delivered", "member", "unknown", 3, None],
    ids=["value", "other value", "member", "unknown", "not a string", "null"],
)
def test_an_enum_leaf_answers_what_its_coercion_answers(status_type: CustomGraphQLEnumType, value: object) -> None:
    if value == "member":
        value = status_type.wrapped_cls("confirmed")
    build = _build_status(status_type)
    source = [SimpleNamespace(status=value)]
    try:
        expected: object = [{"status": None if value is None else status_type.coerce_output_value(value)}]
    except GraphQLError as error:
        with pytest.raises(GraphQLError, match=re.escape(error.message)):
            build(source, {})
    else:
        assert build(source, {}) == expected


def test_an_enum_leafs_string_is_looked_up_without_its_coercion(
    status_type: CustomGraphQLEnumType, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = _build_status(status_type)
    monkeypatch.setattr(CustomGraphQLEnumType, "coerce_output_value", lambda *_args: pytest.fail("called"))

    assert build([SimpleNamespace(status="pending")], {}) == [{"status": "PENDING"}]


@pytest.mark.parametrize(
    "value",
    [0, 1500, MAX_STORED_MONEY, MAX_STORED_MONEY + 1, MIN_STORED_MONEY - 1, True, Decimal(12), Decimal("1.5"), 2.0],
)
def test_a_money_leaf_answers_what_its_coercion_answers(value: object) -> None:
    build = generate_builder("Thing", [("leaf", "total", ("total", serialize_money, True))], NotExact)
    source = [SimpleNamespace(total=value)]
    try:
        expected = [{"total": serialize_money(value)}]
    except TypeError as error:
        with pytest.raises(TypeError, match=re.escape(str(error))):
            build(source, {})
    else:
        assert build(source, {}) == expected


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 4, 30, 14, 22, 10),
        datetime(2026, 4, 30, 14, 22, 10, 999_999),
        datetime(2026, 4, 30, 16, 22, 10, tzinfo=timezone(timedelta(hours=2))),
        date(2026, 4, 30),
        "2026-04-30",
    ],
    ids=["naive", "with microseconds", "with an offset", "a date", "a string"],
)
def test_a_datetime_leaf_answers_what_its_coercion_answers(value: object) -> None:
    build = generate_builder("Thing", [("leaf", "at", ("at", serialize_datetime, True))], NotExact)
    source = [SimpleNamespace(at=value)]
    try:
        expected = [{"at": serialize_datetime(value)}]  # type: ignore[arg-type]
    except (AttributeError, TypeError) as error:
        with pytest.raises(type(error)):
            build(source, {})
    else:
        assert build(source, {}) == expected
